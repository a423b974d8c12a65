// The few-shot subset of a training split: the first n examples of a seeded permutation.
// train_glue --train-limit N and lorahub --shots K draw with this one rule, so for the same
// seed LoRA trained on k examples and LoraHub's Adapt stage see the same k examples.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tinytune/data/glue.h"

namespace tt::train {

// Indices (into split.examples) of the subset, in permutation order. n must be in
// [1, split size]; an error names `flag` and both numbers.
std::vector<int64_t> few_shot_indices(const data::GlueSplit& split, int64_t n, uint64_t seed,
                                      const std::string& flag);
// The split with only those examples (same task, path and labelling).
data::GlueSplit few_shot_subset(const data::GlueSplit& split, int64_t n, uint64_t seed,
                                const std::string& flag);

}  // namespace tt::train

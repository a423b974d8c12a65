#include "tinytune/train/few_shot.h"

#include "tinytune/core/error.h"
#include "tinytune/data/batching.h"

namespace tt::train {

namespace {
// A permutation stream of its own: the Batcher's epochs use streams 0, 1, 2, ...
constexpr uint64_t kFewShotStream = 0x66657773686f7473;  // "fewshots"
}  // namespace

std::vector<int64_t> few_shot_indices(const data::GlueSplit& split, int64_t n, uint64_t seed,
                                      const std::string& flag) {
  const int64_t size = static_cast<int64_t>(split.examples.size());
  TT_CHECK(n >= 1 && n <= size, flag, ": asks for ", n, " examples but ", split.path, " has ", size,
           " (expected 1 to ", size, ")");
  std::vector<int64_t> order = data::seeded_permutation(size, seed, kFewShotStream);
  order.resize(static_cast<size_t>(n));
  return order;
}

data::GlueSplit few_shot_subset(const data::GlueSplit& split, int64_t n, uint64_t seed,
                                const std::string& flag) {
  data::GlueSplit out;
  out.task = split.task;
  out.path = split.path;
  out.labelled = split.labelled;
  out.regression = split.regression;
  for (int64_t i : few_shot_indices(split, n, seed, flag)) out.examples.push_back(split.examples[i]);
  return out;
}

}  // namespace tt::train

// What data-parallel training does with a communicator: average the ranks' gradients, each
// weighted by how many examples it saw (so an uneven last batch gives the global batch's mean
// exactly), in a few flat buckets rather than one call per tensor; and check that every rank
// starts from the same parameters.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tinytune/dist/communicator.h"

namespace tt::dist {

// 25 MiB, PyTorch DDP's default; benchmarks/RESULTS.md ("Distributed training") says why it
// suits tinytune's sizes too.
inline constexpr int64_t kDefaultBucketBytes = 25 << 20;

// grad <- Σ_r n_r grad_r / Σ_r n_r over the ranks, where grad_r is rank r's gradient of the mean
// loss over its own n_r = local_examples examples. A parameter without a gradient on a rank
// counts as zeros there. Parameters are bucketed in order, up to bucket_bytes a bucket (a larger
// tensor is a bucket of its own). Returns Σ_r n_r.
int64_t average_gradients(Communicator& comm, const std::vector<Tensor>& params, int64_t local_examples,
                          int64_t bucket_bytes = kDefaultBucketBytes);

// Throws on every rank, naming the first parameter whose values differ from rank 0's (the
// caller names the rank: train_glue prefixes "rank R: ").
void check_parameters_identical(Communicator& comm,
                                const std::vector<std::pair<std::string, Tensor>>& named_params,
                                int64_t bucket_bytes = kDefaultBucketBytes);

}  // namespace tt::dist

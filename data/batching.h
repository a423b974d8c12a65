// Batches of GLUE examples for the BERT encoder: tokenize once, then per epoch a seeded order,
// cut into batches padded to the longest sequence of each batch (dynamic padding).
//
// Order of an epoch (batch_plan):
//   shuffle off, bucketing off:  file order, cut into batches.
//   shuffle on,  bucketing off:  a seeded permutation, cut into batches.
//   bucketing on:                (the seeded permutation when shuffling, else file order) is cut
//                                into chunks of bucket_chunk_batches * batch_size examples; each
//                                chunk is stably sorted by length (longest first) and cut into
//                                batches; then, when shuffling, the batches' order is shuffled.
//                                Similar lengths share a batch (less padding) while which
//                                examples meet still changes every epoch.
// The order is a pure function of (seed, epoch): the shuffle is our own Fisher-Yates over
// std::mt19937_64 (whose output the standard fixes), not std::shuffle or
// std::uniform_int_distribution, whose algorithms differ between standard libraries.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "tinytune/core/tensor.h"
#include "tinytune/data/glue.h"
#include "tinytune/data/tokenizer.h"

namespace tt::data {

struct Batch {
  Tensor input_ids;       // i64 [B, S], S = longest sequence in the batch; pads are pad_id
  Tensor token_type_ids;  // i64 [B, S], 0 on pads
  Tensor attention_mask;  // i64 [B, S], 1 on real tokens, 0 on pads
  Tensor labels;          // i64 [B] class ids, or f32 [B] scores (STS-B); undefined for test files
  std::vector<int64_t> example_index;  // row b is split.examples[example_index[b]]

  Batch to(Device device) const;  // the tensors copied to `device` (itself on the CPU)
};

struct BatcherOptions {
  int64_t batch_size = 32;
  int64_t max_seq_length = 128;  // tokens, special tokens included (truncation by the tokenizer)
  bool shuffle = false;
  uint64_t seed = 0;
  bool bucket_by_length = false;
  int64_t bucket_chunk_batches = 50;  // bucketing sorts within chunks of this many batches
  bool drop_last = false;             // drop a final batch smaller than batch_size
};

class Batcher {
 public:
  // Tokenizes every example of `split` now (once); the tokenizer is not kept.
  Batcher(const GlueSplit& split, const Tokenizer& tokenizer, BatcherOptions options);

  int64_t num_examples() const { return static_cast<int64_t>(ids_.size()); }
  int64_t num_batches() const;
  int64_t length(int64_t example) const { return static_cast<int64_t>(ids_[example].size()); }
  const BatcherOptions& options() const { return options_; }

  // The example indices of each batch of `epoch`, in order (see the top of this file).
  std::vector<std::vector<int64_t>> batch_plan(int64_t epoch) const;
  // The padded tensors for the given examples (any indices, in the given row order).
  Batch make_batch(const std::vector<int64_t>& examples) const;
  // make_batch over batch_plan(epoch), one batch at a time.
  void for_each_batch(int64_t epoch, const std::function<void(const Batch&)>& fn) const;

 private:
  BatcherOptions options_;
  int64_t pad_id_;
  bool regression_;
  bool labelled_;
  std::vector<std::vector<int64_t>> ids_;    // input ids per example, unpadded
  std::vector<std::vector<int64_t>> types_;  // token type ids per example
  std::vector<int64_t> labels_;              // class ids (classification)
  std::vector<float> scores_;                // STS-B scores
};

// The seeded permutation of 0..n-1 used by the batcher: Fisher-Yates over std::mt19937_64
// seeded from (seed, stream), with unbiased bounded draws. Same inputs, same permutation, on
// every platform.
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed, uint64_t stream);

}  // namespace tt::data

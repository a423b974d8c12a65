// Tokenize-once batcher with dynamic padding, seeded shuffles and optional length bucketing.
#include "tinytune/data/batching.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "tinytune/core/error.h"

namespace tt::data {

Batch Batch::to(Device device) const {
  if (device.is_cpu()) return *this;
  return {input_ids.to(device), token_type_ids.to(device), attention_mask.to(device),
          labels.defined() ? labels.to(device) : Tensor(), example_index};
}

namespace {

// SplitMix64 finalizer: spreads (seed, stream) into a well-mixed 64-bit engine seed, so that
// nearby seeds or epochs do not give correlated engines.
uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Uniform in [0, range) without modulo bias: reject the lowest 2^64 mod range raw values.
uint64_t bounded(std::mt19937_64& engine, uint64_t range) {
  const uint64_t threshold = (0 - range) % range;
  while (true) {
    const uint64_t r = engine();
    if (r >= threshold) return r % range;
  }
}

template <typename T>
void seeded_shuffle(std::vector<T>& items, uint64_t seed, uint64_t stream) {
  std::mt19937_64 engine(splitmix64(seed ^ splitmix64(stream)));
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[bounded(engine, i)]);
}

}  // namespace

std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed, uint64_t stream) {
  TT_CHECK(n >= 0, "seeded_permutation: expected n >= 0, got ", n);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  seeded_shuffle(order, seed, stream);
  return order;
}

Batcher::Batcher(const GlueSplit& split, const Tokenizer& tokenizer, BatcherOptions options)
    : options_(options),
      pad_id_(tokenizer.pad_id()),
      regression_(split.is_regression()),
      labelled_(split.labelled) {
  TT_CHECK(options_.batch_size > 0, "Batcher: expected batch_size > 0, got ", options_.batch_size);
  TT_CHECK(options_.max_seq_length >= 2, "Batcher: expected max_seq_length >= 2 (room for [CLS] ",
           "and [SEP]), got ", options_.max_seq_length);
  TT_CHECK(options_.bucket_chunk_batches > 0, "Batcher: expected bucket_chunk_batches > 0, got ",
           options_.bucket_chunk_batches);
  TT_CHECK(!split.examples.empty(), "Batcher: expected a split with examples, got none from ",
           split.path);
  const size_t n = split.examples.size();
  ids_.reserve(n);
  types_.reserve(n);
  for (const GlueExample& ex : split.examples) {
    Encoding enc = tokenizer.encode(ex.text_a, ex.has_b ? &ex.text_b : nullptr,
                                    options_.max_seq_length);
    const int64_t len = static_cast<int64_t>(enc.input_ids.size());
    TT_CHECK(len >= 1 && len <= options_.max_seq_length &&
                 enc.token_type_ids.size() == enc.input_ids.size(),
             "Batcher: tokenizer returned ", len, " ids and ", enc.token_type_ids.size(),
             " type ids for ", split.path, ":", ex.line, " (expected equal counts in [1, ",
             options_.max_seq_length, "])");
    ids_.push_back(std::move(enc.input_ids));
    types_.push_back(std::move(enc.token_type_ids));
    if (labelled_) {
      labels_.push_back(ex.label);
      scores_.push_back(ex.score);
    }
  }
}

int64_t Batcher::num_batches() const {
  const int64_t n = num_examples(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<std::vector<int64_t>> Batcher::batch_plan(int64_t epoch) const {
  const int64_t n = num_examples(), bs = options_.batch_size;
  const uint64_t stream = 2 * static_cast<uint64_t>(epoch);  // odd streams: batch order below
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (options_.shuffle) order = seeded_permutation(n, options_.seed, stream);

  if (options_.bucket_by_length) {
    // Sort within chunks (stable, longest first: a too-large batch fails on the first step).
    const int64_t chunk = options_.bucket_chunk_batches * bs;
    for (int64_t start = 0; start < n; start += chunk) {
      auto first = order.begin() + start, last = order.begin() + std::min(n, start + chunk);
      std::stable_sort(first, last, [&](int64_t a, int64_t b) { return length(a) > length(b); });
    }
  }

  std::vector<std::vector<int64_t>> batches;
  for (int64_t start = 0; start < n; start += bs) {
    const int64_t end = std::min(n, start + bs);
    if (options_.drop_last && end - start < bs) break;
    batches.emplace_back(order.begin() + start, order.begin() + end);
  }
  // Bucketed batches come out sorted by length within each chunk; shuffle their order so
  // training does not see long batches, then short ones, in a fixed rhythm.
  if (options_.bucket_by_length && options_.shuffle)
    seeded_shuffle(batches, options_.seed, stream + 1);
  return batches;
}

Batch Batcher::make_batch(const std::vector<int64_t>& examples) const {
  TT_CHECK(!examples.empty(), "Batcher::make_batch: expected at least one example index");
  const int64_t B = static_cast<int64_t>(examples.size());
  int64_t S = 0;
  for (int64_t e : examples) {
    TT_CHECK(e >= 0 && e < num_examples(), "Batcher::make_batch: example index ", e,
             " out of range (expected [0, ", num_examples(), "))");
    S = std::max(S, length(e));
  }
  // Dynamic padding: only to the longest sequence of this batch, not to max_seq_length.
  std::vector<int64_t> ids(B * S, pad_id_), types(B * S, 0), mask(B * S, 0);
  for (int64_t b = 0; b < B; ++b) {
    const auto& seq = ids_[examples[b]];
    const auto& typ = types_[examples[b]];
    std::copy(seq.begin(), seq.end(), ids.begin() + b * S);
    std::copy(typ.begin(), typ.end(), types.begin() + b * S);
    std::fill_n(mask.begin() + b * S, seq.size(), int64_t{1});
  }
  Batch batch;
  batch.input_ids = from_vector(ids, {B, S});
  batch.token_type_ids = from_vector(types, {B, S});
  batch.attention_mask = from_vector(mask, {B, S});
  if (labelled_) {
    if (regression_) {
      std::vector<float> scores(B);
      for (int64_t b = 0; b < B; ++b) scores[b] = scores_[examples[b]];
      batch.labels = from_vector(scores, {B});
    } else {
      std::vector<int64_t> labels(B);
      for (int64_t b = 0; b < B; ++b) labels[b] = labels_[examples[b]];
      batch.labels = from_vector(labels, {B});
    }
  }
  batch.example_index = examples;
  return batch;
}

void Batcher::for_each_batch(int64_t epoch, const std::function<void(const Batch&)>& fn) const {
  for (const std::vector<int64_t>& examples : batch_plan(epoch)) fn(make_batch(examples));
}

}  // namespace tt::data

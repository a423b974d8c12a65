// Batcher: dynamic padding to the longest sequence of each batch, masks and type ids, seeded
// shuffles that repeat for the same (seed, epoch), and length bucketing that keeps every
// example exactly once. Uses a tiny fake tokenizer (one id per whitespace-separated word) so
// the test does not depend on the WordPiece implementation.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <sstream>

#include "tinytune/core/error.h"
#include "tinytune/data/batching.h"

using namespace tt;
using namespace tt::data;

namespace {

// [CLS]=1 a... [SEP]=2 (b... [SEP]=2); word ids = 10 + word length; pad id 99 (not 0, so a
// batcher that pads with a hard-coded 0 fails). Truncation drops words from the longer segment.
class FakeTokenizer : public Tokenizer {
 public:
  Encoding encode(const std::string& a, const std::string* b, int64_t max_length) const override {
    std::vector<int64_t> wa = words(a), wb = b ? words(*b) : std::vector<int64_t>{};
    const size_t special = b ? 3 : 2;
    while (wa.size() + wb.size() + special > static_cast<size_t>(max_length))
      (wa.size() >= wb.size() ? wa : wb).pop_back();
    Encoding enc;
    enc.input_ids.push_back(1);
    enc.input_ids.insert(enc.input_ids.end(), wa.begin(), wa.end());
    enc.input_ids.push_back(2);
    enc.token_type_ids.assign(enc.input_ids.size(), 0);
    if (b) {
      enc.input_ids.insert(enc.input_ids.end(), wb.begin(), wb.end());
      enc.input_ids.push_back(2);
      enc.token_type_ids.resize(enc.input_ids.size(), 1);
    }
    enc.attention_mask.assign(enc.input_ids.size(), 1);
    return enc;
  }
  int64_t pad_id() const override { return 99; }
  int64_t vocab_size() const override { return 100; }

 private:
  static std::vector<int64_t> words(const std::string& text) {
    std::istringstream in(text);
    std::vector<int64_t> ids;
    for (std::string w; in >> w;) ids.push_back(10 + static_cast<int64_t>(w.size()) % 80);
    return ids;
  }
};

// n examples, example i has (i * 7) % 13 + 1 words in text_a, and a 2-word text_b.
GlueSplit make_split(int64_t n, GlueTask task = GlueTask::rte, bool labelled = true) {
  GlueSplit split;
  split.task = task;
  split.path = "synthetic";
  split.labelled = labelled;
  for (int64_t i = 0; i < n; ++i) {
    GlueExample ex;
    for (int64_t w = 0; w < (i * 7) % 13 + 1; ++w) ex.text_a += "w ";
    ex.text_b = "x yy";
    ex.has_b = true;
    ex.has_label = labelled;
    ex.label = labelled ? i % 2 : -1;
    ex.score = static_cast<float>(i % 6) * 0.5f;
    ex.line = i + 2;
    split.examples.push_back(ex);
  }
  return split;
}

std::vector<int64_t> flatten(const std::vector<std::vector<int64_t>>& batches) {
  std::vector<int64_t> all;
  for (const auto& b : batches) all.insert(all.end(), b.begin(), b.end());
  return all;
}

bool is_permutation_of_range(std::vector<int64_t> v, int64_t n) {
  std::sort(v.begin(), v.end());
  std::vector<int64_t> expected(n);
  std::iota(expected.begin(), expected.end(), int64_t{0});
  return v == expected;
}

}  // namespace

TEST_CASE("batching: pads to the longest sequence of the batch with pad_id, mask 0, type 0") {
  FakeTokenizer tok;
  GlueSplit split = make_split(5);
  BatcherOptions opt;
  opt.batch_size = 3;
  Batcher batcher(split, tok, opt);
  REQUIRE(batcher.num_batches() == 2);
  // Example lengths: a words + [CLS] [SEP] + 2 b words + [SEP].
  for (int64_t i = 0; i < 5; ++i) CHECK(batcher.length(i) == (i * 7) % 13 + 1 + 5);

  Batch batch = batcher.make_batch({0, 1, 2});  // lengths 6, 13, 7
  CHECK(batch.input_ids.shape() == Shape{3, 13});  // longest in the batch, not max_seq_length
  CHECK(batch.token_type_ids.shape() == Shape{3, 13});
  CHECK(batch.attention_mask.shape() == Shape{3, 13});
  CHECK(batch.input_ids.dtype() == DType::i64);
  CHECK(batch.attention_mask.dtype() == DType::i64);
  const auto ids = batch.input_ids.to_vector<int64_t>();
  const auto types = batch.token_type_ids.to_vector<int64_t>();
  const auto mask = batch.attention_mask.to_vector<int64_t>();
  for (int64_t b = 0; b < 3; ++b) {
    const int64_t len = batcher.length(b);
    for (int64_t s = 0; s < 13; ++s) {
      const int64_t k = b * 13 + s;
      if (s < len) {
        CHECK(mask[k] == 1);
        CHECK(ids[k] != 99);
      } else {
        CHECK(mask[k] == 0);
        CHECK(ids[k] == 99);
        CHECK(types[k] == 0);
      }
    }
    CHECK(ids[b * 13] == 1);            // [CLS]
    CHECK(types[b * 13 + len - 1] == 1);  // the final [SEP] belongs to segment b
  }
  CHECK(batch.labels.shape() == Shape{3});
  CHECK(batch.labels.dtype() == DType::i64);
  CHECK(batch.labels.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 0});
  CHECK(batch.example_index == std::vector<int64_t>{0, 1, 2});

  // The final, smaller batch (examples 3, 4) pads to its own longest.
  Batch last = batcher.make_batch(batcher.batch_plan(0).back());
  CHECK(last.input_ids.size(0) == 2);
  CHECK(last.input_ids.size(1) == std::max(batcher.length(3), batcher.length(4)));
}

TEST_CASE("batching: truncation to max_seq_length, STS-B float labels, unlabelled splits") {
  FakeTokenizer tok;
  BatcherOptions opt;
  opt.batch_size = 4;
  opt.max_seq_length = 8;
  Batcher stsb(make_split(6, GlueTask::stsb), tok, opt);
  for (int64_t i = 0; i < 6; ++i) CHECK(stsb.length(i) <= 8);
  Batch batch = stsb.make_batch({0, 1, 2, 5});
  CHECK(batch.input_ids.size(1) <= 8);
  CHECK(batch.labels.dtype() == DType::f32);
  CHECK(batch.labels.to_vector<float>() == std::vector<float>{0.0f, 0.5f, 1.0f, 2.5f});

  Batcher test(make_split(3, GlueTask::rte, false), tok, opt);
  CHECK(!test.make_batch({0, 1}).labels.defined());
}

TEST_CASE("batching: no shuffle is file order, drop_last drops the short batch") {
  FakeTokenizer tok;
  BatcherOptions opt;
  opt.batch_size = 4;
  Batcher batcher(make_split(10), tok, opt);
  const auto plan = batcher.batch_plan(0);
  REQUIRE(plan.size() == 3);
  CHECK(plan[2] == std::vector<int64_t>{8, 9});
  std::vector<int64_t> expected(10);
  std::iota(expected.begin(), expected.end(), int64_t{0});
  CHECK(flatten(plan) == expected);
  opt.drop_last = true;
  Batcher dropping(make_split(10), tok, opt);
  CHECK(dropping.num_batches() == 2);
  CHECK(dropping.batch_plan(0).size() == 2);
}

TEST_CASE("batching: same seed and epoch give the same order, other seeds or epochs differ") {
  FakeTokenizer tok;
  GlueSplit split = make_split(200);
  BatcherOptions opt;
  opt.batch_size = 16;
  opt.shuffle = true;
  opt.seed = 42;
  Batcher a(split, tok, opt), b(split, tok, opt);
  opt.seed = 43;
  Batcher c(split, tok, opt);
  CHECK(a.batch_plan(0) == b.batch_plan(0));
  CHECK(a.batch_plan(3) == b.batch_plan(3));
  CHECK(a.batch_plan(0) != c.batch_plan(0));
  CHECK(a.batch_plan(0) != a.batch_plan(1));
  CHECK(is_permutation_of_range(flatten(a.batch_plan(0)), 200));
  std::vector<int64_t> identity(200);
  std::iota(identity.begin(), identity.end(), int64_t{0});
  CHECK(flatten(a.batch_plan(0)) != identity);
  // The permutation is a pure function of its inputs (our own Fisher-Yates over mt19937_64):
  // pin a few values so a change of algorithm, or of standard library, is noticed.
  CHECK(seeded_permutation(8, 42, 0) == std::vector<int64_t>{1, 0, 3, 4, 2, 7, 6, 5});
  CHECK(seeded_permutation(8, 42, 1) == std::vector<int64_t>{0, 4, 7, 5, 6, 2, 3, 1});
  CHECK(is_permutation_of_range(seeded_permutation(1000, 7, 1), 1000));
}

TEST_CASE("batching: length bucketing keeps every example exactly once and groups lengths") {
  FakeTokenizer tok;
  GlueSplit split = make_split(503);  // not a multiple of the batch size
  BatcherOptions opt;
  opt.batch_size = 8;
  opt.shuffle = true;
  opt.seed = 7;
  opt.bucket_by_length = true;
  opt.bucket_chunk_batches = 10;
  Batcher bucketed(split, tok, opt);
  opt.bucket_by_length = false;
  Batcher plain(split, tok, opt);

  int64_t bucketed_pad = 0, plain_pad = 0;
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    const auto plan = bucketed.batch_plan(epoch);
    CHECK(plan.size() == 63);
    CHECK(is_permutation_of_range(flatten(plan), 503));  // each example exactly once
    CHECK(plan == bucketed.batch_plan(epoch));           // deterministic
    // Padding (longest - own length, summed) is what bucketing exists to cut.
    auto padding = [&](const Batcher& bt, const std::vector<std::vector<int64_t>>& p) {
      int64_t pad = 0;
      for (const auto& batch : p) {
        int64_t longest = 0;
        for (int64_t e : batch) longest = std::max(longest, bt.length(e));
        for (int64_t e : batch) pad += longest - bt.length(e);
      }
      return pad;
    };
    bucketed_pad += padding(bucketed, plan);
    plain_pad += padding(plain, plain.batch_plan(epoch));
  }
  CHECK(bucketed_pad * 3 < plain_pad);
  CHECK(bucketed.batch_plan(0) != bucketed.batch_plan(1));

  // for_each_batch visits the plan's batches, in order.
  std::vector<int64_t> seen;
  bucketed.for_each_batch(2, [&](const Batch& b) {
    seen.insert(seen.end(), b.example_index.begin(), b.example_index.end());
  });
  CHECK(seen == flatten(bucketed.batch_plan(2)));
}

TEST_CASE("batching: bad options and indices are clear errors") {
  FakeTokenizer tok;
  GlueSplit split = make_split(3);
  BatcherOptions opt;
  opt.batch_size = 0;
  CHECK_THROWS_WITH_AS(Batcher(split, tok, opt), doctest::Contains("batch_size > 0"), Error);
  opt.batch_size = 2;
  Batcher batcher(split, tok, opt);
  CHECK_THROWS_WITH_AS(batcher.make_batch({0, 3}), doctest::Contains("example index 3 out of range"),
                       Error);
  CHECK_THROWS_WITH_AS(batcher.make_batch({}), doctest::Contains("at least one"), Error);
  GlueSplit empty;
  empty.task = GlueTask::rte;
  empty.path = "nothing.tsv";
  CHECK_THROWS_WITH_AS(Batcher(empty, tok, opt), doctest::Contains("nothing.tsv"), Error);
}

// What every tokenizer gives the batcher: BERT-style model inputs for a text or a text pair.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tt::data {

struct Encoding {
  std::vector<int64_t> input_ids;       // [CLS] a [SEP] (b [SEP])
  std::vector<int64_t> token_type_ids;  // 0 for the first segment, 1 for the second
  std::vector<int64_t> attention_mask;  // 1 for every real token (padding is the batcher's)
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Encodes `a` (and `b` when non-null) truncated to at most max_length ids in all,
  // special tokens included (HF's truncation="longest_first").
  virtual Encoding encode(const std::string& a, const std::string* b,
                          int64_t max_length) const = 0;
  virtual int64_t pad_id() const = 0;
  virtual int64_t vocab_size() const = 0;
};

// Assembles [CLS] a [SEP] (b [SEP]) with token_type_ids 0/1 and attention_mask 1, truncating
// the texts' ids as HF tokenizers' TruncationStrategy::LongestFirst does for a budget of
// M = max_length - #specials: nothing when they fit; else when the shorter fits in half (2*short
// <= M) the longer is cut to M - short; else both are cut, the shorter to M/2 (floor) and the
// longer to M - M/2, the first text counting as the shorter on a tie. (The slow tokenizer,
// removing one id at a time, gives the first text the larger half on a tie instead.) Throws
// tt::Error when max_length < #specials. Shared by the WordPiece and SentencePiece tokenizers.
Encoding build_bert_encoding(std::vector<int64_t> a, const std::vector<int64_t>* b, int64_t cls,
                             int64_t sep, int64_t max_length);

}  // namespace tt::data

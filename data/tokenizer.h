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

}  // namespace tt::data

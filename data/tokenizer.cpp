#include "tinytune/data/tokenizer.h"

#include <algorithm>

#include "tinytune/core/error.h"

namespace tt::data {

Encoding build_bert_encoding(std::vector<int64_t> a, const std::vector<int64_t>* b, int64_t cls,
                             int64_t sep, int64_t max_length) {
  const int64_t n_specials = b ? 3 : 2;
  TT_CHECK(max_length >= n_specials, "tokenizer: max_length ", max_length,
           " can't hold the special tokens; expected max_length >= ", n_specials,
           b ? " for a text pair ([CLS] a [SEP] b [SEP])" : " for one text ([CLS] a [SEP])");
  const size_t budget = static_cast<size_t>(max_length - n_specials);
  std::vector<int64_t> b_ids = b ? *b : std::vector<int64_t>{};
  if (!b) {
    if (a.size() > budget) a.resize(budget);
  } else if (a.size() + b_ids.size() > budget) {
    // tokenizers' LongestFirst (see the header); `first_shorter` is its "no swap" case.
    const bool first_shorter = a.size() <= b_ids.size();
    const size_t shorter = std::min(a.size(), b_ids.size());
    size_t keep_short = shorter, keep_long = budget - shorter;
    if (2 * shorter > budget) {
      keep_short = budget / 2;
      keep_long = budget - keep_short;
    }
    a.resize(first_shorter ? keep_short : keep_long);
    b_ids.resize(first_shorter ? keep_long : keep_short);
  }

  Encoding enc;
  enc.input_ids.reserve(a.size() + b_ids.size() + 3);
  enc.input_ids.push_back(cls);
  enc.input_ids.insert(enc.input_ids.end(), a.begin(), a.end());
  enc.input_ids.push_back(sep);
  enc.token_type_ids.assign(enc.input_ids.size(), 0);
  if (b) {
    enc.input_ids.insert(enc.input_ids.end(), b_ids.begin(), b_ids.end());
    enc.input_ids.push_back(sep);
    enc.token_type_ids.resize(enc.input_ids.size(), 1);
  }
  enc.attention_mask.assign(enc.input_ids.size(), 1);
  return enc;
}

}  // namespace tt::data

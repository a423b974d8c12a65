// WordPiece tokenization identical to Hugging Face's BertTokenizer (the `tokenizers`-backed
// "fast" one, which transformers >= 5 calls BertTokenizer) with do_lower_case=True, the setting
// of bert-base-uncased and all-MiniLM-L6-v2:
//
//   1. special tokens ([PAD] [UNK] [CLS] [SEP] [MASK]) written literally in the raw text are
//      matched first and become their own ids (HF's added-token pass; case-sensitive);
//   2. BertNormalizer on the rest: drop U+0000, U+FFFD and control/format characters (category
//      C*, except \t \n \r), map whitespace to ' ', pad CJK ideographs with spaces, NFD and drop
//      non-spacing marks (Mn), lower-case each character;
//   3. BertPreTokenizer: split on whitespace, every punctuation character is a word of its own;
//   4. WordPiece: greedy longest-match-first with "##" continuations; a word with an
//      unmatchable rest, or longer than 100 characters, is one [UNK].
//
// Where the slow Python BertTokenizer (BertTokenizerLegacy in transformers 5) differs, we follow
// the fast one: Greek final sigma lower-cases to σ (per character, not ς), U+2028/U+2029 are
// whitespace, U+2B820..U+2B91F are not CJK, and longest_first truncation of an equal-length
// pair cuts the first text to the floor half (see build_bert_encoding in data/tokenizer.h). The fast tokenizer's
// Unicode tables are old (categories 8.0, NFD 9.0); wordpiece.cpp mirrors them, so the two agree
// on every code point (scripts/check_tokenizer_agreement.py --all-code-points).
// tests/fixtures/tokenizer_cases.json records HF's ids, and the slow ones where they differ.
//
// Other settings, as HF's tokenizer_config.json gives them (data/tokenizer_config.h reads it):
// WordPieceOptions turns off lower-casing (cased checkpoints), sets accent stripping apart from
// it (HF: unset follows lower-casing; stripping is NFD + dropping Mn, so without it no NFD is
// done), and turns off the spaces around CJK ideographs; then step 2 does only what is on, in
// the same order. Lower-casing without NFD maps U+0130 to "i" + U+0307, as Rust's to_lowercase.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tinytune/data/tokenizer.h"

namespace tt::data {

// HF BertNormalizer's switches (tokenizer_config.json: do_lower_case, strip_accents,
// tokenize_chinese_chars). The defaults are bert-base-uncased's and all-MiniLM-L6-v2's.
struct WordPieceOptions {
  bool lowercase = true;
  std::optional<bool> strip_accents;  // unset: the same as lowercase
  bool tokenize_chinese_chars = true;
  bool strips_accents() const { return strip_accents.value_or(lowercase); }
};

class WordPieceTokenizer : public Tokenizer {
 public:
  // Reads a vocab.txt: one token per line, id = line number (0-based). Lines end in \n, \r\n or
  // \r, as Python's universal newlines read them. A repeated token keeps its last id (as HF's
  // load_vocab). Throws tt::Error naming the file when it is missing, empty, not UTF-8, or lacks
  // [PAD], [UNK], [CLS] or [SEP].
  explicit WordPieceTokenizer(const std::string& vocab_path, WordPieceOptions options = {});

  // [CLS] a [SEP] (b [SEP]) truncated longest_first to max_length ids, exactly as HF. Throws
  // tt::Error when a text is not valid UTF-8 or max_length cannot hold the special tokens (HF
  // would silently skip truncation then).
  Encoding encode(const std::string& a, const std::string* b, int64_t max_length) const override;

  // The word pieces of `text`, without [CLS]/[SEP] (e.g. "unaffable" -> "un", "##aff", ...).
  std::vector<std::string> tokenize(const std::string& text) const;
  // The ids of tokenize(text).
  std::vector<int64_t> token_ids(const std::string& text) const;

  int64_t pad_id() const override { return pad_id_; }
  int64_t vocab_size() const override { return static_cast<int64_t>(id_to_token_.size()); }
  int64_t cls_id() const { return cls_id_; }
  const WordPieceOptions& options() const { return options_; }
  int64_t sep_id() const { return sep_id_; }
  int64_t unk_id() const { return unk_id_; }
  // The id of `token`, or -1 when the vocab lacks it.
  int64_t token_to_id(std::string_view token) const;
  const std::string& id_to_token(int64_t id) const;

 private:
  // Transparent hashing lets lookups take a string_view without building a std::string.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Vocab = std::unordered_map<std::string, int64_t, Hash, std::equal_to<>>;

  // Normalizes, pre-tokenizes and word-pieces a text with no special tokens in it.
  void append_plain_ids(std::string_view text, std::vector<int64_t>& ids) const;
  // Greedy longest-match-first over one pre-tokenized word.
  void append_word_ids(std::string_view word, size_t n_chars, std::vector<int64_t>& ids) const;

  std::string vocab_path_;
  WordPieceOptions options_;
  Vocab vocab_;
  std::vector<std::string> id_to_token_;
  std::vector<std::pair<std::string, int64_t>> specials_;  // matched literally in raw text
  int64_t pad_id_ = -1, unk_id_ = -1, cls_id_ = -1, sep_id_ = -1;
};


}  // namespace tt::data

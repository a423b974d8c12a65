// An HF model directory's tokenizer as HF configures it: vocab.txt plus tokenizer_config.json's
// do_lower_case, strip_accents and tokenize_chinese_chars (absent file or key: HF's default,
// uncased). A setting tinytune cannot honour (another tokenizer_class, do_basic_tokenize off, a
// never_split list, other special tokens than BERT's) is an error naming the file and the key,
// never a silent fallback to uncased WordPiece.
#pragma once
#include <memory>
#include <string>

#include "tinytune/data/wordpiece.h"

namespace tt::data {

inline constexpr const char* kTokenizerConfigFile = "tokenizer_config.json";

// The WordPiece switches <path> sets; errors name <path>.
WordPieceOptions read_tokenizer_config(const std::string& path);

// <dir>/vocab.txt with the options of <dir>/tokenizer_config.json when it exists.
std::unique_ptr<WordPieceTokenizer> load_wordpiece_tokenizer(const std::string& dir);

}  // namespace tt::data

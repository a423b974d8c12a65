// tokenize_tsv's command line (data/tools/tokenize_tsv.cpp): its options, their CLI11
// definitions and the check of --columns after parsing, shared with the flag-parsing fuzz target
// (tests/fuzz/fuzz_tool_flags.cpp).
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "tinytune/core/error.h"

namespace tt::tools::tokenize_tsv {

struct Options {
  std::string vocab_path, input_path, columns_text;
  bool skip_header = false;
  int64_t max_length = 0;
};

inline void add_tokenize_tsv_flags(CLI::App& app, Options& o) {
  app.add_option("--vocab", o.vocab_path, "vocab.txt, one token per line")->required();
  app.add_option("--input", o.input_path, "the TSV file")->required();
  app.add_option("--columns", o.columns_text, "0-based column of the text, or a,b for a pair")
      ->required();
  app.add_flag("--skip-header", o.skip_header, "the first line is a header, not a row");
  app.add_option("--max-length", o.max_length, "ids per row at most, [CLS]/[SEP] included")
      ->required()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
}

// "3" or "7,8" -> column indices (0-based); anything else is a flag error.
inline std::vector<size_t> parse_columns(const std::string& text) {
  std::vector<size_t> columns;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string part = text.substr(start, comma == std::string::npos ? std::string::npos
                                                                      : comma - start);
    TT_CHECK(!part.empty() && part.find_first_not_of("0123456789") == std::string::npos &&
                 part.size() < 10,
             "tokenize_tsv: --columns '", text,
             "' is not valid; expected one or two 0-based column indices, e.g. 3 or 7,8");
    columns.push_back(std::stoul(part));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  TT_CHECK(columns.size() <= 2, "tokenize_tsv: --columns '", text,
           "' names ", columns.size(), " columns; expected one (a text) or two (a text pair)");
  return columns;
}

}  // namespace tt::tools::tokenize_tsv

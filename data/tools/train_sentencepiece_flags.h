// train_sentencepiece's command line (data/tools/train_sentencepiece.cpp): its options and
// their CLI11 definitions, shared with the flag-parsing fuzz target
// (tests/fuzz/fuzz_tool_flags.cpp).
#pragma once
#include <CLI/CLI.hpp>
#include <cstddef>
#include <string>

#include "tinytune/data/sentencepiece_tokenizer.h"

namespace tt::tools::train_sentencepiece {

struct Options {
  std::string input_path, output_prefix;
  size_t column = 0;
  bool skip_header = false;
  tt::data::SentencePieceTrainOptions options;
};

inline void add_train_sentencepiece_flags(CLI::App& app, Options& o) {
  app.add_option("--input", o.input_path, "the TSV file")->required();
  app.add_option("--column", o.column, "0-based column holding the text")->required();
  app.add_option("--vocab-size", o.options.vocab_size, "pieces in the model, specials included")
      ->required()
      ->check(CLI::Range(5, 1 << 20));
  app.add_option("--output", o.output_prefix, "writes PREFIX.model and PREFIX.vocab")->required();
  app.add_flag("--skip-header", o.skip_header, "the first line is a header, not a row");
  app.add_option("--model-type", o.options.model_type, "unigram (default), bpe, char or word")
      ->check(CLI::IsMember({"unigram", "bpe", "char", "word"}));
  app.add_option("--threads", o.options.threads, "trainer threads (default 1)")
      ->check(CLI::Range(1, 256));
}

}  // namespace tt::tools::train_sentencepiece

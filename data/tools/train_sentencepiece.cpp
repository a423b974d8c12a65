// train_sentencepiece: trains a SentencePiece model on one column of a TSV file.
//
//   train_sentencepiece --input train.tsv --column 0 --skip-header --vocab-size 8000
//       --output models/sst2_sp      (writes models/sst2_sp.model and models/sst2_sp.vocab)
//
// Rows are split on '\n' (a trailing '\r' dropped) and fields on '\t' with no quote handling,
// as GLUE TSVs need. Empty texts are skipped. Ids 0..3 of the model are <pad> <unk> <s> </s>;
// SentencePieceTokenizer uses <s>/</s> as [CLS]/[SEP].
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "tinytune/core/error.h"
#include "tinytune/data/sentencepiece_tokenizer.h"
#include "tinytune/data/tools/train_sentencepiece_flags.h"

int main(int argc, char** argv) {
  CLI::App app{"Train a SentencePiece model on one column of a TSV file"};
  tt::tools::train_sentencepiece::Options o;
  tt::tools::train_sentencepiece::add_train_sentencepiece_flags(app, o);
  CLI11_PARSE(app, argc, argv);
  const std::string &input_path = o.input_path, &output_prefix = o.output_prefix;
  const size_t column = o.column;
  const bool skip_header = o.skip_header;
  const tt::data::SentencePieceTrainOptions& options = o.options;

  try {
    std::ifstream in(input_path, std::ios::binary);
    TT_CHECK(in, "train_sentencepiece: cannot open --input '", input_path,
             "'; expected a TSV file");
    std::vector<std::string> sentences;
    std::string line;
    for (int64_t line_number = 1; std::getline(in, line); ++line_number) {
      if (skip_header && line_number == 1) continue;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      // The column-th tab-separated field.
      size_t start = 0;
      for (size_t i = 0; i < column && start != std::string::npos; ++i) {
        start = line.find('\t', start);
        if (start != std::string::npos) ++start;
      }
      TT_CHECK(start != std::string::npos, input_path, ":", line_number,
               ": too few tab-separated fields; expected column ", column, " (0-based)");
      std::string text = line.substr(start, line.find('\t', start) - start);
      if (!text.empty()) sentences.push_back(std::move(text));
    }
    tt::data::train_sentencepiece(sentences, output_prefix, options);
    std::cerr << "train_sentencepiece: wrote " << output_prefix << ".model and " << output_prefix
              << ".vocab (" << options.vocab_size << " pieces, " << sentences.size()
              << " sentences)\n";
  } catch (const tt::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

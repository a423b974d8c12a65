// tokenize_tsv: WordPiece-encodes one or two columns of a TSV, one JSON line per row
//   {"input_ids":[...],"token_type_ids":[...],"attention_mask":[...]}
// so scripts/check_tokenizer_agreement.py can compare tinytune with HF's BertTokenizerFast.
//
//   tokenize_tsv --vocab vocab.txt --input dev.tsv --columns 7,8 --skip-header --max-length 128
//
// Rows are split on '\n' (a trailing '\r' dropped) and fields on '\t' with no quote handling:
// GLUE TSVs hold stray quotes that are part of the text.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "tinytune/core/error.h"
#include "tinytune/data/glue.h"
#include "tinytune/data/tools/tokenize_tsv_flags.h"
#include "tinytune/data/wordpiece.h"

namespace {

void print_ids(std::string& out, const char* key, const std::vector<int64_t>& ids) {
  out += '"';
  out += key;
  out += "\":[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  out += ']';
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"WordPiece-encode one or two TSV columns; one JSON line per row"};
  tt::tools::tokenize_tsv::Options o;
  tt::tools::tokenize_tsv::add_tokenize_tsv_flags(app, o);
  CLI11_PARSE(app, argc, argv);
  const std::string &vocab_path = o.vocab_path, &input_path = o.input_path;
  const bool skip_header = o.skip_header;
  const int64_t max_length = o.max_length;

  try {
    const std::vector<size_t> columns = tt::tools::tokenize_tsv::parse_columns(o.columns_text);
    const tt::data::WordPieceTokenizer tokenizer(vocab_path);
    std::ifstream in(input_path, std::ios::binary);
    TT_CHECK(in, "tokenize_tsv: cannot open --input '", input_path, "'; expected a TSV file");

    std::string line, out;
    int64_t line_number = 0;
    while (std::getline(in, line)) {
      ++line_number;
      if (skip_header && line_number == 1) continue;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto fields = tt::data::split_tabs(line);
      for (size_t column : columns) {
        TT_CHECK(column < fields.size(), input_path, ":", line_number, ": has ", fields.size(),
                 " tab-separated fields; expected column ", column, " (0-based) to exist");
      }
      const std::string a(fields[columns[0]]);
      const std::string b = columns.size() == 2 ? std::string(fields[columns[1]]) : "";
      tt::data::Encoding enc;
      try {
        enc = tokenizer.encode(a, columns.size() == 2 ? &b : nullptr, max_length);
      } catch (const tt::Error& e) {
        throw tt::Error(tt::detail::concat(input_path, ":", line_number, ": ", e.what()));
      }
      out.clear();
      out += '{';
      print_ids(out, "input_ids", enc.input_ids);
      out += ',';
      print_ids(out, "token_type_ids", enc.token_type_ids);
      out += ',';
      print_ids(out, "attention_mask", enc.attention_mask);
      out += "}\n";
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
  } catch (const tt::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

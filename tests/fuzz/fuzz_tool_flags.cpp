// libFuzzer target: arbitrary bytes as a command line, parsed by every tool's CLI11 app
// (train/tools/*_flags.h, data/tools/*_flags.h) and checked as the tool checks it after parsing.
// No tool runs. The input is split into argv words at spaces, tabs and newlines. A parse ends in
// the options filled in, a CLI::ParseError (the tools print it and exit 2) or a tt::Error from
// the checks after parsing; anything else (another exception, a crash) is a finding.
#include <functional>
#include <string>
#include <vector>

#include "tinytune/core/error.h"
#include "tinytune/data/tools/tokenize_tsv_flags.h"
#include "tinytune/data/tools/train_sentencepiece_flags.h"
#include "tinytune/train/tools/bert_encode_flags.h"
#include "tinytune/train/tools/eval_adapter_flags.h"
#include "tinytune/train/tools/export_model_flags.h"
#include "tinytune/train/tools/lorahub_flags.h"
#include "tinytune/train/tools/predict_flags.h"
#include "tinytune/train/tools/train_glue_flags.h"
#include "tinytune/train/evaluate.h"

namespace {

std::vector<std::string> split_words(const uint8_t* data, size_t size) {
  std::vector<std::string> words;
  std::string word;
  for (size_t i = 0; i < size; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == ' ' || c == '\t' || c == '\n') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

// Parses `words` with a fresh app of one tool, then runs `check` (the tool's checks after
// parsing) when the parse succeeded. A request for help renders the help text, as the tool would.
template <typename Options>
void parse_as(const char* tool, const std::vector<std::string>& words,
              void (*add_flags)(CLI::App&, Options&), const std::function<void(Options&)>& check) {
  std::vector<const char*> argv{tool};
  for (const std::string& w : words) argv.push_back(w.c_str());
  CLI::App app{tool};
  Options options;
  add_flags(app, options);
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    if (check) check(options);
  } catch (const CLI::CallForHelp&) {
    (void)app.help();
  } catch (const CLI::ParseError&) {
  } catch (const tt::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace tools = tt::tools;
  const std::vector<std::string> words = split_words(data, size);
  parse_as<tools::train_glue::Options>("train_glue", words, tools::train_glue::add_train_glue_flags,
                                       tools::train_glue::check_train_glue_flags);
  parse_as<tools::lorahub::Options>("lorahub", words, tools::lorahub::add_lorahub_flags,
                                    [](tools::lorahub::Options& o) {
                                      tools::lorahub::validate(o, tt::train::split_commas(o.modules));
                                    });
  parse_as<tools::predict::Options>("predict", words, tools::predict::add_predict_flags, {});
  parse_as<tools::eval_adapter::Options>("eval_adapter", words,
                                         tools::eval_adapter::add_eval_adapter_flags, {});
  parse_as<tools::export_model::Options>("export_model", words,
                                         tools::export_model::add_export_model_flags, {});
  parse_as<tools::bert_encode::Options>("bert_encode", words,
                                        tools::bert_encode::add_bert_encode_flags, {});
  parse_as<tools::tokenize_tsv::Options>("tokenize_tsv", words,
                                         tools::tokenize_tsv::add_tokenize_tsv_flags,
                                         [](tools::tokenize_tsv::Options& o) {
                                           tools::tokenize_tsv::parse_columns(o.columns_text);
                                         });
  parse_as<tools::train_sentencepiece::Options>(
      "train_sentencepiece", words, tools::train_sentencepiece::add_train_sentencepiece_flags, {});
  return 0;
}

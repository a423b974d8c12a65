#include "tinytune/data/tokenizer_config.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tinytune/core/error.h"

namespace tt::data {

namespace {

using json = nlohmann::json;

json parse(const std::string& path) {
  std::ifstream in(path);
  TT_CHECK(in, path, ": cannot open the tokenizer config");
  try {
    json j = json::parse(in);
    TT_CHECK(j.is_object(), path, ": expected a JSON object, got ", j.type_name());
    return j;
  } catch (const json::exception& e) {  // parse_error, or out_of_range: a number too large
    throw Error(detail::concat(path, ": not valid JSON (", e.what(), ")"));
  }
}

// A boolean key; nullopt when absent or null (HF writes null for "unset").
std::optional<bool> flag(const json& j, const std::string& path, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  TT_CHECK(j[key].is_boolean(), path, ": '", key, "' must be true, false or null, got ", j[key].dump());
  return j[key].get<bool>();
}

// The tokenizers whose normalizer and pre-tokenizer are BERT's (what WordPieceTokenizer does).
bool is_bert_wordpiece(const std::string& name) {
  for (const char* known : {"BertTokenizer", "BertTokenizerFast", "DistilBertTokenizer",
                            "DistilBertTokenizerFast", "ElectraTokenizer", "ElectraTokenizerFast"})
    if (name == known) return true;
  return false;
}

void check_special_token(const json& j, const std::string& path, const char* key, const char* bert) {
  if (!j.contains(key) || j[key].is_null()) return;
  const json& v = j[key];
  const std::string token = v.is_string() ? v.get<std::string>()
                            : v.is_object() && v.contains("content") ? v["content"].get<std::string>() : "";
  TT_CHECK(token == bert, path, ": '", key, "' is ", v.dump(), "; tinytune's WordPiece uses BERT's ",
           bert);
}

}  // namespace

WordPieceOptions read_tokenizer_config(const std::string& path) {
  const json j = parse(path);
  if (j.contains("tokenizer_class") && !j["tokenizer_class"].is_null()) {
    TT_CHECK(j["tokenizer_class"].is_string(), path, ": 'tokenizer_class' must be a string");
    const std::string name = j["tokenizer_class"].get<std::string>();
    TT_CHECK(is_bert_wordpiece(name), path, ": tokenizer_class '", name,
             "' is not a BERT WordPiece tokenizer; tinytune reads BertTokenizer's settings only");
  }
  TT_CHECK(flag(j, path, "do_basic_tokenize").value_or(true), path,
           ": 'do_basic_tokenize' false (WordPiece without BERT's normalizer) is not supported");
  if (j.contains("never_split") && !j["never_split"].is_null())
    TT_CHECK(j["never_split"].is_array() && j["never_split"].empty(), path,
             ": 'never_split' lists words; tinytune has no never-split list");
  check_special_token(j, path, "unk_token", "[UNK]");
  check_special_token(j, path, "sep_token", "[SEP]");
  check_special_token(j, path, "pad_token", "[PAD]");
  check_special_token(j, path, "cls_token", "[CLS]");
  check_special_token(j, path, "mask_token", "[MASK]");
  WordPieceOptions options;
  options.lowercase = flag(j, path, "do_lower_case").value_or(true);
  options.strip_accents = flag(j, path, "strip_accents");
  options.tokenize_chinese_chars = flag(j, path, "tokenize_chinese_chars").value_or(true);
  return options;
}

std::unique_ptr<WordPieceTokenizer> load_wordpiece_tokenizer(const std::string& dir) {
  const std::filesystem::path config = std::filesystem::path(dir) / kTokenizerConfigFile;
  const WordPieceOptions options =
      std::filesystem::exists(config) ? read_tokenizer_config(config.string()) : WordPieceOptions{};
  return std::make_unique<WordPieceTokenizer>((std::filesystem::path(dir) / "vocab.txt").string(),
                                              options);
}

}  // namespace tt::data

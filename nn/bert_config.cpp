#include "tinytune/nn/bert_config.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "tinytune/core/error.h"

namespace tt::nn {

namespace {

template <typename T>
void read_field(const nlohmann::json& j, const char* key, T& out, const std::string& path) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;  // absent: keep HF's default
  if constexpr (std::is_floating_point_v<T>) {
    TT_CHECK(it->is_number(), path, ": field '", key, "' must be a number, got ", it->dump());
  } else {
    TT_CHECK(it->is_number_integer(), path, ": field '", key, "' must be an integer, got ",
             it->dump());
  }
  out = it->get<T>();
}

}  // namespace

BertConfig BertConfig::from_json_file(const std::string& path) {
  std::ifstream in(path);
  TT_CHECK(in.good(), path, ": cannot open the model config (expected an HF config.json)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range: a number too large
    throw Error(detail::concat(path, ": invalid JSON: ", e.what()));
  }
  TT_CHECK(j.is_object(), path, ": expected a JSON object");
  if (auto type = j.find("model_type"); type != j.end())
    TT_CHECK(type->is_string() && type->get<std::string>() == "bert", path,
             ": model_type is ", type->dump(), ", this loader reads BERT models (\"bert\")");
  if (auto act = j.find("hidden_act"); act != j.end())
    TT_CHECK(act->is_string() && act->get<std::string>() == "gelu", path, ": hidden_act ",
             act->dump(), " is not supported (expected \"gelu\", the erf form)");
  if (auto pos = j.find("position_embedding_type"); pos != j.end())
    TT_CHECK(pos->is_string() && pos->get<std::string>() == "absolute", path,
             ": position_embedding_type ", pos->dump(), " is not supported (expected \"absolute\")");
  BertConfig c;
  read_field(j, "vocab_size", c.vocab_size, path);
  read_field(j, "hidden_size", c.hidden_size, path);
  read_field(j, "num_hidden_layers", c.num_hidden_layers, path);
  read_field(j, "num_attention_heads", c.num_attention_heads, path);
  read_field(j, "intermediate_size", c.intermediate_size, path);
  read_field(j, "hidden_dropout_prob", c.hidden_dropout_prob, path);
  read_field(j, "attention_probs_dropout_prob", c.attention_probs_dropout_prob, path);
  read_field(j, "classifier_dropout", c.classifier_dropout, path);
  read_field(j, "max_position_embeddings", c.max_position_embeddings, path);
  read_field(j, "type_vocab_size", c.type_vocab_size, path);
  read_field(j, "initializer_range", c.initializer_range, path);
  read_field(j, "layer_norm_eps", c.layer_norm_eps, path);
  read_field(j, "pad_token_id", c.pad_token_id, path);
  if (auto labels = j.find("id2label"); labels != j.end() && labels->is_object())
    c.num_labels = static_cast<int64_t>(labels->size());
  read_field(j, "num_labels", c.num_labels, path);
  c.validate(path);
  return c;
}

namespace {

// Upper bounds far above any BERT (bert-large: hidden 1024, 24 layers; multilingual vocabularies
// ~250k): a size past one is a corrupted or mistyped config, refused before anything is built.
void check_at_most(const std::string& source, const char* field, int64_t value, int64_t bound) {
  TT_CHECK(value <= bound, source, ": field '", field, "' is ", value, ", at most ", bound,
           " is supported (a corrupted or mistyped config.json?)");
}

}  // namespace

void BertConfig::validate(const std::string& source) const {
  TT_CHECK(vocab_size > 0 && hidden_size > 0 && num_hidden_layers > 0 &&
               num_attention_heads > 0 && intermediate_size > 0 && max_position_embeddings > 0 &&
               type_vocab_size > 0 && num_labels > 0,
           source, ": sizes must be positive (vocab_size, hidden_size, num_hidden_layers, "
           "num_attention_heads, intermediate_size, max_position_embeddings, type_vocab_size, "
           "num_labels)");
  check_at_most(source, "vocab_size", vocab_size, int64_t{1} << 22);
  check_at_most(source, "hidden_size", hidden_size, int64_t{1} << 16);
  check_at_most(source, "num_hidden_layers", num_hidden_layers, 1024);
  check_at_most(source, "num_attention_heads", num_attention_heads, 1024);
  check_at_most(source, "intermediate_size", intermediate_size, int64_t{1} << 18);
  check_at_most(source, "max_position_embeddings", max_position_embeddings, int64_t{1} << 20);
  check_at_most(source, "type_vocab_size", type_vocab_size, 1024);
  check_at_most(source, "num_labels", num_labels, 100000);
  TT_CHECK(hidden_size % num_attention_heads == 0, source, ": hidden_size ", hidden_size,
           " is not divisible by num_attention_heads ", num_attention_heads);
  TT_CHECK(hidden_dropout_prob >= 0 && hidden_dropout_prob < 1 &&
               attention_probs_dropout_prob >= 0 && attention_probs_dropout_prob < 1,
           source, ": dropout probabilities must be in [0, 1)");
}

}  // namespace tt::nn

#include "tinytune/nn/hf_checkpoint.h"

#include <filesystem>
#include <set>

#include "tinytune/core/io/safetensors.h"
#include "tinytune/nn/init.h"

namespace tt::nn {

namespace fs = std::filesystem;

std::string resolve_hf_model_dir(const std::string& dir) {
  TT_CHECK(fs::is_directory(dir), dir, ": model directory not found (expected an HF BERT "
           "directory with config.json, vocab.txt and model.safetensors)");
  if (fs::exists(fs::path(dir) / "config.json")) return dir;
  fs::path nested = fs::path(dir) / "0_Transformer";
  if (fs::exists(nested / "config.json")) return nested.string();
  throw Error(detail::concat(dir, ": no config.json (nor 0_Transformer/config.json); expected an "
                             "HF BERT directory with config.json, vocab.txt and model.safetensors"));
}

namespace {

// The names under which an HF file may hold the parameter `name`.
std::vector<std::string> candidate_names(const std::string& name) {
  std::vector<std::string> out{name};
  const std::string bert = "bert.";
  if (name.rfind(bert, 0) == 0)
    out.push_back(name.substr(bert.size()));
  else
    out.push_back(bert + name);
  // TF-era LayerNorm: gamma/beta.
  auto swap_suffix = [&](const std::string& from, const std::string& to) {
    if (name.size() >= from.size() && name.compare(name.size() - from.size(), from.size(), from) == 0 &&
        name.find("LayerNorm") != std::string::npos) {
      std::string base = name.substr(0, name.size() - from.size()) + to;
      out.push_back(base);
      out.push_back(base.rfind(bert, 0) == 0 ? base.substr(bert.size()) : bert + base);
    }
  };
  swap_suffix(".weight", ".gamma");
  swap_suffix(".bias", ".beta");
  return out;
}

// The HF-named tensor `name` ("embeddings.word_embeddings.weight"), with or without "bert.".
const Shape* find_shape(const std::map<std::string, Shape>& shapes, const std::string& name) {
  for (const std::string& candidate : {name, "bert." + name})
    if (auto it = shapes.find(candidate); it != shapes.end()) return &it->second;
  return nullptr;
}

// The encoder layers the weights hold: distinct N of "[bert.]encoder.layer.N." names.
int64_t count_layers(const std::map<std::string, Shape>& shapes) {
  std::set<std::string> layers;
  for (const auto& entry : shapes) {
    const std::string& name = entry.first;
    const std::string prefix = name.rfind("bert.", 0) == 0 ? "bert.encoder.layer." : "encoder.layer.";
    if (name.rfind(prefix, 0) != 0) continue;
    const size_t dot = name.find('.', prefix.size());
    if (dot != std::string::npos) layers.insert(name.substr(prefix.size(), dot - prefix.size()));
  }
  return static_cast<int64_t>(layers.size());
}

// config.json's sizes against the weights' shapes, read from the safetensors header alone,
// before a model of the config's size is built: a config that does not describe these
// weights (a corrupted size of 1e9 among them) is an error naming the field, not an
// allocation that exhausts memory. Tensors the file lacks are left to load_hf_weights.
void check_config_matches_weights(const BertConfig& config, const std::string& config_path,
                                  const std::string& weights_file) {
  TT_CHECK(fs::exists(weights_file), weights_file, ": weights file not found (expected "
           "model.safetensors; convert a pytorch_model.bin with scripts/get_model.sh)");
  const std::map<std::string, Shape> shapes = io::read_safetensors_shapes(weights_file);
  auto expect_dim = [&](const char* field, int64_t value, const std::string& tensor, size_t dim) {
    const Shape* shape = find_shape(shapes, tensor);
    if (shape == nullptr || shape->size() <= dim) return;
    TT_CHECK((*shape)[dim] == value, config_path, ": field '", field, "' is ", value, " but ",
             weights_file, " has '", tensor, "' of shape ", shape_str(*shape), " (", field,
             " ", (*shape)[dim], "); does config.json belong to these weights?");
  };
  const int64_t layers = count_layers(shapes);
  TT_CHECK(layers == config.num_hidden_layers, config_path, ": field 'num_hidden_layers' is ",
           config.num_hidden_layers, " but ", weights_file, " holds ", layers,
           " layers (encoder.layer.N tensors); does config.json belong to these weights?");
  expect_dim("vocab_size", config.vocab_size, "embeddings.word_embeddings.weight", 0);
  expect_dim("hidden_size", config.hidden_size, "embeddings.word_embeddings.weight", 1);
  expect_dim("max_position_embeddings", config.max_position_embeddings,
             "embeddings.position_embeddings.weight", 0);
  expect_dim("type_vocab_size", config.type_vocab_size, "embeddings.token_type_embeddings.weight", 0);
  expect_dim("intermediate_size", config.intermediate_size,
             "encoder.layer.0.intermediate.dense.weight", 0);
}

// HF's initialisation for the parameters the file did not provide (a new classifier head).
void init_missing(Module& model, const LoadReport& report, double std) {
  auto params = model.state_dict();
  for (const std::string& name : report.initialized) init_by_name(name, params.at(name), std);
}

}  // namespace

LoadReport load_hf_weights(Module& model, const std::string& weights_file,
                           const std::vector<std::string>& optional_prefixes) {
  TT_CHECK(fs::exists(weights_file), weights_file, ": weights file not found (expected "
           "model.safetensors; convert a pytorch_model.bin with scripts/get_model.sh)");
  std::map<std::string, Tensor> file = io::load_safetensors(weights_file);
  LoadReport report;
  report.weights_file = weights_file;
  std::set<std::string> taken;
  for (auto& [name, param] : model.named_parameters()) {
    const Tensor* found = nullptr;
    std::string found_name;
    for (const std::string& candidate : candidate_names(name)) {
      auto it = file.find(candidate);
      if (it != file.end()) {
        found = &it->second;
        found_name = candidate;
        break;
      }
    }
    bool optional = false;
    for (const std::string& prefix : optional_prefixes) optional |= name.rfind(prefix, 0) == 0;
    if (!found) {
      TT_CHECK(optional, weights_file, ": missing tensor '", name, "' (the file has ",
               file.size(), " tensors; expected HF BERT names such as "
               "'encoder.layer.0.attention.self.query.weight', with or without 'bert.')");
      report.initialized.push_back(name);
      continue;
    }
    if (found->shape() != param.shape()) {
      TT_CHECK(optional, weights_file, ": tensor '", found_name, "' has shape ",
               shape_str(found->shape()), " but the model's '", name, "' needs ",
               shape_str(param.shape()), " (does config.json match the weights?)");
      report.initialized.push_back(name);  // e.g. a classifier for another label count
      continue;
    }
    copy_into(param, *found);
    taken.insert(found_name);
  }
  for (auto& [name, t] : file)
    if (!taken.count(name)) report.unused.push_back(name);
  return report;
}

std::shared_ptr<BertModel> load_bert_model(const std::string& dir, LoadReport* report) {
  std::string root = resolve_hf_model_dir(dir);
  const std::string config_path = (fs::path(root) / "config.json").string();
  BertConfig config = BertConfig::from_json_file(config_path);
  check_config_matches_weights(config, config_path, (fs::path(root) / "model.safetensors").string());
  std::shared_ptr<BertModel> model;
  {
    SkipInitGuard skip;  // every weight comes from the file; the rest is initialised below
    model = std::make_shared<BertModel>(config);
  }
  // A few checkpoints (sentence-transformers exports among them) drop the pooler.
  LoadReport r = load_hf_weights(*model, (fs::path(root) / "model.safetensors").string(), {"pooler."});
  init_missing(*model, r, config.initializer_range);
  if (report) *report = r;
  return model;
}

std::shared_ptr<BertForSequenceClassification> load_bert_for_classification(
    const std::string& dir, int64_t num_labels, LoadReport* report, double dropout) {
  std::string root = resolve_hf_model_dir(dir);
  const std::string config_path = (fs::path(root) / "config.json").string();
  BertConfig config = BertConfig::from_json_file(config_path);
  check_config_matches_weights(config, config_path, (fs::path(root) / "model.safetensors").string());
  TT_CHECK(num_labels >= 1, "load_bert_for_classification: num_labels must be >= 1, got ", num_labels);
  TT_CHECK(dropout < 1, "load_bert_for_classification: dropout must be < 1, got ", dropout);
  config.num_labels = num_labels;
  if (dropout >= 0)
    config.hidden_dropout_prob = config.attention_probs_dropout_prob = config.classifier_dropout = dropout;
  std::shared_ptr<BertForSequenceClassification> model;
  {
    SkipInitGuard skip;
    model = std::make_shared<BertForSequenceClassification>(config);
  }
  LoadReport r = load_hf_weights(*model, (fs::path(root) / "model.safetensors").string(),
                                 {"classifier.", "bert.pooler."});
  init_missing(*model, r, config.initializer_range);
  if (report) *report = r;
  return model;
}

}  // namespace tt::nn

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
  BertConfig config = BertConfig::from_json_file((fs::path(root) / "config.json").string());
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
  BertConfig config = BertConfig::from_json_file((fs::path(root) / "config.json").string());
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

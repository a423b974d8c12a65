// export_hf_classifier: merge, then config.json, model.safetensors and the tokenizer's files into
// a temporary sibling directory that is renamed into place.
#include "tinytune/train/hf_export.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tinytune/core/error.h"
#include "tinytune/core/io/atomic_file.h"
#include "tinytune/core/io/safetensors.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/peft/peft.h"

namespace tt::train {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

json read_json(const fs::path& path) {
  std::ifstream in(path);
  TT_CHECK(in, path.string(), ": cannot open for reading");
  const json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  TT_CHECK(j.is_object(), path.string(), ": not a JSON object");
  return j;
}

void write_json(const fs::path& path, const json& j) {
  io::write_file_atomically(path.string(), j.dump(2) + "\n");
}

// The source config with the head described as HF describes it.
json classifier_config(const fs::path& source, const std::vector<std::string>& names) {
  json config = read_json(source / "config.json");
  json id2label = json::object(), label2id = json::object();
  for (size_t k = 0; k < names.size(); ++k) {
    id2label[std::to_string(k)] = names[k];
    label2id[names[k]] = k;
  }
  config.erase("num_labels");  // HF derives it from id2label; two sources could disagree
  config["id2label"] = id2label;
  config["label2id"] = label2id;
  config["problem_type"] = names.size() == 1 ? "regression" : "single_label_classification";
  config["architectures"] = json::array({"BertForSequenceClassification"});
  return config;
}

// The source's tokenizer settings, or BERT uncased's (what WordPieceTokenizer implements).
json tokenizer_config(const fs::path& source) {
  json config = fs::exists(source / "tokenizer_config.json")
                    ? read_json(source / "tokenizer_config.json")
                    : json{{"do_lower_case", true}, {"tokenize_chinese_chars", true},
                           {"strip_accents", nullptr}, {"unk_token", "[UNK]"}, {"sep_token", "[SEP]"},
                           {"pad_token", "[PAD]"}, {"cls_token", "[CLS]"}, {"mask_token", "[MASK]"}};
  config["tokenizer_class"] = "BertTokenizer";
  return config;
}

// names[k] for class k; "LABEL_k" where none is given (HF's default names).
std::vector<std::string> class_names(const nn::BertForSequenceClassification& model,
                                     const std::vector<std::string>& given) {
  const int64_t classes = model.classifier->out_features;
  if (classes == 1) return {"LABEL_0"};
  TT_CHECK(given.empty() || static_cast<int64_t>(given.size()) == classes, "export: ", given.size(),
           " label names for a classifier of ", classes, " classes");
  if (!given.empty()) return given;
  std::vector<std::string> names;
  for (int64_t k = 0; k < classes; ++k) names.push_back("LABEL_" + std::to_string(k));
  return names;
}

void write_directory(nn::BertForSequenceClassification& model, const HfExportOptions& o,
                     const fs::path& dir) {
  const fs::path source = nn::resolve_hf_model_dir(o.source_model_dir);
  TT_CHECK(fs::exists(source / "vocab.txt"), (source / "vocab.txt").string(),
           ": not found (the exported model needs its tokenizer's vocabulary)");
  write_json(dir / "config.json", classifier_config(source, class_names(model, o.label_names)));
  io::save_safetensors((dir / "model.safetensors").string(), plain_model_tensors(model), {{"format", "pt"}});
  fs::copy_file(source / "vocab.txt", dir / "vocab.txt");
  write_json(dir / "tokenizer_config.json", tokenizer_config(source));
  // HF's fast tokenizer reads tokenizer.json first when there is one: keep the source's.
  for (const char* extra : {"tokenizer.json", "special_tokens_map.json"})
    if (fs::exists(source / extra)) fs::copy_file(source / extra, dir / extra);
}

// Puts `built` at `target`, moving an existing target aside first and removing it after.
void move_into_place(const fs::path& built, const fs::path& target) {
  const fs::path old = target.string() + ".old-" + std::to_string(::getpid());
  const bool replacing = fs::exists(target);
  if (replacing) fs::rename(target, old);
  fs::rename(built, target);
  if (replacing) fs::remove_all(old);
}

}  // namespace

std::map<std::string, Tensor> plain_model_tensors(nn::BertForSequenceClassification& model) {
  std::set<std::string> adapter_names;
  for (auto& [layer, adapter] : peft::adapters_of(model))
    for (auto& [name, p] : adapter->named_parameters(layer)) adapter_names.insert(name);
  std::map<std::string, Tensor> out;
  for (auto& [name, p] : model.named_parameters())
    if (!adapter_names.count(name)) out.emplace(name, p.detach().to(Device::cpu()));
  return out;
}

void export_hf_classifier(nn::BertForSequenceClassification& model, const HfExportOptions& o) {
  TT_CHECK(!o.output_dir.empty(), "export: no output directory given");
  fs::path target = fs::path(o.output_dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();  // "out/" names "out"
  TT_CHECK(o.overwrite || !fs::exists(target), target.string(),
           ": already exists (pass --overwrite to replace it)");
  peft::merge_adapters(model);
  const fs::path tmp = target.string() + ".tmp-" + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  TT_CHECK(!ec, target.string(), ": cannot create ", tmp.string(), ": ", ec.message());
  try {
    write_directory(model, o, tmp);
    move_into_place(tmp, target);
  } catch (const std::exception& e) {
    fs::remove_all(tmp, ec);
    throw Error(detail::concat(target.string(), ": export failed: ", e.what()));
  }
}

}  // namespace tt::train

// TextClassifier: tokenize, batch with dynamic padding, forward without gradients, softmax.
#include "tinytune/train/text_classifier.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tinytune/core/autograd/grad_mode.h"
#include "tinytune/core/error.h"
#include "tinytune/core/io/safetensors.h"
#include "tinytune/core/ops.h"
#include "tinytune/data/batching.h"
#include "tinytune/data/tokenizer_config.h"
#include "tinytune/nn/bert_config.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/peft/adapter_io.h"

namespace tt::train {

namespace fs = std::filesystem;

namespace {

// The classes an adapter's head was trained for: the rows of its saved classifier.weight.
int64_t adapter_head_labels(const std::string& adapter_dir) {
  const std::string file = (fs::path(adapter_dir) / peft::kAdapterWeightsFile).string();
  TT_CHECK(fs::exists(file), file, ": not found (an adapter directory holds ", peft::kAdapterConfigFile,
           " and ", peft::kAdapterWeightsFile, ")");
  const auto tensors = io::load_safetensors(file);
  const auto head = tensors.find(std::string(peft::kHfTensorPrefix) + "classifier.weight");
  TT_CHECK(head != tensors.end(), file, ": no classifier.weight; an adapter saved without its "
           "head cannot label text (pass the number of classes through label_names)");
  return head->second.shape()[0];
}

int64_t count_labels(const std::string& model_dir, const std::string& adapter_dir,
                     const std::vector<std::string>& label_names) {
  if (!adapter_dir.empty()) return adapter_head_labels(adapter_dir);
  if (!label_names.empty()) return static_cast<int64_t>(label_names.size());
  const fs::path config = fs::path(nn::resolve_hf_model_dir(model_dir)) / "config.json";
  return nn::BertConfig::from_json_file(config.string()).num_labels;
}

// config.json's id2label in class-id order; empty when it has none, or when its ids are not
// 0..n-1 or its size is not num_labels (a base model's leftover head).
std::vector<std::string> config_label_names(const std::string& model_dir, int64_t num_labels) {
  const fs::path config = fs::path(nn::resolve_hf_model_dir(model_dir)) / "config.json";
  std::ifstream in(config);
  const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("id2label") || !j["id2label"].is_object()) return {};
  const auto& id2label = j["id2label"];
  if (num_labels < 2 || static_cast<int64_t>(id2label.size()) != num_labels) return {};
  std::vector<std::string> names;
  for (int64_t k = 0; k < num_labels; ++k) {
    const auto it = id2label.find(std::to_string(k));
    if (it == id2label.end() || !it->is_string()) return {};
    names.push_back(it->get<std::string>());
  }
  return names;
}

// The class names when the caller gives none: the adapter's (tinytune_label_names, written by
// train_glue), else the model's config.json id2label (an exported model's), else none.
std::vector<std::string> stored_label_names(const std::string& model_dir, const std::string& adapter_dir,
                                            int64_t num_labels) {
  if (!adapter_dir.empty()) {
    std::vector<std::string> names = peft::read_adapter_config(adapter_dir).label_names;
    TT_CHECK(names.empty() || num_labels == 1 || static_cast<int64_t>(names.size()) == num_labels,
             (fs::path(adapter_dir) / peft::kAdapterConfigFile).string(), ": tinytune_label_names has ",
             names.size(), " names but the adapter's classifier has ", num_labels, " classes");
    if (num_labels == 1) names.clear();  // regression: one output, no class names
    if (!names.empty()) return names;
  }
  return config_label_names(model_dir, num_labels);
}

Prediction to_prediction(const std::vector<double>& row, const std::vector<std::string>& names) {
  Prediction p;
  if (row.size() == 1) {  // regression: the output itself
    p.score = row[0];
    return p;
  }
  p.probabilities = row;
  p.label = std::max_element(row.begin(), row.end()) - row.begin();
  p.label_name = names[p.label];
  p.score = row[p.label];
  return p;
}

}  // namespace

TextClassifier::TextClassifier(std::shared_ptr<nn::BertForSequenceClassification> model,
                               std::shared_ptr<const data::Tokenizer> tokenizer,
                               std::vector<std::string> label_names, int64_t max_seq_length)
    : model_(std::move(model)),
      tokenizer_(std::move(tokenizer)),
      label_names_(std::move(label_names)),
      num_labels_(model_->classifier->out_features),
      max_seq_length_(max_seq_length) {
  TT_CHECK(max_seq_length_ > 0, "TextClassifier: max_seq_length must be positive, got ", max_seq_length_);
  if (label_names_.empty() && num_labels_ > 1)
    for (int64_t k = 0; k < num_labels_; ++k) label_names_.push_back("LABEL_" + std::to_string(k));
  TT_CHECK(num_labels_ == 1 || static_cast<int64_t>(label_names_.size()) == num_labels_,
           "TextClassifier: ", label_names_.size(), " label names for a head of ", num_labels_,
           " classes");
}

TextClassifier TextClassifier::load(const std::string& model_dir, const std::string& adapter_dir,
                                    std::vector<std::string> label_names,
                                    int64_t max_seq_length) {
  if (!adapter_dir.empty()) peft::read_adapter_config(adapter_dir);  // its errors first: the clearest
  const int64_t num_labels = count_labels(model_dir, adapter_dir, label_names);
  if (label_names.empty()) label_names = stored_label_names(model_dir, adapter_dir, num_labels);
  auto model = nn::load_bert_for_classification(model_dir, num_labels);
  if (!adapter_dir.empty()) peft::load_adapter(*model, adapter_dir);
  std::shared_ptr<const data::Tokenizer> tokenizer =
      data::load_wordpiece_tokenizer(nn::resolve_hf_model_dir(model_dir));
  return TextClassifier(std::move(model), std::move(tokenizer), std::move(label_names),
                        max_seq_length);
}

std::vector<Prediction> TextClassifier::predict(const std::vector<std::string>& texts,
                                                const std::vector<std::string>& text_pairs,
                                                int64_t batch_size) const {
  TT_CHECK(text_pairs.empty() || text_pairs.size() == texts.size(), "TextClassifier::predict: ",
           texts.size(), " texts but ", text_pairs.size(), " text_pairs (expected as many, or none)");
  TT_CHECK(batch_size > 0, "TextClassifier::predict: batch_size must be positive, got ", batch_size);
  data::GlueSplit split;
  split.labelled = false;
  for (size_t i = 0; i < texts.size(); ++i) {
    data::GlueExample e;
    e.text_a = texts[i];
    e.has_b = !text_pairs.empty();
    if (e.has_b) e.text_b = text_pairs[i];
    split.examples.push_back(std::move(e));
  }
  const data::Batcher batches(split, *tokenizer_,
                              {.batch_size = batch_size, .max_seq_length = max_seq_length_});
  const bool was_training = model_->is_training();
  model_->eval();
  NoGradGuard no_grad;
  std::vector<Prediction> out(texts.size());
  batches.for_each_batch(0, [&](const data::Batch& cpu_batch) {
    const data::Batch b = cpu_batch.to(model_->device());
    Tensor logits = model_->forward({b.input_ids, b.token_type_ids, b.attention_mask});
    Tensor rows = num_labels_ == 1 ? logits : softmax(logits, -1);
    const auto values = rows.to(Device::cpu()).to_vector<double>();
    for (size_t r = 0; r < b.example_index.size(); ++r) {
      std::vector<double> row(values.begin() + r * num_labels_, values.begin() + (r + 1) * num_labels_);
      out[b.example_index[r]] = to_prediction(row, label_names_);
    }
  });
  model_->train(was_training);
  return out;
}

}  // namespace tt::train

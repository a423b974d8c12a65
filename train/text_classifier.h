// Labels text with a fine-tuned sequence classifier: a BERT checkpoint, optionally with an
// adapter (any family, as train_glue or HF PEFT saved it). Strings in, labels and
// probabilities out:
//
//   auto classifier = tt::train::TextClassifier::load("models/all-MiniLM-L6-v2",
//                                                     "runs/sst2-main/adapter",
//                                                     {"negative", "positive"});
//   for (const auto& p : classifier.predict({"a gripping film", "a dull film"}))
//     std::cout << p.label_name << " " << p.probabilities[p.label] << "\n";
//
// Sentence pairs (MRPC, RTE, ...) pass the second sentences as `text_pairs`. A regression model
// (one output, STS-B) gives its output as `score` and no probabilities.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tinytune/data/tokenizer.h"
#include "tinytune/nn/bert.h"

namespace tt::train {

struct Prediction {
  int64_t label = -1;                 // the most probable class; -1 for regression
  std::string label_name;             // label_names[label] ("" for regression)
  std::vector<double> probabilities;  // softmax over the classes; empty for regression
  double score = 0.0;                 // regression: the output; classification: its probability
};

class TextClassifier {
 public:
  // label_names: one per class (empty: "LABEL_0", "LABEL_1", ... as HF names them).
  TextClassifier(std::shared_ptr<nn::BertForSequenceClassification> model,
                 std::shared_ptr<const data::Tokenizer> tokenizer,
                 std::vector<std::string> label_names = {}, int64_t max_seq_length = 128);

  // model_dir: an HF BERT directory (config.json, vocab.txt, model.safetensors). adapter_dir,
  // when given: an adapter directory (adapter_config.json, adapter_model.safetensors); the
  // number of classes is then its classifier's, else label_names' size, else config.json's.
  // Empty label_names: the adapter's tinytune_label_names (train_glue writes them), else
  // config.json's id2label when it has one name per class (export_model writes them), else
  // "LABEL_k".
  static TextClassifier load(const std::string& model_dir, const std::string& adapter_dir = "",
                             std::vector<std::string> label_names = {},
                             int64_t max_seq_length = 128);

  // One prediction per text, in order; text_pairs is empty or as long as texts. Runs in eval
  // mode without gradients, batch_size texts at a time, on the model's device.
  std::vector<Prediction> predict(const std::vector<std::string>& texts,
                                  const std::vector<std::string>& text_pairs = {},
                                  int64_t batch_size = 32) const;

  int64_t num_labels() const { return num_labels_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  nn::BertForSequenceClassification& model() const { return *model_; }

 private:
  std::shared_ptr<nn::BertForSequenceClassification> model_;
  std::shared_ptr<const data::Tokenizer> tokenizer_;
  std::vector<std::string> label_names_;
  int64_t num_labels_;
  int64_t max_seq_length_;
};

}  // namespace tt::train

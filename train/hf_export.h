// A fine-tuned classifier as a plain Hugging Face model directory, which
// AutoModelForSequenceClassification.from_pretrained and AutoTokenizer load with no tinytune
// and no PEFT:
//
//   config.json              the source model's, with architectures ["BertForSequenceClassification"],
//                            id2label / label2id from the label names (HF derives num_labels
//                            from them; "LABEL_0" for regression) and problem_type
//                            "single_label_classification" or "regression"
//   model.safetensors        every parameter of the plain model under its HF name (tinytune's
//                            module names are HF's: bert.encoder.layer.0.attention.self.query.weight,
//                            classifier.weight, ...), f32; adapters are merged into W0 first and
//                            their own tensors left out
//   vocab.txt                the source model's
//   tokenizer_config.json    the source model's when it has one, else BERT uncased's settings;
//                            "tokenizer_class": "BertTokenizer" either way
//
// The directory appears whole or not at all: everything is written into a temporary sibling,
// which is then renamed.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "tinytune/nn/bert.h"

namespace tt::train {

struct HfExportOptions {
  std::string source_model_dir;          // config.json, vocab.txt (and tokenizer_config.json)
  std::string output_dir;
  std::vector<std::string> label_names;  // one per class; empty: "LABEL_k" (and for regression)
  bool overwrite = false;                // replace an existing output_dir
};

// Merges `model`'s adapters (any family; peft::merge_adapters; a model without adapters is
// written as it is) and writes the directory. Errors name the directory: it exists (without
// overwrite), or cannot be written; label names of another count than the classifier's classes.
void export_hf_classifier(nn::BertForSequenceClassification& model, const HfExportOptions& options);

// The tensors export_hf_classifier writes: the model's parameters by name, CPU copies, without
// any adapter's own parameters (call after merging).
std::map<std::string, Tensor> plain_model_tensors(nn::BertForSequenceClassification& model);

}  // namespace tt::train

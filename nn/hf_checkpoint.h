// Loading HF BERT checkpoints as they are: a directory with config.json and model.safetensors
// (vocab.txt is the tokenizer's). Accepted tensor naming:
//   - plain BertModel names ("encoder.layer.0...."), as all-MiniLM-L6-v2 ships them;
//   - the "bert." prefix of HF's *ForSequenceClassification / *ForPreTraining checkpoints;
//   - sentence-transformers directories: modules.json at the top and the transformer in the
//     top directory or in 0_Transformer/ (older sentence-transformers);
//   - TF-era LayerNorm names gamma/beta for weight/bias.
// Heads the file does not have (the classifier of a base model) keep their HF initialisation
// and are reported; a missing encoder tensor or a wrong shape is an error naming the tensor
// and the file.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tinytune/nn/bert.h"

namespace tt::nn {

struct LoadReport {
  std::string weights_file;
  std::vector<std::string> initialized;  // model parameters not in the file (left at init)
  std::vector<std::string> unused;       // file tensors that no parameter took
};

// The directory that holds config.json and model.safetensors (dir itself or dir/0_Transformer).
std::string resolve_hf_model_dir(const std::string& dir);

// Copies the tensors of `weights_file` into `model`'s parameters by name. Parameters whose
// name starts with one of `optional_prefixes` may be absent from the file.
LoadReport load_hf_weights(Module& model, const std::string& weights_file,
                           const std::vector<std::string>& optional_prefixes = {});

std::shared_ptr<BertModel> load_bert_model(const std::string& dir, LoadReport* report = nullptr);
// num_labels overrides the config's (1 = regression). The classifier is new unless the
// checkpoint has one of that shape. dropout >= 0 replaces the config's hidden, attention and
// classifier dropout (train_glue --dropout); < 0 keeps them.
std::shared_ptr<BertForSequenceClassification> load_bert_for_classification(
    const std::string& dir, int64_t num_labels, LoadReport* report = nullptr, double dropout = -1);

}  // namespace tt::nn

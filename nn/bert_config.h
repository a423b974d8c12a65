// BERT hyper-parameters, read from an HF config.json (the fields and defaults of HF BertConfig).
#pragma once
#include <string>

namespace tt::nn {

struct BertConfig {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  double classifier_dropout = -1.0;  // < 0: use hidden_dropout_prob, as HF's None
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double initializer_range = 0.02;
  double layer_norm_eps = 1e-12;
  int64_t pad_token_id = 0;
  int64_t num_labels = 2;  // 1 means regression (STS-B), as HF

  // Throws tt::Error naming the file for a missing file, bad JSON, a field of the wrong type,
  // or a model this implementation does not support (hidden_act other than gelu, relative
  // position embeddings, hidden size not divisible by the heads), or a size beyond the bounds
  // in validate() (e.g. hidden_size at most 65536, num_hidden_layers at most 1024).
  static BertConfig from_json_file(const std::string& path);
  void validate(const std::string& source) const;
};

}  // namespace tt::nn

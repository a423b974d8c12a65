// BERT (Devlin et al. 2019) with HF's module tree and parameter names, so an HF checkpoint
// loads name for name:
//   embeddings.{word,position,token_type}_embeddings, embeddings.LayerNorm
//   encoder.layer.N.attention.self.{query,key,value}
//   encoder.layer.N.attention.output.{dense,LayerNorm}
//   encoder.layer.N.intermediate.dense, encoder.layer.N.output.{dense,LayerNorm}
//   pooler.dense
// BertForSequenceClassification adds the "bert." prefix and "classifier", as HF does.
#pragma once
#include "tinytune/nn/bert_config.h"
#include "tinytune/nn/dropout.h"
#include "tinytune/nn/embedding.h"
#include "tinytune/nn/layer_norm.h"
#include "tinytune/nn/linear.h"

namespace tt::nn {

// Model inputs, i64 [batch, seq]. attention_mask: 1 for real tokens, 0 for padding.
struct BertInputs {
  Tensor input_ids, token_type_ids, attention_mask;
};

class BertEmbeddings : public Module {
 public:
  explicit BertEmbeddings(const BertConfig& c);
  Tensor forward(const Tensor& input_ids, const Tensor& token_type_ids);
  std::shared_ptr<Embedding> word_embeddings, position_embeddings, token_type_embeddings;
  std::shared_ptr<LayerNorm> norm;
  std::shared_ptr<Dropout> dropout;
};

class BertSelfAttention : public Module {
 public:
  explicit BertSelfAttention(const BertConfig& c);
  // additive_mask: [batch, 1, 1, seq], 0 for real keys, the dtype's lowest value for padding.
  Tensor forward(const Tensor& x, const Tensor& additive_mask);
  int64_t num_heads, head_dim;
  std::shared_ptr<Linear> query, key, value;
  std::shared_ptr<Dropout> dropout;
};

// dense -> dropout -> LayerNorm(residual + .): BertSelfOutput and BertOutput in HF.
class BertResidualOutput : public Module {
 public:
  BertResidualOutput(int64_t in, const BertConfig& c);
  Tensor forward(const Tensor& h, const Tensor& residual);
  std::shared_ptr<Linear> dense;
  std::shared_ptr<LayerNorm> norm;
  std::shared_ptr<Dropout> dropout;
};

class BertLayer : public Module {
 public:
  explicit BertLayer(const BertConfig& c);
  Tensor forward(const Tensor& x, const Tensor& additive_mask);
  std::shared_ptr<BertSelfAttention> self_attention;     // attention.self
  std::shared_ptr<BertResidualOutput> attention_output;  // attention.output
  std::shared_ptr<Linear> intermediate;                  // intermediate.dense
  std::shared_ptr<BertResidualOutput> output;            // output
};

struct BertOutputs {
  Tensor last_hidden_state;  // [batch, seq, hidden]
  Tensor pooled;             // [batch, hidden]: tanh(dense(h[:, 0]))
};

class BertModel : public Module {
 public:
  explicit BertModel(const BertConfig& c);
  BertOutputs forward(const BertInputs& inputs);
  BertConfig config;
  std::shared_ptr<BertEmbeddings> embeddings;
  std::vector<std::shared_ptr<BertLayer>> layers;  // encoder.layer.N
  std::shared_ptr<Linear> pooler;                  // pooler.dense
};

class BertForSequenceClassification : public Module {
 public:
  explicit BertForSequenceClassification(const BertConfig& c);
  Tensor forward(const BertInputs& inputs);  // logits [batch, num_labels]
  std::shared_ptr<BertModel> bert;
  std::shared_ptr<Dropout> dropout;
  std::shared_ptr<Linear> classifier;
};

}  // namespace tt::nn

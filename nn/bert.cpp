#include "tinytune/nn/bert.h"

#include <cmath>
#include <limits>

#include "tinytune/core/ops.h"

namespace tt::nn {

BertEmbeddings::BertEmbeddings(const BertConfig& c) {
  word_embeddings = register_module(
      "word_embeddings",
      std::make_shared<Embedding>(c.vocab_size, c.hidden_size, c.initializer_range, c.pad_token_id));
  position_embeddings = register_module(
      "position_embeddings",
      std::make_shared<Embedding>(c.max_position_embeddings, c.hidden_size, c.initializer_range));
  token_type_embeddings = register_module(
      "token_type_embeddings",
      std::make_shared<Embedding>(c.type_vocab_size, c.hidden_size, c.initializer_range));
  norm = register_module("LayerNorm", std::make_shared<LayerNorm>(c.hidden_size, c.layer_norm_eps));
  dropout = register_module("dropout", std::make_shared<Dropout>(c.hidden_dropout_prob));
}

Tensor BertEmbeddings::forward(const Tensor& input_ids, const Tensor& token_type_ids) {
  const int64_t seq = input_ids.size(1);
  const int64_t max_positions = position_embeddings->weight.size(0);
  TT_CHECK(seq <= max_positions, "BertEmbeddings: sequence length ", seq,
           " exceeds max_position_embeddings ", max_positions);
  Tensor positions = arange(0, static_cast<double>(seq), 1, DType::i64).unsqueeze(0);
  Tensor h = add(add(word_embeddings->forward(input_ids), position_embeddings->forward(positions)),
                 token_type_embeddings->forward(token_type_ids));
  return dropout->forward(norm->forward(h));
}

BertSelfAttention::BertSelfAttention(const BertConfig& c)
    : num_heads(c.num_attention_heads), head_dim(c.hidden_size / c.num_attention_heads) {
  query = register_module("query", std::make_shared<Linear>(c.hidden_size, c.hidden_size, true, c.initializer_range));
  key = register_module("key", std::make_shared<Linear>(c.hidden_size, c.hidden_size, true, c.initializer_range));
  value = register_module("value", std::make_shared<Linear>(c.hidden_size, c.hidden_size, true, c.initializer_range));
  dropout = register_module("dropout", std::make_shared<Dropout>(c.attention_probs_dropout_prob));
}

Tensor BertSelfAttention::forward(const Tensor& x, const Tensor& additive_mask) {
  const int64_t batch = x.size(0), seq = x.size(1);
  // [B, S, H] -> [B, heads, S, head_dim]
  auto split_heads = [&](const Tensor& t) {
    return t.view({batch, seq, num_heads, head_dim}).permute({0, 2, 1, 3});
  };
  Tensor q = split_heads(query->forward(x));
  Tensor k = split_heads(key->forward(x));
  Tensor v = split_heads(value->forward(x));
  // dropout(softmax(q kᵀ / sqrt(head_dim) + mask)) v: on the CPU exactly those ops; on CUDA one
  // flash-attention kernel (core/ops/attention). The dropout mask comes from the default
  // generator as this module's Dropout would draw it.
  const double p = dropout->is_training() ? dropout->p : 0.0;
  Tensor context = scaled_dot_product_attention(
      q, k, v, additive_mask, 1.0 / std::sqrt(static_cast<double>(head_dim)), p);
  // [B, heads, S, head_dim] -> [B, S, H]
  return context.permute({0, 2, 1, 3}).reshape({batch, seq, num_heads * head_dim});
}

BertResidualOutput::BertResidualOutput(int64_t in, const BertConfig& c) {
  dense = register_module("dense", std::make_shared<Linear>(in, c.hidden_size, true, c.initializer_range));
  norm = register_module("LayerNorm", std::make_shared<LayerNorm>(c.hidden_size, c.layer_norm_eps));
  dropout = register_module("dropout", std::make_shared<Dropout>(c.hidden_dropout_prob));
}

Tensor BertResidualOutput::forward(const Tensor& h, const Tensor& residual) {
  // LayerNorm(dropout(dense(h)) + residual); the add is fused into the norm on CUDA.
  return add_layer_norm(dropout->forward(dense->forward(h)), residual, norm->weight, norm->bias,
                        norm->eps);
}

namespace {
// attention.self and attention.output live under one "attention" module in HF's tree.
struct BertAttentionNames : Module {
  BertAttentionNames(std::shared_ptr<BertSelfAttention> s, std::shared_ptr<BertResidualOutput> o) {
    register_module("self", std::move(s));
    register_module("output", std::move(o));
  }
};
struct IntermediateNames : Module {
  explicit IntermediateNames(std::shared_ptr<Linear> dense) { register_module("dense", std::move(dense)); }
};
}  // namespace

BertLayer::BertLayer(const BertConfig& c) {
  self_attention = std::make_shared<BertSelfAttention>(c);
  attention_output = std::make_shared<BertResidualOutput>(c.hidden_size, c);
  register_module("attention", std::make_shared<BertAttentionNames>(self_attention, attention_output));
  intermediate = std::make_shared<Linear>(c.hidden_size, c.intermediate_size, true, c.initializer_range);
  register_module("intermediate", std::make_shared<IntermediateNames>(intermediate));
  output = register_module("output", std::make_shared<BertResidualOutput>(c.intermediate_size, c));
}

namespace {
// gelu(dense(h)). For a plain Linear (no active adapter) the bias add is fused into the GELU:
// bias_gelu(h Wᵀ, b), the same ops as gelu(dense(h)) on the CPU and one pass on CUDA. An
// adapter's output goes through gelu as it is.
Tensor dense_gelu(Linear& dense, const Tensor& h) {
  const bool plain = !(dense.adapter && !dense.adapter->merged) && dense.bias.defined();
  if (!plain) return gelu(dense.forward(h));
  TT_CHECK(h.dim() >= 1 && h.size(-1) == dense.in_features, "Linear: input of shape ",
           shape_str(h.shape()), " does not end in in_features = ", dense.in_features);
  return bias_gelu(matmul(h, dense.weight.transpose(0, 1)), dense.bias);
}
}  // namespace

Tensor BertLayer::forward(const Tensor& x, const Tensor& additive_mask) {
  Tensor h = attention_output->forward(self_attention->forward(x, additive_mask), x);
  return output->forward(dense_gelu(*intermediate, h), h);
}

namespace {
struct EncoderNames : Module {
  explicit EncoderNames(const std::vector<std::shared_ptr<BertLayer>>& layers) {
    for (size_t i = 0; i < layers.size(); ++i) register_module("layer." + std::to_string(i), layers[i]);
  }
};
struct PoolerNames : Module {
  explicit PoolerNames(std::shared_ptr<Linear> dense) { register_module("dense", std::move(dense)); }
};
}  // namespace

BertModel::BertModel(const BertConfig& c) : config(c) {
  c.validate("BertModel");
  embeddings = register_module("embeddings", std::make_shared<BertEmbeddings>(c));
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers.push_back(std::make_shared<BertLayer>(c));
  register_module("encoder", std::make_shared<EncoderNames>(layers));
  pooler = std::make_shared<Linear>(c.hidden_size, c.hidden_size, true, c.initializer_range);
  register_module("pooler", std::make_shared<PoolerNames>(pooler));
}

BertOutputs BertModel::forward(const BertInputs& in) {
  TT_CHECK(in.input_ids.dim() == 2, "BertModel: input_ids must be [batch, seq], got ",
           shape_str(in.input_ids.shape()));
  const Shape& shape = in.input_ids.shape();
  Tensor types = in.token_type_ids.defined() ? in.token_type_ids : zeros(shape, DType::i64);
  Tensor mask = in.attention_mask.defined() ? in.attention_mask : ones(shape, DType::i64);
  TT_CHECK(types.shape() == shape && mask.shape() == shape, "BertModel: token_type_ids ",
           shape_str(types.shape()), " and attention_mask ", shape_str(mask.shape()),
           " must match input_ids ", shape_str(shape));
  // HF's extended attention mask: (1 - mask) * lowest, broadcast over heads and queries.
  const DType dtype = embeddings->word_embeddings->weight.dtype();
  const double lowest = dtype == DType::f32 ? std::numeric_limits<float>::lowest()
                                            : std::numeric_limits<double>::lowest();
  Tensor additive_mask = mul(sub(1.0, mask.to(dtype)), lowest)
                             .view({shape[0], 1, 1, shape[1]})
                             .to(embeddings->word_embeddings->weight.device());
  Tensor h = embeddings->forward(in.input_ids, types);
  for (auto& layer : layers) h = layer->forward(h, additive_mask);
  Tensor first_token = h.narrow(1, 0, 1).squeeze(1);
  return {h, tanh(pooler->forward(first_token))};
}

BertForSequenceClassification::BertForSequenceClassification(const BertConfig& c) {
  bert = register_module("bert", std::make_shared<BertModel>(c));
  dropout = register_module("dropout", std::make_shared<Dropout>(
      c.classifier_dropout >= 0 ? c.classifier_dropout : c.hidden_dropout_prob));
  classifier = register_module(
      "classifier", std::make_shared<Linear>(c.hidden_size, c.num_labels, true, c.initializer_range));
}

Tensor BertForSequenceClassification::forward(const BertInputs& inputs) {
  return classifier->forward(dropout->forward(bert->forward(inputs).pooled));
}

}  // namespace tt::nn

// Scaled dot-product attention, as BERT's self-attention computes it:
//   out = dropout(softmax(scale * q kᵀ + mask)) v
#pragma once
#include "tinytune/core/random.h"
#include "tinytune/core/tensor.h"

namespace tt {

// q [batch, heads, seq_q, head_dim], k [batch, heads, seq_k, head_dim],
// v [batch, heads, seq_k, head_dim_v] (floating, one dtype and device); mask: undefined, or
// an additive key mask [batch or 1, 1, 1, seq_k] of q's dtype (BERT's (1 - attention_mask) *
// lowest), a constant that gets no gradient. dropout_p: dropout on the probabilities (0 in
// eval), drawn from `gen` exactly as dropout() draws it. Returns [batch, heads, seq_q,
// head_dim_v]. A query row whose every key is masked with -inf outputs zeros and passes no
// gradient to q, k or v (the guarded softmax of softmax.h), on every device.
//
// The CPU computes the composite matmul, mul, add, softmax, dropout, matmul: the op's
// definition and test oracle. CUDA, f32 with head_dim 32 or 64 (and head_dim_v == head_dim):
// one flash-attention kernel that never stores the seq_q x seq_k matrix (backward included);
// other dtypes and head dims run the composite on the GPU.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& mask, double scale, double dropout_p = 0.0,
                                    Generator& gen = default_generator());

}  // namespace tt

// Kernel entry points of scaled_dot_product_attention: CUDA only (the CPU path is the
// composite of basic ops, attention.cpp). f32, head_dim 32 or 64.
//
// q, k, v, out and the gradients are [batch, heads, seq, head_dim] views with unit stride
// along head_dim (any strides elsewhere, so BERT's permuted heads need no copy). mask is
// undefined or [batch or 1, 1, 1, seq_k] with any strides. stats holds, per query row
// (b, h, i) at 2 * ((b * heads + h) * seq_q + i), the row max of the scores and 1 / the sum of
// their exponentials (the forward writes them; the backward recomputes the probabilities); a
// fully masked row (every score -inf) has (0, 0), which makes its probabilities 0.
#pragma once
#include <cstdint>

#include "tinytune/core/tensor.h"

namespace tt::cuda {

struct AttentionDropout {
  double p = 0.0;  // 0: off
  uint64_t seed = 0, start = 0;  // the generator's seed and first counter (dropout.cpp)
};

// Whether the fused kernels take this problem: f32, head_dim 32 or 64, v's head_dim the same.
// (Plain C++, so attention.cpp may ask in any build.)
inline bool attention_fused_supported(DType dtype, int64_t head_dim, int64_t head_dim_v) {
  return dtype == DType::f32 && (head_dim == 32 || head_dim == 64) && head_dim_v == head_dim;
}

void attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                       double scale, const AttentionDropout& dropout, const Tensor& out,
                       const Tensor& stats);
// Writes grad_q, grad_k, grad_v (each written once per element: no atomics, deterministic).
void attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                        double scale, const AttentionDropout& dropout, const Tensor& out,
                        const Tensor& stats, const Tensor& grad_out, const Tensor& grad_q,
                        const Tensor& grad_k, const Tensor& grad_v);

}  // namespace tt::cuda

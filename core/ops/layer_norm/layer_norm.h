// Layer normalisation over the last dim (BERT's LayerNorm; PyTorch's eps default is 1e-5,
// BERT's config uses 1e-12), and its fused form with the residual add in front.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

// weight and bias have shape [x.size(-1)]; either may be undefined (then 1 and 0).
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps = 1e-5);

// layer_norm(x + residual, weight, bias, eps): the end of a post-LN residual block (BERT's
// LayerNorm(dropout(dense(h)) + h)). x and residual have the same shape, dtype and device.
// The CPU computes exactly that composite; CUDA runs one fused kernel.
Tensor add_layer_norm(const Tensor& x, const Tensor& residual, const Tensor& weight,
                      const Tensor& bias, double eps = 1e-5);

}  // namespace tt

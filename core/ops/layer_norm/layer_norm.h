// Layer normalisation over the last dim (BERT's LayerNorm; PyTorch's eps default is 1e-5,
// BERT's config uses 1e-12).
#pragma once
#include "core/tensor.h"

namespace tt {

// weight and bias have shape [x.size(-1)]; either may be undefined (then 1 and 0).
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps = 1e-5);

}  // namespace tt

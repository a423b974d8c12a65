// bias + GELU fused: gelu(x + bias), the activation after BERT's intermediate dense layer.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

// x [..., D] floating, bias [D] of x's dtype and device; GELU in its exact erf form.
// The CPU computes the composite gelu(add(x, bias)); CUDA runs one fused kernel each way.
Tensor bias_gelu(const Tensor& x, const Tensor& bias);

}  // namespace tt

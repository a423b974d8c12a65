// Elementwise functions of one tensor.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);
Tensor tanh(const Tensor& x);
Tensor gelu(const Tensor& x);  // exact erf form, as BERT: x * Phi(x)
Tensor relu(const Tensor& x);

inline Tensor operator-(const Tensor& x) { return neg(x); }

}  // namespace tt

// Matrix product with NumPy/PyTorch semantics: 2-D, batched, broadcasting batch dims;
// a 1-D operand is treated as a row (left) or column (right) vector and that dim dropped.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

Tensor matmul(const Tensor& a, const Tensor& b);

}  // namespace tt

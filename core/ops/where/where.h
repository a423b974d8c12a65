// Selection by a condition: where(cond, a, b) and masked_fill(x, mask, value).
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

// out = cond ? a : b elementwise, with cond, a, b broadcast together. cond may be of any
// dtype; non-zero means true.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// out = mask ? value : x (mask broadcast to x's shape; non-zero means true).
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);

}  // namespace tt

// Kernel entry points of softmax/log_softmax. Tensors are contiguous and read as
// [outer, n, inner] with the softmax dim in the middle.
#pragma once
#include "core/tensor.h"

namespace tt::cpu {

void softmax_forward(const Tensor& x, const Tensor& y, int64_t outer, int64_t n, int64_t inner,
                     bool log);
// softmax:     dx = y * (g - Σ g*y)
// log_softmax: dx = g - exp(y) * Σ g
void softmax_backward(const Tensor& y, const Tensor& grad_y, const Tensor& grad_x,
                      int64_t outer, int64_t n, int64_t inner, bool log);

}  // namespace tt::cpu

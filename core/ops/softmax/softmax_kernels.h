// Kernel entry points of softmax/log_softmax, one namespace per device (the cuda:: ones are
// defined in softmax_cuda.cu, built only with CUDA). Tensors are contiguous and read as
// [outer, n, inner] with the softmax dim in the middle.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt::cpu {

void softmax_forward(const Tensor& x, const Tensor& y, int64_t outer, int64_t n, int64_t inner,
                     bool log);
// softmax:     dx = y * (g - Σ g*y)
// log_softmax: dx = g - exp(y) * Σ g
void softmax_backward(const Tensor& y, const Tensor& grad_y, const Tensor& grad_x,
                      int64_t outer, int64_t n, int64_t inner, bool log);

}  // namespace tt::cpu

namespace tt::cuda {

void softmax_forward(const Tensor& x, const Tensor& y, int64_t outer, int64_t n, int64_t inner,
                     bool log);
void softmax_backward(const Tensor& y, const Tensor& grad_y, const Tensor& grad_x,
                      int64_t outer, int64_t n, int64_t inner, bool log);

}  // namespace tt::cuda

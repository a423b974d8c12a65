// Kernel entry points of bias_gelu: CUDA only (the CPU path is the composite of add and gelu).
// x, y, grad_y, grad_x are contiguous [rows, D]; bias and grad_bias [D].
#pragma once
#include "tinytune/core/tensor.h"

namespace tt::cuda {

void bias_gelu_forward(const Tensor& x, const Tensor& bias, const Tensor& y);
// grad_x = grad_y * gelu'(x + bias); grad_bias (if defined) = Σ_rows grad_x, summed without
// atomics in a fixed order.
void bias_gelu_backward(const Tensor& x, const Tensor& bias, const Tensor& grad_y,
                        const Tensor& grad_x, const Tensor& grad_bias);

}  // namespace tt::cuda

// Kernel entry points of layer_norm and add_layer_norm, one namespace per device (the cuda::
// ones are defined in layer_norm_cuda.cu, built only with CUDA). x, residual, sum, y and the
// gradients are contiguous [rows, D]; mean and rstd [rows]; weight and bias [D] or undefined.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt::cpu {

void layer_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd);
// grad_weight/grad_bias may be undefined when not wanted.
void layer_norm_backward(const Tensor& x, const Tensor& weight, const Tensor& mean,
                         const Tensor& rstd, const Tensor& grad_y, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias);

}  // namespace tt::cpu

namespace tt::cuda {

void layer_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd);
// layer_norm(x + residual) in one kernel; x + residual is also written to `sum` (what the
// backward normalises again).
void add_layer_norm_forward(const Tensor& x, const Tensor& residual, const Tensor& weight,
                            const Tensor& bias, double eps, const Tensor& sum, const Tensor& y,
                            const Tensor& mean, const Tensor& rstd);
void layer_norm_backward(const Tensor& x, const Tensor& weight, const Tensor& mean,
                         const Tensor& rstd, const Tensor& grad_y, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias);

}  // namespace tt::cuda

// Kernel entry points of layer_norm. x, y, grads are contiguous [rows, D]; mean and rstd [rows].
#pragma once
#include "core/tensor.h"

namespace tt::cpu {

void layer_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd);
// grad_weight/grad_bias may be undefined when not wanted.
void layer_norm_backward(const Tensor& x, const Tensor& weight, const Tensor& mean,
                         const Tensor& rstd, const Tensor& grad_y, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias);

}  // namespace tt::cpu

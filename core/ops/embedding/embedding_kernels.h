// Kernel entry points of embedding. indices are contiguous i64, already range-checked.
#pragma once
#include "core/tensor.h"

namespace tt::cpu {

void embedding_forward(const Tensor& weight, const Tensor& indices, const Tensor& out);
// grad_weight must be zeroed; grad is contiguous [n, D].
void embedding_backward(const Tensor& grad, const Tensor& indices, const Tensor& grad_weight);

}  // namespace tt::cpu

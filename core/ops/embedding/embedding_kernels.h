// Kernel entry points of embedding, one namespace per device (the cuda:: ones are defined in
// embedding_cuda.cu, built only with CUDA). indices are contiguous i64 on the weight's device,
// already range-checked.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt::cpu {

void embedding_forward(const Tensor& weight, const Tensor& indices, const Tensor& out);
// grad_weight must be zeroed; grad is contiguous [n, D].
void embedding_backward(const Tensor& grad, const Tensor& indices, const Tensor& grad_weight);

}  // namespace tt::cpu

namespace tt::cuda {

void embedding_forward(const Tensor& weight, const Tensor& indices, const Tensor& out);
// grad_weight must be zeroed; grad is contiguous [n, D]. Deterministic (no float atomics) while
// tt::cuda::deterministic() is on; float atomics otherwise.
void embedding_backward(const Tensor& grad, const Tensor& indices, const Tensor& grad_weight);

}  // namespace tt::cuda

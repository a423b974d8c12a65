// Kernel entry points of the Givens stages. x, out, grads are contiguous [rows, d] (rows = numel
// / d); blocks contiguous [d − 1, 2, 2]; adjoint selects R x (stage 1 first, blocks as they are)
// instead of Rᵀ x (stage L first, blocks transposed).
#pragma once
#include "tinytune/core/tensor.h"

namespace tt::cpu {

void givens_forward(const Tensor& x, const Tensor& blocks, bool adjoint, const Tensor& out);
// grad_x and grad_blocks of out = givens_forward(x, blocks, adjoint), both written (the x
// gradient is the chain the block gradient needs anyway). The forward is recomputed per row.
void givens_backward(const Tensor& x, const Tensor& blocks, bool adjoint, const Tensor& grad_out,
                     const Tensor& grad_x, const Tensor& grad_blocks);
// angles [n] -> blocks [n, 2, 2]; and its backward grad_blocks [n, 2, 2] -> grad_angles [n].
void givens_rotation_blocks_forward(const Tensor& angles, const Tensor& blocks);
void givens_rotation_blocks_backward(const Tensor& angles, const Tensor& grad_blocks,
                                     const Tensor& grad_angles);

}  // namespace tt::cpu

namespace tt::cuda {

void givens_forward(const Tensor& x, const Tensor& blocks, bool adjoint, const Tensor& out);
void givens_backward(const Tensor& x, const Tensor& blocks, bool adjoint, const Tensor& grad_out,
                     const Tensor& grad_x, const Tensor& grad_blocks);
void givens_rotation_blocks_forward(const Tensor& angles, const Tensor& blocks);
void givens_rotation_blocks_backward(const Tensor& angles, const Tensor& grad_blocks,
                                     const Tensor& grad_angles);

}  // namespace tt::cuda

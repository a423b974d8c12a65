// Kernel entry points of the unary ops, called by unary.cpp.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

enum class UnaryOp { neg, exp, log, sqrt, pow, tanh, gelu, relu };

namespace cpu {
// x and y contiguous, same shape. `exponent` is used by pow only.
void unary_forward(UnaryOp op, double exponent, const Tensor& x, const Tensor& y);
// grad_x = grad_y * f'(x), using the saved y where that is cheaper. All contiguous.
void unary_backward(UnaryOp op, double exponent, const Tensor& x, const Tensor& y,
                    const Tensor& grad_y, const Tensor& grad_x);
}  // namespace cpu

namespace cuda {
// The same contracts on the current CUDA device (unary_cuda.cu).
void unary_forward(UnaryOp op, double exponent, const Tensor& x, const Tensor& y);
void unary_backward(UnaryOp op, double exponent, const Tensor& x, const Tensor& y,
                    const Tensor& grad_y, const Tensor& grad_x);
}  // namespace cuda

}  // namespace tt

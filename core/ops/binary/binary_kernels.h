// Kernel entry points of the binary ops (one per device), called by binary.cpp.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

enum class BinaryOp { add, sub, mul, div };

namespace cpu {
// out has the broadcast shape of a and b and is contiguous; a and b may be any strided views.
void binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
}  // namespace cpu

namespace cuda {
// The same contract, all three on the current CUDA device (binary_cuda.cu).
void binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
}  // namespace cuda

}  // namespace tt

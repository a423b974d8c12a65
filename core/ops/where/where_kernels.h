// Kernel entry point of where. out is contiguous with the broadcast shape of cond, a, b.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

namespace cpu {
void where_forward(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out);
}  // namespace cpu

namespace cuda {
// The same contract on the current CUDA device (where_cuda.cu).
void where_forward(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out);
}  // namespace cuda

}  // namespace tt

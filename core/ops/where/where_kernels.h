// Kernel entry point of where. out is contiguous with the broadcast shape of cond, a, b.
#pragma once
#include "core/tensor.h"

namespace tt::cpu {

void where_forward(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out);

}  // namespace tt::cpu

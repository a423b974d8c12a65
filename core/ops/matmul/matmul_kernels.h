// Kernel entry point of matmul. a [..., M, K], b [..., K, N] with batch dims that broadcast
// to out's; out contiguous [batch..., M, N]. a and b may be strided (transposed views are
// passed to GEMM as transposes, without a copy).
#pragma once
#include "core/tensor.h"

namespace tt::cpu {

void matmul_forward(const Tensor& a, const Tensor& b, const Tensor& out);

}  // namespace tt::cpu

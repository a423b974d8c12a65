// Kernel entry points of matmul. a [..., M, K], b [..., K, N] with batch dims that broadcast
// to out's; out contiguous [batch..., M, N]. a and b may be strided (transposed views are
// passed to GEMM as transposes, without a copy).
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

// The precision of a CUDA matmul of f32 tensors.
enum class MatmulPrecision {
  f32,   // f32 GEMM (exact fp32, or TF32 when allowed: core/blas/gemm_cuda.h)
  bf16,  // inputs rounded to bf16, fp32 accumulation, f32 output (autocast, core/autocast.h)
};

namespace cpu {
void matmul_forward(const Tensor& a, const Tensor& b, const Tensor& out);
}  // namespace cpu

namespace cuda {
// The same contract, all three f32 on the current CUDA device (matmul_cuda.cu).
void matmul_forward(const Tensor& a, const Tensor& b, const Tensor& out,
                    MatmulPrecision precision);
}  // namespace cuda

}  // namespace tt

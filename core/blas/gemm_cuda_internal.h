// Shared by the CUDA GEMM backends (include from .cu files only).
#pragma once
#include <cstdint>

#include "tinytune/core/blas/gemm_cuda.h"

namespace tt::blas::detail {

// What every backend does first: checks the arguments (tt::Error naming `name`), then handles
// the calls that need no product. Returns true when nothing is left to do: M, N or the batch
// count is 0, or K == 0 or alpha == 0, where C = beta * C is done here (C = 0 when beta == 0,
// without reading C). Guarantees, on false: M, N, K >= 1 and batch.count >= 1.
bool gemm_cuda_prologue(const char* name, bool trans_a, bool trans_b, int64_t M, int64_t N,
                        int64_t K, float alpha, int64_t lda, int64_t ldb, float beta, float* C,
                        int64_t ldc, const GemmBatch& batch);

// Largest grid.y / grid.z of a launch (CUDA's limit); batches beyond it run as several launches.
inline constexpr int64_t kMaxGridYZ = 65535;

}  // namespace tt::blas::detail

// The CUDA GEMM entry points (core/blas/gemm_cuda.h): argument checks and the trivial cases
// shared by both backends, then the selected backend.
#include <algorithm>

#include "tinytune/core/blas/gemm.h"
#include "tinytune/core/blas/gemm_cuda.h"
#include "tinytune/core/blas/gemm_cuda_internal.h"
#include "tinytune/core/cuda/cuda_check.h"
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/cuda/stream.h"
#include "tinytune/core/error.h"

namespace tt::blas {

namespace {

// C[b][r][c] = beta * C[b][r][c] (0 when beta == 0, C not read) for r < rows, c < cols.
__global__ void scale_c_kernel(float* C, int64_t rows, int64_t cols, int64_t ldc,
                               int64_t stride_c, int64_t count, float beta) {
  const int64_t per_matrix = rows * cols;
  TT_GRID_STRIDE_LOOP(i, per_matrix * count) {
    const int64_t b = i / per_matrix, rc = i % per_matrix;
    float* p = C + b * stride_c + (rc / cols) * ldc + rc % cols;
    *p = beta == 0.0f ? 0.0f : beta * *p;
  }
}

}  // namespace

namespace detail {

bool gemm_cuda_prologue(const char* name, bool trans_a, bool trans_b, int64_t M, int64_t N,
                        int64_t K, float alpha, int64_t lda, int64_t ldb, float beta, float* C,
                        int64_t ldc, const GemmBatch& batch) {
  check_gemm_args(name, trans_a, trans_b, M, N, K, lda, ldb, ldc);
  TT_CHECK(batch.count >= 0, name, ": negative batch count ", batch.count);
  TT_CHECK(batch.stride_a >= 0 && batch.stride_b >= 0 && batch.stride_c >= 0, name,
           ": negative batch stride (a ", batch.stride_a, ", b ", batch.stride_b, ", c ",
           batch.stride_c, ")");
  // Each C matrix is written by its own blocks, so they must not overlap.
  TT_CHECK(batch.count <= 1 || M == 0 || N == 0 || batch.stride_c >= (M - 1) * ldc + N, name,
           ": batch.stride_c=", batch.stride_c, " makes the C matrices overlap (each spans ",
           (M - 1) * ldc + N, " elements)");
  if (M == 0 || N == 0 || batch.count == 0) return true;
  if (K == 0 || alpha == 0.0f) {
    if (beta == 1.0f) return true;
    const int64_t n = M * N * batch.count;
    scale_c_kernel<<<tt::cuda::blocks_for(n, tt::cuda::kThreads), tt::cuda::kThreads, 0,
                     tt::cuda::current_stream()>>>(C, M, N, ldc, batch.stride_c, batch.count,
                                                   beta);
    TT_CUDA_CHECK_LAUNCH();
    return true;
  }
  return false;
}

}  // namespace detail

void gemm_cuda(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
               const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
               int64_t ldc, const GemmBatch& batch) {
  if (cuda_gemm_backend() == CudaGemmBackend::own)
    gemm_cuda_own(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, batch);
  else
    gemm_cuda_cublas(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, batch);
}

void gemm_cuda(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
               const bfloat16* A, int64_t lda, const bfloat16* B, int64_t ldb, float beta,
               float* C, int64_t ldc, const GemmBatch& batch) {
  if (cuda_gemm_backend() == CudaGemmBackend::own)
    gemm_cuda_own(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, batch);
  else
    gemm_cuda_cublas(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, batch);
}

}  // namespace tt::blas

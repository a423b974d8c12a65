// GEMM on a CUDA device: the entry point of the CUDA matmul, with the same conventions as
// gemm() in core/blas/gemm.h (row-major; op(X) = X or X^T; lda/ldb/ldc are row strides in
// elements), on device pointers of the current device, queued on current_stream():
//
//   C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b]    for b in [0, batch.count)
//   where X[b] = X + b * batch.stride_x (strides in elements; 0 broadcasts one matrix).
//
// Two input precisions, both accumulating and writing f32:
//   f32  x f32  -> f32   exact fp32 FMA unless TF32 is allowed (below; cuBLAS only)
//   bf16 x bf16 -> f32   tensor cores, fp32 accumulation (what autocast uses, core/autocast.h)
// beta == 0 never reads C (so C may hold garbage, NaN included), as in BLAS; alpha == 0 or
// K == 0 never reads A or B.
//
// Backends, selectable at run time so both run in one process (as for the CPU, gemm.h):
//   cublas  cuBLAS cublasGemmStridedBatchedEx_64 (default): one handle per device, bound to
//           current_stream(), its workspace taken from the caching allocator.
//   own     tinytune's kernels: f32 is a register-blocked SIMT kernel (core/blas/gemm_cuda_f32.cu),
//           bf16 an mma.sync tensor-core kernel (core/blas/gemm_cuda_bf16.cu).
// Plain C++ header (no CUDA headers). The selection and TF32 switch work in any build; the
// gemm_cuda* functions exist only in a build with CUDA (call them under TINYTUNE_WITH_CUDA).
#pragma once
#include <cstdint>
#include <string>

#include "tinytune/core/dtype.h"

namespace tt::blas {

enum class CudaGemmBackend {
  cublas,  // cuBLAS (default)
  own,     // tinytune's kernels
};

// Process-wide. The initial value comes from the environment variable TINYTUNE_CUDA_GEMM
// ("cublas" or "own"); unset means cublas.
void set_cuda_gemm_backend(CudaGemmBackend backend);
CudaGemmBackend cuda_gemm_backend();
CudaGemmBackend parse_cuda_gemm_backend(const std::string& name);  // throws on unknown names
const char* to_string(CudaGemmBackend backend);

// TF32 for f32 GEMMs (off by default; initial value from TINYTUNE_CUDA_TF32 = 0 or 1). When on,
// cuBLAS may round f32 inputs to TF32 (10 explicit mantissa bits, relative error up to 2^-11 per
// input) and multiply on the tensor cores (CUBLAS_COMPUTE_32F_FAST_TF32); when off it computes
// in plain fp32 (CUBLAS_COMPUTE_32F, CUBLAS_DEFAULT_MATH). The own f32 kernel is exact fp32
// either way: it has no TF32 variant.
void set_cuda_allow_tf32(bool allow);
bool cuda_allow_tf32();

struct GemmBatch {
  int64_t count = 1;
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;  // elements between consecutive matrices
};

// Through the selected backend. Argument errors (check_gemm_args, negative batch values)
// throw tt::Error naming "gemm_cuda".
void gemm_cuda(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
               const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
               int64_t ldc, const GemmBatch& batch = {});
void gemm_cuda(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
               const bfloat16* A, int64_t lda, const bfloat16* B, int64_t ldb, float beta,
               float* C, int64_t ldc, const GemmBatch& batch = {});

// The backends themselves (same contract), for tests and benchmarks that compare them.
void gemm_cuda_cublas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                      const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                      float* C, int64_t ldc, const GemmBatch& batch = {});
void gemm_cuda_cublas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                      const bfloat16* A, int64_t lda, const bfloat16* B, int64_t ldb,
                      float beta, float* C, int64_t ldc, const GemmBatch& batch = {});
void gemm_cuda_own(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                   const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                   float* C, int64_t ldc, const GemmBatch& batch = {});
void gemm_cuda_own(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                   const bfloat16* A, int64_t lda, const bfloat16* B, int64_t ldb, float beta,
                   float* C, int64_t ldc, const GemmBatch& batch = {});

}  // namespace tt::blas

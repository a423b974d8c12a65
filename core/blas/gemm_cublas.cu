// The cuBLAS backend of the CUDA GEMM (core/blas/gemm_cuda.h).
//
// cuBLAS is column-major; a row-major matrix X with row stride ld is, read column-major, X^T
// with the same ld. So row-major C = op(A)·op(B) is computed as column-major
//   C^T = op(B)^T · op(A)^T:  cuBLAS's "A" is our B, its "B" is our A, m = N, n = M,
// and each operand keeps its own transpose flag (a row-major [K,N] B read column-major is
// already op(B)^T when op(B) = B; a transposed one needs CUBLAS_OP_T).
//
// One handle per device, created on first use and kept for the life of the process (as the
// stream it is bound to: core/cuda/stream.h), with a workspace from the caching allocator so
// cuBLAS never allocates behind our back (cublasSetStream would reset it to cuBLAS's own pool,
// so the workspace is set after the stream). A mutex per handle serialises the math-mode
// setting and the call: both are host-side and cheap, the GEMM itself runs asynchronously.
#include <array>
#include <memory>
#include <mutex>

#include "tinytune/core/blas/gemm_cuda.h"
#include "tinytune/core/blas/gemm_cuda_internal.h"
#include "tinytune/core/cuda/allocator.h"
#include "tinytune/core/cuda/cuda_check.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/cuda/stream.h"
#include "tinytune/core/error.h"

namespace tt::blas {

namespace {

// NVIDIA's recommendation for Hopper (cuBLAS docs, cublasSetWorkspace): 32 MiB.
constexpr size_t kWorkspaceBytes = size_t{32} << 20;
constexpr int kMaxDevices = 64;

struct CublasHandle {
  std::mutex mutex;
  cublasHandle_t handle = nullptr;
  cudaStream_t stream = nullptr;
  void* workspace = nullptr;
};

std::array<std::unique_ptr<CublasHandle>, kMaxDevices>& handles() {
  static auto* all = new std::array<std::unique_ptr<CublasHandle>, kMaxDevices>;  // never freed
  return *all;
}

// The handle of the current device, created on first use; locked by the caller.
CublasHandle& handle_for_current_device() {
  static std::mutex creation_mutex;
  const int device = tt::cuda::current_device();
  TT_CHECK(device < kMaxDevices, "gemm_cuda_cublas: device index ", device, " exceeds ",
           kMaxDevices);
  std::lock_guard<std::mutex> lock(creation_mutex);
  std::unique_ptr<CublasHandle>& slot = handles()[device];
  if (!slot) {
    auto h = std::make_unique<CublasHandle>();
    TT_CUBLAS_CHECK(cublasCreate(&h->handle));
    h->workspace = tt::cuda::device_malloc(kWorkspaceBytes);  // kept with the handle
    slot = std::move(h);
  }
  // Bound on creation; checked on every call in case the device's stream is ever replaced.
  CublasHandle& h = *slot;
  const cudaStream_t stream = tt::cuda::current_stream();
  if (h.stream != stream) {
    TT_CUBLAS_CHECK(cublasSetStream(h.handle, stream));
    TT_CUBLAS_CHECK(cublasSetWorkspace(h.handle, h.workspace, kWorkspaceBytes));
    h.stream = stream;
  }
  return h;
}

cublasOperation_t op(bool trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }

void run(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
         const void* A, int64_t lda, const void* B, int64_t ldb, float beta, float* C,
         int64_t ldc, const GemmBatch& batch, cudaDataType in_type, bool tf32) {
  CublasHandle& h = handle_for_current_device();
  std::lock_guard<std::mutex> lock(h.mutex);
  // TF32 only when asked for, and only for f32 inputs (bf16 inputs accumulate in fp32 anyway).
  const bool fast_tf32 = tf32 && in_type == CUDA_R_32F;
  TT_CUBLAS_CHECK(
      cublasSetMathMode(h.handle, fast_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  const cublasComputeType_t compute =
      fast_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  TT_CUBLAS_CHECK(cublasGemmStridedBatchedEx_64(
      h.handle, op(trans_b), op(trans_a), N, M, K, &alpha, B, in_type, ldb, batch.stride_b, A,
      in_type, lda, batch.stride_a, &beta, C, CUDA_R_32F, ldc, batch.stride_c, batch.count,
      compute, CUBLAS_GEMM_DEFAULT));
}

}  // namespace

void gemm_cuda_cublas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                      const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                      float* C, int64_t ldc, const GemmBatch& batch) {
  if (detail::gemm_cuda_prologue("gemm_cuda_cublas", trans_a, trans_b, M, N, K, alpha, lda,
                                 ldb, beta, C, ldc, batch))
    return;
  run(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, batch, CUDA_R_32F,
      cuda_allow_tf32());
}

void gemm_cuda_cublas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                      const bfloat16* A, int64_t lda, const bfloat16* B, int64_t ldb,
                      float beta, float* C, int64_t ldc, const GemmBatch& batch) {
  if (detail::gemm_cuda_prologue("gemm_cuda_cublas", trans_a, trans_b, M, N, K, alpha, lda,
                                 ldb, beta, C, ldc, batch))
    return;
  run(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, batch, CUDA_R_16BF,
      false);
}

}  // namespace tt::blas

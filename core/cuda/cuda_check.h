// Error checks for CUDA runtime and cuBLAS calls. Include from .cu files only.
//
//   TT_CUDA_CHECK(cudaMemcpyAsync(...));   // throws tt::Error: file:line, the call, the reason
//   kernel<<<grid, block, 0, current_stream()>>>(...);
//   TT_CUDA_CHECK_LAUNCH();                // a bad launch configuration surfaces here
//   TT_CUBLAS_CHECK(cublasGemmEx(...));    // names the cublasStatus_t (CUBLAS_STATUS_...)
//
// Asynchronous faults inside a kernel (an out-of-bounds access) surface at the next
// synchronising call; run with CUDA_LAUNCH_BLOCKING=1 to pin them to their launch.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace tt::cuda::detail {
[[noreturn]] void throw_cuda_error(cudaError_t status, const char* expr, const char* file,
                                   int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file,
                                     int line);
}  // namespace tt::cuda::detail

#define TT_CUDA_CHECK(expr)                                                          \
  do {                                                                               \
    const cudaError_t tt_cuda_status_ = (expr);                                      \
    if (tt_cuda_status_ != cudaSuccess)                                              \
      ::tt::cuda::detail::throw_cuda_error(tt_cuda_status_, #expr, __FILE__, __LINE__); \
  } while (0)

// Right after a kernel launch: reports an invalid configuration or a launch failure.
#define TT_CUDA_CHECK_LAUNCH() TT_CUDA_CHECK(cudaGetLastError())

#define TT_CUBLAS_CHECK(expr)                                                          \
  do {                                                                                 \
    const cublasStatus_t tt_cublas_status_ = (expr);                                   \
    if (tt_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                    \
      ::tt::cuda::detail::throw_cublas_error(tt_cublas_status_, #expr, __FILE__, __LINE__); \
  } while (0)

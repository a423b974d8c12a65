// The CUDA runtime entry points of core/cuda/runtime.h and the error reporting behind
// core/cuda/cuda_check.h.
#include <atomic>

#include "tinytune/core/cuda/cuda_check.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/cuda/stream.h"
#include "tinytune/core/error.h"

namespace tt::cuda {

namespace detail {

void throw_cuda_error(cudaError_t status, const char* expr, const char* file, int line) {
  throw Error(tt::detail::concat(file, ":", line, ": CUDA call `", expr, "` failed: ",
                                 cudaGetErrorName(status), " (", cudaGetErrorString(status),
                                 ")"));
}

void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file, int line) {
  throw Error(tt::detail::concat(file, ":", line, ": cuBLAS call `", expr, "` failed: ",
                                 cublasGetStatusName(status), " (",
                                 cublasGetStatusString(status), ")"));
}

}  // namespace detail

int device_count() {
  // Asked once: the answer cannot change while the process runs. No driver or no device is
  // an answer (0), not an error; the failed call's error is cleared so no later check sees it.
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      (void)cudaGetLastError();
      n = 0;
    }
    return n;
  }();
  return count;
}

bool is_available() { return device_count() > 0; }

int current_device() {
  TT_CHECK(is_available(), "CUDA: no CUDA device is available (device_count() is 0)");
  int device = 0;
  TT_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

void synchronize() { TT_CUDA_CHECK(cudaStreamSynchronize(current_stream())); }

std::string device_name() {
  cudaDeviceProp prop{};
  TT_CUDA_CHECK(cudaGetDeviceProperties(&prop, current_device()));
  return prop.name;
}

namespace {
std::atomic<bool> deterministic_mode{true};
}  // namespace

bool deterministic() { return deterministic_mode.load(std::memory_order_relaxed); }
void set_deterministic(bool on) { deterministic_mode.store(on, std::memory_order_relaxed); }

void built_without_cuda(const char* op) {
  throw Error(tt::detail::concat(op, ": built without CUDA"));
}

}  // namespace tt::cuda

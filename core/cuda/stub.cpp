// The CUDA runtime of a build without CUDA (TINYTUNE_CUDA=OFF or no nvcc): no device exists,
// and every entry point that would touch one throws "... built without CUDA". Compiled instead
// of the core/cuda/*.cu files; see core/cuda/runtime.h for how ops reach their CUDA kernels.
#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "tinytune/core/cuda/allocator.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/error.h"

namespace tt::cuda {

namespace {
std::atomic<bool> deterministic_mode{true};
}  // namespace

void built_without_cuda(const char* op) {
  throw Error(tt::detail::concat(op, ": built without CUDA"));
}

int device_count() { return 0; }
bool is_available() { return false; }
int current_device() { built_without_cuda("cuda::current_device"); }
void synchronize() { built_without_cuda("cuda::synchronize"); }
std::string device_name() { built_without_cuda("cuda::device_name"); }
bool deterministic() { return deterministic_mode.load(std::memory_order_relaxed); }
void set_deterministic(bool on) { deterministic_mode.store(on, std::memory_order_relaxed); }

void* device_malloc(size_t) { built_without_cuda("cuda::device_malloc"); }
void device_free(void* ptr) {
  if (ptr == nullptr) return;
  // Unreachable (device_malloc never returns here); destructors call it, so no throw.
  std::fprintf(stderr, "tt::cuda::device_free: %p: built without CUDA\n", ptr);
  std::abort();
}
void empty_cache() { built_without_cuda("cuda::empty_cache"); }
AllocatorStats allocator_stats() { built_without_cuda("cuda::allocator_stats"); }

}  // namespace tt::cuda

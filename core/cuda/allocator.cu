// The caching allocator (policy in core/cuda/allocator.h).
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tinytune/core/cuda/allocator.h"
#include "tinytune/core/cuda/cuda_check.h"
#include "tinytune/core/cuda/free_lists.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/error.h"

namespace tt::cuda {

namespace {

constexpr size_t kSmallLimit = size_t{1} << 20;        // up to 1 MiB: "small"
constexpr size_t kSmallGranularity = 512;
constexpr size_t kLargeGranularity = size_t{2} << 20;  // 2 MiB

size_t round_size(size_t nbytes) {
  const size_t granularity = nbytes <= kSmallLimit ? kSmallGranularity : kLargeGranularity;
  return (nbytes + granularity - 1) / granularity * granularity;
}

struct Block {
  size_t size;  // rounded
  int device;
};

struct AllocatorState {
  std::mutex mutex;
  std::unordered_map<void*, Block> in_use;
  FreeLists free_lists;
  AllocatorStats stats;
};

// Never destroyed: tensors freed during static destruction still find it, and device_free
// makes no CUDA call, so nothing runs after the CUDA runtime has shut down.
AllocatorState& state() {
  static AllocatorState* instance = new AllocatorState;
  return *instance;
}

// cudaFree of every cached block. Caller holds the mutex. Each block leaves its free list
// before cudaFree sees it (drain_free_lists): when a cudaFree throws midway, the blocks freed
// so far are no longer listed, so the next release does not free them twice.
void release_cached_blocks(AllocatorState& s) {
  drain_free_lists(s.free_lists, [&s](void* ptr, size_t size) {
    s.stats.reserved_bytes -= size;
    TT_CUDA_CHECK(cudaFree(ptr));
  });
}

}  // namespace

void* device_malloc(size_t nbytes) {
  if (nbytes == 0) return nullptr;
  const size_t size = round_size(nbytes);
  const int device = current_device();
  AllocatorState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);

  void* ptr = nullptr;
  auto hit = s.free_lists.find({device, size});
  if (hit != s.free_lists.end() && !hit->second.empty()) {
    ptr = hit->second.back();
    hit->second.pop_back();
  } else {
    cudaError_t status = cudaMalloc(&ptr, size);
    if (status == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // not sticky, but clear it so no later launch check sees it
      release_cached_blocks(s);
      status = cudaMalloc(&ptr, size);
      if (status == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError();
        throw Error(tt::detail::concat(
            "CUDA out of memory: cannot allocate ", nbytes, " bytes (", size,
            " rounded) on cuda:", device, "; tensors hold ", s.stats.allocated_bytes,
            " bytes, the cache was emptied and the allocation retried"));
      }
    }
    TT_CUDA_CHECK(status);
    ++s.stats.cuda_malloc_calls;
    s.stats.reserved_bytes += size;
  }
  s.in_use.emplace(ptr, Block{size, device});
  s.stats.allocated_bytes += size;
  if (s.stats.allocated_bytes > s.stats.peak_allocated_bytes)
    s.stats.peak_allocated_bytes = s.stats.allocated_bytes;
  return ptr;
}

void device_free(void* ptr) {
  if (ptr == nullptr) return;
  AllocatorState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.in_use.find(ptr);
  if (it == s.in_use.end()) {
    // Called from destructors, so it cannot throw; a pointer we never handed out is a bug.
    std::fprintf(stderr, "tt::cuda::device_free: %p was not allocated by device_malloc\n", ptr);
    std::abort();
  }
  const Block block = it->second;
  s.in_use.erase(it);
  s.free_lists[{block.device, block.size}].push_back(ptr);
  s.stats.allocated_bytes -= block.size;
}

void empty_cache() {
  AllocatorState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  release_cached_blocks(s);
}

AllocatorStats allocator_stats() {
  AllocatorState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.stats;
}

}  // namespace tt::cuda

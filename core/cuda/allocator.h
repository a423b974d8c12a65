// The caching allocator behind every CUDA tensor (Storage calls it). cudaMalloc and cudaFree
// synchronise the device and cost tens of microseconds, so freed blocks are kept and handed
// out again instead:
//   - sizes are rounded up: to 512 B up to 1 MiB ("small"), to 2 MiB above ("large"), so
//     nearby sizes share a free list;
//   - a freed block goes onto the free list of its (device, rounded size); an allocation of
//     that size takes it back, and only a miss calls cudaMalloc;
//   - on out-of-memory the cache is emptied (cudaFree of every free block) and cudaMalloc is
//     tried once more; if that fails too, tt::Error names the size requested.
// All work runs on one stream per device (core/cuda/stream.h), so a block freed while a kernel
// still reads it is reused only by work queued after that kernel: reuse needs no event.
// Thread-safe (one mutex). Plain C++: no CUDA headers.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tt::cuda {

// A block of at least nbytes on the current device; nullptr for nbytes == 0.
void* device_malloc(size_t nbytes);
// Returns a block from device_malloc to the cache (nullptr is ignored). Never throws.
void device_free(void* ptr);
// cudaFree of every cached (free) block; blocks in use are untouched.
void empty_cache();

struct AllocatorStats {
  size_t allocated_bytes = 0;       // in blocks handed out now (rounded sizes)
  size_t reserved_bytes = 0;        // obtained from cudaMalloc and not yet released
  size_t peak_allocated_bytes = 0;  // the maximum of allocated_bytes so far
  int64_t cuda_malloc_calls = 0;    // successful cudaMalloc calls so far
};
AllocatorStats allocator_stats();

}  // namespace tt::cuda

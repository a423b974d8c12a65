#include "tinytune/core/storage.h"

#include <cstdlib>
#include <new>

#include "tinytune/core/cuda/allocator.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/error.h"

namespace tt {

// 64-byte alignment: one cache line, and the widest vector load (AVX-512) needs no split.
static constexpr size_t kCpuAlignment = 64;

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  switch (device.type) {
    case DeviceType::cpu: {
      size_t rounded = (nbytes + kCpuAlignment - 1) / kCpuAlignment * kCpuAlignment;
      data_ = std::aligned_alloc(kCpuAlignment, rounded == 0 ? kCpuAlignment : rounded);
      if (!data_) throw std::bad_alloc();
      return;
    }
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      // Kernels launch on the current device, so storage must live there too.
      TT_CHECK(device.index == cuda::current_device(), "Storage: cannot allocate on ",
               device.str(), ": the current CUDA device is cuda:", cuda::current_device());
      data_ = cuda::device_malloc(nbytes);  // cached (core/cuda/allocator.h)
      return;
#else
      cuda::built_without_cuda("Storage: CUDA tensors are not available in this build");
#endif
  }
}

Storage::~Storage() {
  switch (device_.type) {
    case DeviceType::cpu: std::free(data_); return;
    case DeviceType::cuda: cuda::device_free(data_); return;
  }
}

}  // namespace tt

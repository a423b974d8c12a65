#include "core/storage.h"

#include <cstdlib>
#include <new>

#include "core/error.h"

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
      throw Error("Storage: CUDA tensors are not available in this build (built without CUDA)");
  }
}

Storage::~Storage() {
  switch (device_.type) {
    case DeviceType::cpu: std::free(data_); return;
    case DeviceType::cuda: return;
  }
}

}  // namespace tt

// One lazily created stream per device (core/cuda/stream.h).
#include <array>
#include <atomic>
#include <mutex>

#include "tinytune/core/cuda/cuda_check.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/cuda/stream.h"
#include "tinytune/core/error.h"

namespace tt::cuda {

namespace {
constexpr int kMaxDevices = 64;
std::array<std::atomic<cudaStream_t>, kMaxDevices> device_streams{};
std::mutex stream_creation_mutex;
}  // namespace

cudaStream_t current_stream() {
  const int device = current_device();
  TT_CHECK(device < kMaxDevices, "CUDA: device index ", device, " exceeds ", kMaxDevices);
  cudaStream_t stream = device_streams[device].load(std::memory_order_acquire);
  if (stream != nullptr) return stream;
  std::lock_guard<std::mutex> lock(stream_creation_mutex);
  stream = device_streams[device].load(std::memory_order_acquire);
  if (stream == nullptr) {
    // A blocking stream (cudaStreamDefault): it also orders against work a library might put
    // on the legacy default stream. Never destroyed: it lives as long as the process.
    TT_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamDefault));
    device_streams[device].store(stream, std::memory_order_release);
  }
  return stream;
}

}  // namespace tt::cuda

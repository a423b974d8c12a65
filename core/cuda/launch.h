// Launch helpers shared by the CUDA kernels. Include from .cu files only.
//
//   const int64_t n = out.numel();
//   if (n == 0) return;                       // a zero-block grid is a launch error
//   scale_kernel<<<blocks_for(n, kThreads), kThreads, 0, current_stream()>>>(n, ...);
//   TT_CUDA_CHECK_LAUNCH();
//   __global__ void scale_kernel(int64_t n, ...) { TT_GRID_STRIDE_LOOP(i, n) { ... } }
//
// or, for a one-line elementwise body (nvcc --extended-lambda is on):
//   launch_elementwise(n, [=] __device__(int64_t i) { po[i] = 2 * pa[i]; });
// (nvcc refuses a __device__ lambda inside a generic lambda such as dispatch_floating's body:
// there, write a functor struct with a __device__ operator() and pass that.)
//
// Tensor pointers for kernels: device_data<T>(t) (element 0 of t on the device).
//
// Indices are int64_t throughout: tensors past 2^31 elements exist (a 32k x 128k logit matrix).
#pragma once
#include <algorithm>
#include <cstdint>

#include "tinytune/core/cuda/cuda_check.h"
#include "tinytune/core/cuda/stream.h"
#include "tinytune/core/error.h"
#include "tinytune/core/shape.h"
#include "tinytune/core/tensor.h"

namespace tt::cuda {

inline constexpr int kThreads = 256;  // threads per block for elementwise kernels
// Grid-stride loops cover any n, so the grid is capped: 65536 blocks of 256 threads are ~60
// waves on an H100 (132 SMs x 2048 threads), plenty to hide latency.
inline constexpr int64_t kMaxBlocks = 65536;

// Blocks for n elements at `threads` per block: ceil(n / threads), at least 1, at most kMaxBlocks.
inline int blocks_for(int64_t n, int threads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<int>(std::clamp<int64_t>(blocks, 1, kMaxBlocks));
}

}  // namespace tt::cuda

// for (int64_t i = global thread id; i < n; i += total threads): every index in [0, n) once.
#define TT_GRID_STRIDE_LOOP(i, n)                                                        \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

namespace tt::cuda {

template <typename F>
__global__ void elementwise_kernel(int64_t n, F f) {
  TT_GRID_STRIDE_LOOP(i, n) { f(i); }
}

// Calls f(i) on the device for every i in [0, n), on current_stream(); nothing for n == 0.
// f: a __device__ lambda or a functor with `__device__ void operator()(int64_t) const`.
template <typename F>
void launch_elementwise(int64_t n, F f) {
  if (n <= 0) return;
  elementwise_kernel<<<blocks_for(n, kThreads), kThreads, 0, current_stream()>>>(n, f);
  TT_CUDA_CHECK_LAUNCH();
}

// The device pointer to element 0 of a CUDA tensor (storage + offset); T must match its dtype.
// (Tensor::data<T>() is for host memory and refuses CUDA tensors.)
template <typename T>
T* device_data(const Tensor& t) {
  TT_CHECK(t.dtype() == dtype_of<T>(), "CUDA kernel: requested ", dtype_name(dtype_of<T>()),
           " data from a tensor of dtype ", dtype_name(t.dtype()));
  TT_CHECK(t.device().type == DeviceType::cuda, "CUDA kernel: the tensor of shape ",
           shape_str(t.shape()), " is on ", t.device().str(), ", expected a CUDA tensor");
  return static_cast<T*>(t.raw_data());
}

inline constexpr int kMaxDims = 8;

// Maps the row-major linear index of an element of `shape` to its element offset in a strided
// tensor: offset + sum_d index_d * strides[d]. Built on the host, passed to kernels by value.
// Size-1 dims are dropped and dims that are contiguous with each other merged first, so most
// views index with one or two divisions; more than kMaxDims dims left after that is an error.
// For broadcasting, pass the operand's broadcast_strides(...) against the output shape.
struct StridedIndexer {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
  int64_t offset = 0;

  StridedIndexer() = default;
  StridedIndexer(const Shape& shape, const Shape& strides_in, int64_t offset_in)
      : offset(offset_in) {
    // Merge from the innermost dim outwards; the list is built innermost-first, then reversed.
    int64_t merged_sizes[64], merged_strides[64];
    int count = 0;
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (shape[d] == 1) continue;
      if (count > 0 && merged_strides[count - 1] * merged_sizes[count - 1] == strides_in[d]) {
        merged_sizes[count - 1] *= shape[d];  // dim d steps exactly over the merged inner dims
        continue;
      }
      TT_CHECK(count < 64, "StridedIndexer: too many dims (", shape.size(), ")");
      merged_sizes[count] = shape[d];
      merged_strides[count] = strides_in[d];
      ++count;
    }
    TT_CHECK(count <= kMaxDims, "CUDA kernels: a view of shape ", shape_str(shape),
             " and strides ", shape_str(strides_in), " has ", count,
             " non-mergeable dims; at most ", kMaxDims, " are supported");
    ndim = count;
    for (int k = 0; k < count; ++k) {
      sizes[k] = merged_sizes[count - 1 - k];
      strides[k] = merged_strides[count - 1 - k];
    }
  }

  __host__ __device__ int64_t operator()(int64_t linear) const {
    int64_t result = offset;
    for (int d = kMaxDims - 1; d >= 0; --d) {  // fixed bounds: nvcc unrolls it
      if (d >= ndim) continue;
      const int64_t size = sizes[d];
      result += (linear % size) * strides[d];
      linear /= size;
    }
    return result;
  }
};

}  // namespace tt::cuda

// Strided copy with dtype conversion, fill, and host<->device transfers (core/cuda/copy.h).
#include "tinytune/core/cuda/copy.h"
#include "tinytune/core/cuda/launch.h"

namespace tt::cuda {

namespace {

template <typename D, typename S>
__global__ void copy_contiguous_kernel(D* dst, const S* src, int64_t n) {
  TT_GRID_STRIDE_LOOP(i, n) { dst[i] = static_cast<D>(src[i]); }
}

template <typename D, typename S>
__global__ void copy_strided_kernel(D* dst, StridedIndexer dst_index, const S* src,
                                    StridedIndexer src_index, int64_t n) {
  TT_GRID_STRIDE_LOOP(i, n) { dst[dst_index(i)] = static_cast<D>(src[src_index(i)]); }
}

template <typename T>
__global__ void fill_kernel(T* out, StridedIndexer index, T value, int64_t n) {
  TT_GRID_STRIDE_LOOP(i, n) { out[index(i)] = value; }
}

}  // namespace

void copy_strided(const Tensor& dst, const Tensor& src) {
  TT_CHECK(dst.shape() == src.shape(), "copy_into: destination shape ", shape_str(dst.shape()),
           " differs from source shape ", shape_str(src.shape()));
  const int64_t n = dst.numel();
  if (n == 0) return;
  const bool flat = dst.is_contiguous() && src.is_contiguous();
  if (flat && dst.dtype() == src.dtype()) {
    TT_CUDA_CHECK(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), n * dtype_size(dst.dtype()),
                                  cudaMemcpyDeviceToDevice, current_stream()));
    return;
  }
  // dispatch_storage: bf16 is copied and converted too (core/dtype.h).
  dispatch_storage(dst.dtype(), [&](auto dst_tag) {
    using D = decltype(dst_tag);
    dispatch_storage(src.dtype(), [&](auto src_tag) {
      using S = decltype(src_tag);
      const int blocks = blocks_for(n, kThreads);
      if (flat) {
        copy_contiguous_kernel<D, S><<<blocks, kThreads, 0, current_stream()>>>(
            device_data<D>(dst), device_data<S>(src), n);
      } else {
        copy_strided_kernel<D, S><<<blocks, kThreads, 0, current_stream()>>>(
            device_data<D>(dst), StridedIndexer(dst.shape(), dst.strides(), 0),
            device_data<S>(src), StridedIndexer(src.shape(), src.strides(), 0), n);
      }
      TT_CUDA_CHECK_LAUNCH();
    });
  });
}

void fill(const Tensor& out, double value) {
  const int64_t n = out.numel();
  if (n == 0) return;
  dispatch_storage(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    fill_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, current_stream()>>>(
        device_data<T>(out), StridedIndexer(out.shape(), out.strides(), 0),
        static_cast<T>(value), n);
    TT_CUDA_CHECK_LAUNCH();
  });
}

void copy_host_to_device(void* device, const void* host, size_t nbytes) {
  if (nbytes == 0) return;
  TT_CUDA_CHECK(
      cudaMemcpyAsync(device, host, nbytes, cudaMemcpyHostToDevice, current_stream()));
}

void copy_device_to_host(void* host, const void* device, size_t nbytes) {
  if (nbytes == 0) return;
  cudaStream_t stream = current_stream();
  TT_CUDA_CHECK(cudaMemcpyAsync(host, device, nbytes, cudaMemcpyDeviceToHost, stream));
  TT_CUDA_CHECK(cudaStreamSynchronize(stream));
}

}  // namespace tt::cuda

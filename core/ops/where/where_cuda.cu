// CUDA kernel of where: one thread per output element, each operand read through its
// broadcast strides.
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/ops/where/where_kernels.h"

namespace tt::cuda {

namespace {

template <typename C, typename T>
__global__ void where_kernel(const C* cond, StridedIndexer cond_index, const T* a,
                             StridedIndexer a_index, const T* b, StridedIndexer b_index, T* out,
                             int64_t n) {
  TT_GRID_STRIDE_LOOP(i, n) {
    out[i] = cond[cond_index(i)] != C(0) ? a[a_index(i)] : b[b_index(i)];
  }
}

}  // namespace

void where_forward(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const Shape& shape = out.shape();
  const StridedIndexer cond_index(shape, broadcast_strides(cond.shape(), cond.strides(), shape), 0);
  const StridedIndexer a_index(shape, broadcast_strides(a.shape(), a.strides(), shape), 0);
  const StridedIndexer b_index(shape, broadcast_strides(b.shape(), b.strides(), shape), 0);
  dispatch_all(cond.dtype(), [&](auto cond_tag) {
    using C = decltype(cond_tag);
    dispatch_all(out.dtype(), [&](auto tag) {
      using T = decltype(tag);
      where_kernel<C, T><<<blocks_for(n, kThreads), kThreads, 0, current_stream()>>>(
          device_data<C>(cond), cond_index, device_data<T>(a), a_index, device_data<T>(b),
          b_index, device_data<T>(out), n);
      TT_CUDA_CHECK_LAUNCH();
    });
  });
}

}  // namespace tt::cuda

// CUDA kernels of add/sub/mul/div: a flat kernel when both inputs are contiguous with the
// output's shape, else one that reads each input through its broadcast strides (stride 0 on
// broadcast dims; scalars and non-contiguous views included). One thread per output element.
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/ops/binary/binary_kernels.h"

namespace tt::cuda {

namespace {

struct AddOp {
  template <typename T> __device__ T operator()(T x, T y) const { return x + y; }
};
struct SubOp {
  template <typename T> __device__ T operator()(T x, T y) const { return x - y; }
};
struct MulOp {
  template <typename T> __device__ T operator()(T x, T y) const { return x * y; }
};
struct DivOp {
  template <typename T> __device__ T operator()(T x, T y) const { return x / y; }
};

template <typename T, typename Op>
__global__ void binary_flat_kernel(const T* a, const T* b, T* out, int64_t n, Op op) {
  TT_GRID_STRIDE_LOOP(i, n) { out[i] = op(a[i], b[i]); }
}

template <typename T, typename Op>
__global__ void binary_strided_kernel(const T* a, StridedIndexer a_index, const T* b,
                                      StridedIndexer b_index, T* out, int64_t n, Op op) {
  TT_GRID_STRIDE_LOOP(i, n) { out[i] = op(a[a_index(i)], b[b_index(i)]); }
}

template <typename T, typename Op>
void run(const Tensor& a, const Tensor& b, const Tensor& out, Op op) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const int blocks = blocks_for(n, kThreads);
  const bool a_flat = a.is_contiguous() && a.shape() == out.shape();
  const bool b_flat = b.is_contiguous() && b.shape() == out.shape();
  if (a_flat && b_flat) {
    binary_flat_kernel<T><<<blocks, kThreads, 0, current_stream()>>>(
        device_data<T>(a), device_data<T>(b), device_data<T>(out), n, op);
  } else {
    const StridedIndexer a_index(out.shape(), broadcast_strides(a.shape(), a.strides(), out.shape()), 0);
    const StridedIndexer b_index(out.shape(), broadcast_strides(b.shape(), b.strides(), out.shape()), 0);
    binary_strided_kernel<T><<<blocks, kThreads, 0, current_stream()>>>(
        device_data<T>(a), a_index, device_data<T>(b), b_index, device_data<T>(out), n, op);
  }
  TT_CUDA_CHECK_LAUNCH();
}

}  // namespace

void binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  dispatch_all(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    switch (op) {
      case BinaryOp::add: return run<T>(a, b, out, AddOp{});
      case BinaryOp::sub: return run<T>(a, b, out, SubOp{});
      case BinaryOp::mul: return run<T>(a, b, out, MulOp{});
      case BinaryOp::div: return run<T>(a, b, out, DivOp{});
    }
  });
}

}  // namespace tt::cuda

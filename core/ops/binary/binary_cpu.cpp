// CPU kernels of add/sub/mul/div: a flat loop when both inputs are contiguous (or one is a
// scalar), the strided broadcast iterator otherwise.
#include "tinytune/core/ops/binary/binary_kernels.h"
#include "tinytune/core/ops/iterate.h"

namespace tt::cpu {

namespace {

template <typename T, typename F>
void run(const Tensor& a, const Tensor& b, const Tensor& out, F f) {
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out.data<T>();
  const int64_t n = out.numel();
  const bool a_flat = a.is_contiguous() && a.shape() == out.shape();
  const bool b_flat = b.is_contiguous() && b.shape() == out.shape();
  if (a_flat && b_flat) {
#pragma omp parallel for simd if (n >= kParallelGrain)
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
  } else if (a_flat && b.numel() == 1) {
    const T s = pb[0];
#pragma omp parallel for simd if (n >= kParallelGrain)
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], s);
  } else if (b_flat && a.numel() == 1) {
    const T s = pa[0];
#pragma omp parallel for simd if (n >= kParallelGrain)
    for (int64_t i = 0; i < n; ++i) po[i] = f(s, pb[i]);
  } else {
    Shape sa = broadcast_strides(a.shape(), a.strides(), out.shape());
    Shape sb = broadcast_strides(b.shape(), b.strides(), out.shape());
    for_each_offset<3>(out.shape(), {&sa, &sb, &out.strides()},
                       [&](const std::array<int64_t, 3>& o) { po[o[2]] = f(pa[o[0]], pb[o[1]]); });
  }
}

}  // namespace

void binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  dispatch_all(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    switch (op) {
      case BinaryOp::add: return run<T>(a, b, out, [](T x, T y) { return x + y; });
      case BinaryOp::sub: return run<T>(a, b, out, [](T x, T y) { return x - y; });
      case BinaryOp::mul: return run<T>(a, b, out, [](T x, T y) { return x * y; });
      case BinaryOp::div: return run<T>(a, b, out, [](T x, T y) { return x / y; });
    }
  });
}

}  // namespace tt::cpu

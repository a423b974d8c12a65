// CPU kernels of the reductions. Each output element is reduced by one thread in index order,
// so results are the same whatever the thread count.
#include <algorithm>

#include "tinytune/core/ops/iterate.h"
#include "tinytune/core/ops/reduce/reduce_kernels.h"

namespace tt::cpu {

void sum_rows(const Tensor& x, const Tensor& out, int64_t rows, int64_t cols) {
  dispatch_floating(x.dtype(), "sum", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* po = out.data<T>();
#pragma omp parallel for if (rows * cols >= kParallelGrain && rows > 1)
    for (int64_t r = 0; r < rows; ++r) {
      double acc = 0.0;
      const T* row = px + r * cols;
      for (int64_t c = 0; c < cols; ++c) acc += static_cast<double>(row[c]);
      po[r] = static_cast<T>(acc);
    }
  });
}

void sum_columns(const Tensor& x, const Tensor& out, int64_t rows, int64_t cols) {
  dispatch_floating(x.dtype(), "sum", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* po = out.data<T>();
    // A thread owns a strip of columns (its double accumulators stay in L1) and streams the
    // rows through it in order.
    constexpr int64_t kStrip = 256;
    const int64_t strips = (cols + kStrip - 1) / kStrip;
#pragma omp parallel for if (rows * cols >= kParallelGrain && strips > 1)
    for (int64_t s = 0; s < strips; ++s) {
      const int64_t c0 = s * kStrip, width = std::min(kStrip, cols - c0);
      double acc[kStrip] = {};
      for (int64_t r = 0; r < rows; ++r) {
        const T* row = px + r * cols + c0;
        for (int64_t c = 0; c < width; ++c) acc[c] += static_cast<double>(row[c]);
      }
      for (int64_t c = 0; c < width; ++c) po[c0 + c] = static_cast<T>(acc[c]);
    }
  });
}

void max_along(const Tensor& x, const Tensor& values, const Tensor& indices, int64_t outer,
               int64_t n, int64_t inner) {
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* pv = values.data<T>();
    int64_t* pi = indices.data<int64_t>();
#pragma omp parallel for if (outer * n * inner >= kParallelGrain && outer > 1)
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* p = px + o * n * inner + i;
        T best = p[0];
        int64_t best_k = 0;
        for (int64_t k = 1; k < n; ++k) {
          // NaN propagates, as in PyTorch: a NaN is "larger" than anything.
          if (p[k * inner] > best || (p[k * inner] != p[k * inner] && best == best)) {
            best = p[k * inner];
            best_k = k;
          }
        }
        pv[o * inner + i] = best;
        pi[o * inner + i] = best_k;
      }
    }
  });
}

void max_backward(const Tensor& grad, const Tensor& indices, const Tensor& grad_x,
                  int64_t outer, int64_t n, int64_t inner) {
  dispatch_floating(grad.dtype(), "max backward", [&](auto tag) {
    using T = decltype(tag);
    const T* pg = grad.data<T>();
    const int64_t* pi = indices.data<int64_t>();
    T* pdx = grad_x.data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i)
        pdx[(o * n + pi[o * inner + i]) * inner + i] = pg[o * inner + i];
  });
}

}  // namespace tt::cpu

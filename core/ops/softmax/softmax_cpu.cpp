// CPU softmax kernels. Each (outer, inner) line is handled by one thread: three passes over its
// n values (max, sum of exp, write), which stay in L1 at the row lengths of attention. The
// common case, softmax over the last dim (inner == 1), runs on contiguous rows that the
// compiler vectorises (omp simd reductions); other dims walk the line with stride `inner`.
#include <cmath>
#include <limits>

#include "tinytune/core/ops/fast_math.h"
#include "tinytune/core/ops/iterate.h"
#include "tinytune/core/ops/softmax/softmax_kernels.h"

namespace tt::cpu {

namespace {

template <typename T>
void softmax_line(const T* in, T* out, int64_t n, int64_t stride, bool log) {
  T m = in[0];
#pragma omp simd reduction(max : m)
  for (int64_t k = 0; k < n; ++k) m = in[k * stride] > m ? in[k * stride] : m;
  T total = 0;
  if (log) {
#pragma omp simd reduction(+ : total)
    for (int64_t k = 0; k < n; ++k) total += fast_exp(in[k * stride] - m);
    const T shift = m + std::log(total);
#pragma omp simd
    for (int64_t k = 0; k < n; ++k) out[k * stride] = in[k * stride] - shift;
  } else {
    // A line with no entry above -inf (a fully masked row) gives zeros, not 0/0 = NaN: shift by
    // 0 so that every exp is exp(-inf) = 0, and scale by 0. (softmax.h; the CUDA kernels agree.)
    // OpenMP leaves the max reduction's starting value to the compiler: GCC starts at -inf,
    // clang at the lowest finite value, and then m is that value, every exp is 0 and the total
    // is 0. So the scale tests the total, not m.
    const bool all_neg_inf = m == -std::numeric_limits<T>::infinity();
    const T shift = all_neg_inf ? T(0) : m;
#pragma omp simd reduction(+ : total)
    for (int64_t k = 0; k < n; ++k) {
      const T e = fast_exp(in[k * stride] - shift);
      out[k * stride] = e;
      total += e;
    }
    const T inv = total > T(0) ? T(1) / total : T(0);
#pragma omp simd
    for (int64_t k = 0; k < n; ++k) out[k * stride] *= inv;
  }
}

template <typename T>
void softmax_backward_line(const T* y, const T* g, T* dx, int64_t n, int64_t stride, bool log) {
  T dot = 0;
  if (log) {
#pragma omp simd reduction(+ : dot)
    for (int64_t k = 0; k < n; ++k) dot += g[k * stride];
#pragma omp simd
    for (int64_t k = 0; k < n; ++k) dx[k * stride] = g[k * stride] - fast_exp(y[k * stride]) * dot;
  } else {
#pragma omp simd reduction(+ : dot)
    for (int64_t k = 0; k < n; ++k) dot += g[k * stride] * y[k * stride];
#pragma omp simd
    for (int64_t k = 0; k < n; ++k) dx[k * stride] = y[k * stride] * (g[k * stride] - dot);
  }
}

}  // namespace

void softmax_forward(const Tensor& x, const Tensor& y, int64_t outer, int64_t n, int64_t inner,
                     bool log) {
  dispatch_floating(x.dtype(), "softmax", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    const int64_t lines = outer * inner;
#pragma omp parallel for if (lines * n >= kParallelGrain && lines > 1)
    for (int64_t line = 0; line < lines; ++line) {
      const int64_t base = (line / inner) * n * inner + line % inner;
      if (inner == 1)
        softmax_line(px + base, py + base, n, 1, log);  // contiguous: stride known at compile time
      else
        softmax_line(px + base, py + base, n, inner, log);
    }
  });
}

void softmax_backward(const Tensor& y, const Tensor& grad_y, const Tensor& grad_x,
                      int64_t outer, int64_t n, int64_t inner, bool log) {
  dispatch_floating(y.dtype(), "softmax backward", [&](auto tag) {
    using T = decltype(tag);
    const T* py = y.data<T>();
    const T* pg = grad_y.data<T>();
    T* pdx = grad_x.data<T>();
    const int64_t lines = outer * inner;
#pragma omp parallel for if (lines * n >= kParallelGrain && lines > 1)
    for (int64_t line = 0; line < lines; ++line) {
      const int64_t base = (line / inner) * n * inner + line % inner;
      if (inner == 1)
        softmax_backward_line(py + base, pg + base, pdx + base, n, 1, log);
      else
        softmax_backward_line(py + base, pg + base, pdx + base, n, inner, log);
    }
  });
}

}  // namespace tt::cpu

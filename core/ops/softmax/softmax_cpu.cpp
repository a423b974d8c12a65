// CPU softmax kernels. Each (outer, inner) line is handled by one thread: three passes over n
// values (max, sum of exp, write), which stay in L1 for the row lengths of attention.
#include <cmath>

#include "core/ops/iterate.h"
#include "core/ops/softmax/softmax_kernels.h"

namespace tt::cpu {

void softmax_forward(const Tensor& x, const Tensor& y, int64_t outer, int64_t n, int64_t inner,
                     bool log) {
  dispatch_floating(x.dtype(), "softmax", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    const int64_t lines = outer * inner;
#pragma omp parallel for if (lines * n >= kParallelGrain && lines > 1)
    for (int64_t line = 0; line < lines; ++line) {
      const int64_t o = line / inner, i = line % inner;
      const T* in = px + o * n * inner + i;
      T* out = py + o * n * inner + i;
      T m = in[0];
      for (int64_t k = 1; k < n; ++k) m = std::max(m, in[k * inner]);
      T total = 0;
      if (log) {
        for (int64_t k = 0; k < n; ++k) total += std::exp(in[k * inner] - m);
        const T shift = m + std::log(total);
        for (int64_t k = 0; k < n; ++k) out[k * inner] = in[k * inner] - shift;
      } else {
        for (int64_t k = 0; k < n; ++k) {
          T e = std::exp(in[k * inner] - m);
          out[k * inner] = e;
          total += e;
        }
        const T inv = T(1) / total;
        for (int64_t k = 0; k < n; ++k) out[k * inner] *= inv;
      }
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
      const T* yl = py + base;
      const T* gl = pg + base;
      T* dl = pdx + base;
      T dot = 0;
      if (log) {
        for (int64_t k = 0; k < n; ++k) dot += gl[k * inner];
        for (int64_t k = 0; k < n; ++k) dl[k * inner] = gl[k * inner] - std::exp(yl[k * inner]) * dot;
      } else {
        for (int64_t k = 0; k < n; ++k) dot += gl[k * inner] * yl[k * inner];
        for (int64_t k = 0; k < n; ++k) dl[k * inner] = yl[k * inner] * (gl[k * inner] - dot);
      }
    }
  });
}

}  // namespace tt::cpu

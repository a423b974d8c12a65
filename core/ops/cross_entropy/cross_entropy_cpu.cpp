// CPU cross-entropy kernels: one row per thread, max-shifted exponentials.
#include <cmath>

#include "tinytune/core/ops/cross_entropy/cross_entropy_kernels.h"
#include "tinytune/core/ops/iterate.h"

namespace tt::cpu {

double cross_entropy_sum(const Tensor& logits, const Tensor& target, int64_t ignore_index) {
  return dispatch_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = logits.shape()[0], c = logits.shape()[1];
    const T* px = logits.data<T>();
    const int64_t* pt = target.data<int64_t>();
    double total = 0.0;
    // Summed in row order on one thread: the loss is bit-identical across thread counts.
    for (int64_t r = 0; r < n; ++r) {
      if (pt[r] == ignore_index) continue;
      const T* row = px + r * c;
      double m = row[0];
      for (int64_t k = 1; k < c; ++k) m = std::max<double>(m, row[k]);
      double s = 0.0;
      for (int64_t k = 0; k < c; ++k) s += std::exp(row[k] - m);
      total += m + std::log(s) - row[pt[r]];
    }
    return total;
  });
}

void cross_entropy_backward(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                            double scale, const Tensor& grad_logits) {
  dispatch_floating(logits.dtype(), "cross_entropy backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = logits.shape()[0], c = logits.shape()[1];
    const T* px = logits.data<T>();
    const int64_t* pt = target.data<int64_t>();
    T* pd = grad_logits.data<T>();
#pragma omp parallel for if (n * c >= kParallelGrain)
    for (int64_t r = 0; r < n; ++r) {
      const T* row = px + r * c;
      T* drow = pd + r * c;
      if (pt[r] == ignore_index) {
        for (int64_t k = 0; k < c; ++k) drow[k] = T(0);
        continue;
      }
      double m = row[0];
      for (int64_t k = 1; k < c; ++k) m = std::max<double>(m, row[k]);
      double s = 0.0;
      for (int64_t k = 0; k < c; ++k) s += std::exp(row[k] - m);
      for (int64_t k = 0; k < c; ++k)
        drow[k] = static_cast<T>(scale * (std::exp(row[k] - m) / s - (k == pt[r] ? 1.0 : 0.0)));
    }
  });
}

}  // namespace tt::cpu

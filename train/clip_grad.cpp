#include "train/clip_grad.h"

#include <cmath>

#include "core/error.h"

namespace tt::train {

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  TT_CHECK(max_norm > 0, "clip_grad_norm: max_norm must be > 0, got ", max_norm);
  double sum_sq = 0.0;  // in double, in parameter order: the same norm on every run
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    dispatch_floating(g.dtype(), "clip_grad_norm", [&](auto tag) {
      using T = decltype(tag);
      const T* pg = g.data<T>();
      for (int64_t i = 0; i < g.numel(); ++i) sum_sq += static_cast<double>(pg[i]) * pg[i];
    });
  }
  const double norm = std::sqrt(sum_sq);
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) {
    for (const Tensor& p : params) {
      Tensor g = p.grad();
      if (!g.defined()) continue;
      dispatch_floating(g.dtype(), "clip_grad_norm", [&](auto tag) {
        using T = decltype(tag);
        T* pg = g.data<T>();
        for (int64_t i = 0; i < g.numel(); ++i) pg[i] = static_cast<T>(pg[i] * coef);
      });
    }
  }
  return norm;
}

}  // namespace tt::train

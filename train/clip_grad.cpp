#include "tinytune/train/clip_grad.h"

#include <cmath>

#include "tinytune/core/error.h"
#include "tinytune/core/ops.h"

namespace tt::train {

namespace {

// Σ g² of one CPU gradient, accumulated in double in element order. (n is read once: numel()
// is an out-of-line call, which in the loop condition cost 3.6% of a CoLA full fine-tuning
// step and kept the scaling loop below from vectorising.)
double cpu_sum_of_squares(const Tensor& g) {
  double sum_sq = 0.0;
  const int64_t n = g.numel();
  dispatch_floating(g.dtype(), "clip_grad_norm", [&](auto tag) {
    using T = decltype(tag);
    const T* pg = g.data<T>();
    for (int64_t i = 0; i < n; ++i) sum_sq += static_cast<double>(pg[i]) * pg[i];
  });
  return sum_sq;
}

}  // namespace

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  TT_CHECK(max_norm > 0, "clip_grad_norm: max_norm must be > 0, got ", max_norm);
  // Per-tensor sums, added in double in parameter order: the same norm on every run. CUDA
  // gradients are reduced on the device (the sum op's fixed-order kernel) and fetched together,
  // one transfer per step rather than one per tensor.
  double sum_sq = 0.0;
  std::vector<Tensor> device_sums;
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    if (g.device().is_cpu()) {
      sum_sq += cpu_sum_of_squares(g);
    } else {
      NoGradGuard no_grad;
      device_sums.push_back(sum(mul(g, g)).reshape({1}));
    }
  }
  if (!device_sums.empty())
    for (double s : concat(device_sums, 0).to_vector<double>()) sum_sq += s;
  const double norm = std::sqrt(sum_sq);
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) {
    for (const Tensor& p : params) {
      Tensor g = p.grad();
      if (!g.defined()) continue;
      if (!g.device().is_cpu()) {
        NoGradGuard no_grad;
        copy_into(g, mul(g, coef));
        continue;
      }
      const int64_t n = g.numel();
      dispatch_floating(g.dtype(), "clip_grad_norm", [&](auto tag) {
        using T = decltype(tag);
        T* pg = g.data<T>();
        for (int64_t i = 0; i < n; ++i) pg[i] = static_cast<T>(pg[i] * coef);
      });
    }
  }
  return norm;
}

}  // namespace tt::train

// CPU AdamW: one tensor after the other, each a vectorised loop (threads for large tensors).
// The arithmetic is PyTorch's single-tensor AdamW, constants rounded to T first.
#include <cmath>

#include "tinytune/core/ops/adamw_step/adamw_step_kernels.h"

namespace tt::cpu {

namespace {

template <typename T>
void adamw_update(T* p, const T* g, T* m, T* v, int64_t n, double lr, double decay,
                  const AdamWConstants& c) {
  const T keep = static_cast<T>(1.0 - lr * decay), b1 = static_cast<T>(c.beta1),
          b2 = static_cast<T>(c.beta2), step_size = static_cast<T>(lr / c.bias1),
          inv_bias2_sqrt = static_cast<T>(1.0 / c.bias2_sqrt), e = static_cast<T>(c.eps);
#pragma omp parallel for simd if (n >= 65536)
  for (int64_t i = 0; i < n; ++i) {
    const T pi = p[i] * keep;
    const T mi = b1 * m[i] + (T(1) - b1) * g[i];
    const T vi = b2 * v[i] + (T(1) - b2) * g[i] * g[i];
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - step_size * mi / (std::sqrt(vi) * inv_bias2_sqrt + e);
  }
}

}  // namespace

void adamw_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                const std::vector<double>& lr, const std::vector<double>& weight_decay,
                const AdamWConstants& constants) {
  for (size_t i = 0; i < params.size(); ++i) {
    dispatch_floating(params[i].dtype(), "adamw_step", [&](auto tag) {
      using T = decltype(tag);
      adamw_update<T>(params[i].data<T>(), grads[i].data<T>(), exp_avg[i].data<T>(),
                      exp_avg_sq[i].data<T>(), params[i].numel(), lr[i], weight_decay[i],
                      constants);
    });
  }
}

}  // namespace tt::cpu

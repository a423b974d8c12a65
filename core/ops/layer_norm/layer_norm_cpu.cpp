// CPU layer_norm kernels. Rows go to threads; the weight/bias gradients are summed per fixed
// chunk of rows and the chunks added in order, so results do not depend on the thread count.
#include <cmath>
#include <vector>

#include "tinytune/core/ops/iterate.h"
#include "tinytune/core/ops/layer_norm/layer_norm_kernels.h"

namespace tt::cpu {

void layer_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd) {
  dispatch_floating(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    const int64_t d = x.shape().back();
    const int64_t rows = x.numel() / d;
    const T* px = x.data<T>();
    const T* pw = weight.defined() ? weight.data<T>() : nullptr;
    const T* pb = bias.defined() ? bias.data<T>() : nullptr;
    T* py = y.data<T>();
    T* pm = mean.data<T>();
    T* pr = rstd.data<T>();
#pragma omp parallel for if (rows * d >= kParallelGrain && rows > 1)
    for (int64_t r = 0; r < rows; ++r) {
      const T* in = px + r * d;
      T* out = py + r * d;
      // Row statistics in double (two passes: no cancellation), vectorised by omp simd.
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < d; ++j) s += in[j];
      const double mu = s / d;
      double ss = 0;
#pragma omp simd reduction(+ : ss)
      for (int64_t j = 0; j < d; ++j) ss += (in[j] - mu) * (in[j] - mu);
      const double inv = 1.0 / std::sqrt(ss / d + eps);
      const T m = static_cast<T>(mu), rs = static_cast<T>(inv);
      pm[r] = m;
      pr[r] = rs;
      if (pw && pb) {
#pragma omp simd
        for (int64_t j = 0; j < d; ++j) out[j] = (in[j] - m) * rs * pw[j] + pb[j];
      } else {
        for (int64_t j = 0; j < d; ++j) {
          T v = (in[j] - m) * rs;
          if (pw) v *= pw[j];
          if (pb) v += pb[j];
          out[j] = v;
        }
      }
    }
  });
}

void layer_norm_backward(const Tensor& x, const Tensor& weight, const Tensor& mean,
                         const Tensor& rstd, const Tensor& grad_y, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias) {
  dispatch_floating(x.dtype(), "layer_norm backward", [&](auto tag) {
    using T = decltype(tag);
    constexpr int64_t kChunk = 64;  // rows per partial sum of dw/db
    const int64_t d = x.shape().back();
    const int64_t rows = x.numel() / d;
    const int64_t chunks = (rows + kChunk - 1) / kChunk;
    const T* px = x.data<T>();
    const T* pw = weight.defined() ? weight.data<T>() : nullptr;
    const T* pm = mean.data<T>();
    const T* pr = rstd.data<T>();
    const T* pg = grad_y.data<T>();
    T* pdx = grad_x.data<T>();
    const bool want_params = grad_weight.defined() || grad_bias.defined();
    std::vector<T> partial_w(want_params ? chunks * d : 0), partial_b(want_params ? chunks * d : 0);
#pragma omp parallel for if (rows * d >= kParallelGrain && chunks > 1)
    for (int64_t c = 0; c < chunks; ++c) {
      T* pw_acc = want_params ? partial_w.data() + c * d : nullptr;
      T* pb_acc = want_params ? partial_b.data() + c * d : nullptr;
      if (want_params)
        for (int64_t j = 0; j < d; ++j) pw_acc[j] = pb_acc[j] = T(0);
      for (int64_t r = c * kChunk; r < std::min(rows, (c + 1) * kChunk); ++r) {
        const T* in = px + r * d;
        const T* g = pg + r * d;
        T* dx = pdx + r * d;
        const T m = pm[r], rs = pr[r];
        T sum_gh = 0, sum_gh_xhat = 0;
        for (int64_t j = 0; j < d; ++j) {
          const T xhat = (in[j] - m) * rs;
          const T gh = pw ? g[j] * pw[j] : g[j];
          sum_gh += gh;
          sum_gh_xhat += gh * xhat;
          if (want_params) {
            pw_acc[j] += g[j] * xhat;
            pb_acc[j] += g[j];
          }
        }
        const T mean_gh = sum_gh / T(d), mean_gh_xhat = sum_gh_xhat / T(d);
        for (int64_t j = 0; j < d; ++j) {
          const T xhat = (in[j] - m) * rs;
          const T gh = pw ? g[j] * pw[j] : g[j];
          dx[j] = rs * (gh - mean_gh - xhat * mean_gh_xhat);
        }
      }
    }
    if (!want_params) return;
    T* dw = grad_weight.defined() ? grad_weight.data<T>() : nullptr;
    T* db = grad_bias.defined() ? grad_bias.data<T>() : nullptr;
    for (int64_t j = 0; j < d; ++j) {
      T sw = 0, sb = 0;
      for (int64_t c = 0; c < chunks; ++c) {
        sw += partial_w[c * d + j];
        sb += partial_b[c * d + j];
      }
      if (dw) dw[j] = sw;
      if (db) db[j] = sb;
    }
  });
}

}  // namespace tt::cpu

// CPU kernels of the unary ops: flat loops over contiguous data, split across threads.
#include <cmath>

#include "tinytune/core/ops/fast_math.h"
#include "tinytune/core/ops/iterate.h"
#include "tinytune/core/ops/unary/unary_kernels.h"

namespace tt::cpu {

namespace {

template <typename T, typename F>
void map(const Tensor& x, const Tensor& y, F f) {
  const T* px = x.data<T>();
  T* py = y.data<T>();
  const int64_t n = x.numel();
#pragma omp parallel for simd if (n >= kParallelGrain)
  for (int64_t i = 0; i < n; ++i) py[i] = f(px[i]);
}

// grad_x[i] = f(x[i], y[i], g[i])
template <typename T, typename F>
void map_backward(const Tensor& x, const Tensor& y, const Tensor& g, const Tensor& gx, F f) {
  const T* px = x.data<T>();
  const T* py = y.data<T>();
  const T* pg = g.data<T>();
  T* pgx = gx.data<T>();
  const int64_t n = x.numel();
#pragma omp parallel for simd if (n >= kParallelGrain)
  for (int64_t i = 0; i < n; ++i) pgx[i] = f(px[i], py[i], pg[i]);
}

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

}  // namespace

void unary_forward(UnaryOp op, double exponent, const Tensor& x, const Tensor& y) {
  if (op == UnaryOp::neg && !is_floating(x.dtype())) {
    dispatch_all(x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      map<T>(x, y, [](T v) { return static_cast<T>(-v); });
    });
    return;
  }
  dispatch_floating(x.dtype(), "unary", [&](auto tag) {
    using T = decltype(tag);
    const T p = static_cast<T>(exponent);
    switch (op) {
      case UnaryOp::neg: return map<T>(x, y, [](T v) { return -v; });
      case UnaryOp::exp: return map<T>(x, y, [](T v) { return fast_exp(v); });
      case UnaryOp::log: return map<T>(x, y, [](T v) { return std::log(v); });
      case UnaryOp::sqrt: return map<T>(x, y, [](T v) { return std::sqrt(v); });
      case UnaryOp::pow: return map<T>(x, y, [p](T v) { return std::pow(v, p); });
      case UnaryOp::tanh: return map<T>(x, y, [](T v) { return std::tanh(v); });
      case UnaryOp::gelu:
        return map<T>(x, y, [](T v) {
          return v * T(0.5) * (T(1) + fast_erf(v * T(kInvSqrt2)));
        });
      case UnaryOp::relu: return map<T>(x, y, [](T v) { return v > T(0) ? v : T(0); });
    }
  });
}

void unary_backward(UnaryOp op, double exponent, const Tensor& x, const Tensor& y,
                    const Tensor& grad_y, const Tensor& grad_x) {
  dispatch_floating(x.dtype(), "unary backward", [&](auto tag) {
    using T = decltype(tag);
    const T p = static_cast<T>(exponent);
    switch (op) {
      case UnaryOp::neg:
        return map_backward<T>(x, y, grad_y, grad_x, [](T, T, T g) { return -g; });
      case UnaryOp::exp:
        return map_backward<T>(x, y, grad_y, grad_x, [](T, T v, T g) { return g * v; });
      case UnaryOp::log:
        return map_backward<T>(x, y, grad_y, grad_x, [](T u, T, T g) { return g / u; });
      case UnaryOp::sqrt:
        return map_backward<T>(x, y, grad_y, grad_x, [](T, T v, T g) { return g / (T(2) * v); });
      case UnaryOp::pow:
        return map_backward<T>(x, y, grad_y, grad_x,
                               [p](T u, T, T g) { return g * p * std::pow(u, p - T(1)); });
      case UnaryOp::tanh:
        return map_backward<T>(x, y, grad_y, grad_x,
                               [](T, T v, T g) { return g * (T(1) - v * v); });
      case UnaryOp::gelu:
        return map_backward<T>(x, y, grad_y, grad_x, [](T u, T, T g) {
          T cdf = T(0.5) * (T(1) + fast_erf(u * T(kInvSqrt2)));
          T pdf = T(kInvSqrt2Pi) * fast_exp(T(-0.5) * u * u);
          return g * (cdf + u * pdf);
        });
      case UnaryOp::relu:
        return map_backward<T>(x, y, grad_y, grad_x,
                               [](T u, T, T g) { return u > T(0) ? g : T(0); });
    }
  });
}

}  // namespace tt::cpu

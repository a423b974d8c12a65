// CUDA kernels of the unary ops: one thread per element over contiguous data. Float32 uses
// CUDA's expf/erff/tanhf (within 2 ulp); the CPU's float32 exp and erf are faster polynomial
// forms (core/ops/fast_math.h: erf within 1.5e-7 absolute), so float32 gelu agrees with the
// CPU to that absolute error, not to the last bits.
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/ops/unary/unary_kernels.h"

namespace tt::cuda {

namespace {

// Overloads so one functor body serves float and double.
__device__ inline float exp_(float v) { return expf(v); }
__device__ inline double exp_(double v) { return exp(v); }
__device__ inline float log_(float v) { return logf(v); }
__device__ inline double log_(double v) { return log(v); }
__device__ inline float sqrt_(float v) { return sqrtf(v); }
__device__ inline double sqrt_(double v) { return sqrt(v); }
__device__ inline float pow_(float v, float p) { return powf(v, p); }
__device__ inline double pow_(double v, double p) { return pow(v, p); }
__device__ inline float tanh_(float v) { return tanhf(v); }
__device__ inline double tanh_(double v) { return tanh(v); }
__device__ inline float erf_(float v) { return erff(v); }
__device__ inline double erf_(double v) { return erf(v); }

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

// Forward: y = f(x). `p` is pow's exponent (unused by the others).
template <typename T>
struct Forward {
  UnaryOp op;
  T p;
  __device__ T operator()(T v) const {
    switch (op) {
      case UnaryOp::neg: return -v;
      case UnaryOp::exp: return exp_(v);
      case UnaryOp::log: return log_(v);
      case UnaryOp::sqrt: return sqrt_(v);
      case UnaryOp::pow: return pow_(v, p);
      case UnaryOp::tanh: return tanh_(v);
      case UnaryOp::gelu: return v * T(0.5) * (T(1) + erf_(v * T(kInvSqrt2)));
      case UnaryOp::relu: return v > T(0) ? v : T(0);
    }
    return v;
  }
};

// Backward: dx = g * f'(x), from x (u), the saved output y (v) and the incoming gradient g.
template <typename T>
struct Backward {
  UnaryOp op;
  T p;
  __device__ T operator()(T u, T v, T g) const {
    switch (op) {
      case UnaryOp::neg: return -g;
      case UnaryOp::exp: return g * v;
      case UnaryOp::log: return g / u;
      case UnaryOp::sqrt: return g / (T(2) * v);
      case UnaryOp::pow: return g * p * pow_(u, p - T(1));
      case UnaryOp::tanh: return g * (T(1) - v * v);
      case UnaryOp::gelu: {
        const T cdf = T(0.5) * (T(1) + erf_(u * T(kInvSqrt2)));
        const T pdf = T(kInvSqrt2Pi) * exp_(T(-0.5) * u * u);
        return g * (cdf + u * pdf);
      }
      case UnaryOp::relu: return u > T(0) ? g : T(0);
    }
    return g;
  }
};

template <typename T>
__global__ void negate_kernel(const T* x, T* y, int64_t n) {
  TT_GRID_STRIDE_LOOP(i, n) { y[i] = static_cast<T>(-x[i]); }
}

template <typename T>
__global__ void forward_kernel(const T* x, T* y, int64_t n, Forward<T> f) {
  TT_GRID_STRIDE_LOOP(i, n) { y[i] = f(x[i]); }
}

template <typename T>
__global__ void backward_kernel(const T* x, const T* y, const T* g, T* gx, int64_t n,
                                Backward<T> f) {
  TT_GRID_STRIDE_LOOP(i, n) { gx[i] = f(x[i], y[i], g[i]); }
}

}  // namespace

void unary_forward(UnaryOp op, double exponent, const Tensor& x, const Tensor& y) {
  const int64_t n = x.numel();
  if (n == 0) return;
  const int blocks = blocks_for(n, kThreads);
  if (op == UnaryOp::neg && !is_floating(x.dtype())) {
    dispatch_all(x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      negate_kernel<T><<<blocks, kThreads, 0, current_stream()>>>(device_data<T>(x),
                                                                  device_data<T>(y), n);
      TT_CUDA_CHECK_LAUNCH();
    });
    return;
  }
  dispatch_floating(x.dtype(), "unary", [&](auto tag) {
    using T = decltype(tag);
    forward_kernel<T><<<blocks, kThreads, 0, current_stream()>>>(
        device_data<T>(x), device_data<T>(y), n, Forward<T>{op, static_cast<T>(exponent)});
    TT_CUDA_CHECK_LAUNCH();
  });
}

void unary_backward(UnaryOp op, double exponent, const Tensor& x, const Tensor& y,
                    const Tensor& grad_y, const Tensor& grad_x) {
  const int64_t n = x.numel();
  if (n == 0) return;
  dispatch_floating(x.dtype(), "unary backward", [&](auto tag) {
    using T = decltype(tag);
    backward_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, current_stream()>>>(
        device_data<T>(x), device_data<T>(y), device_data<T>(grad_y), device_data<T>(grad_x),
        n, Backward<T>{op, static_cast<T>(exponent)});
    TT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace tt::cuda

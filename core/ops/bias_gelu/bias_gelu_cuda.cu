// CUDA bias_gelu kernels.
//
// Forward: elementwise over x with the bias column i % D; GELU in erf form (erff/erf, full
// precision; the CPU's float path uses a polynomial erf within 1.5e-7 of it).
// Backward: one thread per column walks a fixed chunk of rows, writing dx and summing it into
// a partial bias gradient for its chunk (neighbouring threads read neighbouring columns, so
// loads coalesce); a second kernel adds the chunks' partials in order. No atomics: the bias
// gradient has the same bits on every run.
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/ops/bias_gelu/bias_gelu_kernels.h"

namespace tt::cuda {

namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr int kColumnThreads = 256;
constexpr int64_t kMaxChunks = 1024;

__device__ __forceinline__ float device_erf(float v) { return erff(v); }
__device__ __forceinline__ double device_erf(double v) { return erf(v); }
__device__ __forceinline__ float device_exp(float v) { return expf(v); }
__device__ __forceinline__ double device_exp(double v) { return exp(v); }

template <typename T>
__device__ __forceinline__ T gelu(T u) {
  return u * T(0.5) * (T(1) + device_erf(u * T(kInvSqrt2)));
}

// g * d gelu(u) / du
template <typename T>
__device__ __forceinline__ T gelu_backward(T u, T g) {
  const T cdf = T(0.5) * (T(1) + device_erf(u * T(kInvSqrt2)));
  const T pdf = T(kInvSqrt2Pi) * device_exp(T(-0.5) * u * u);
  return g * (cdf + u * pdf);
}

template <typename T>
__global__ void bias_gelu_forward_kernel(const T* __restrict__ x, const T* __restrict__ bias,
                                         T* __restrict__ y, int64_t n, int64_t d) {
  TT_GRID_STRIDE_LOOP(i, n) { y[i] = gelu(x[i] + bias[i % d]); }
}

template <typename T>
__global__ void bias_gelu_backward_kernel(const T* __restrict__ x, const T* __restrict__ bias,
                                          const T* __restrict__ g, T* __restrict__ dx,
                                          int64_t n, int64_t d) {
  TT_GRID_STRIDE_LOOP(i, n) { dx[i] = gelu_backward(x[i] + bias[i % d], g[i]); }
}

// grid (ceil(d / kColumnThreads), chunks): dx for the rows of chunk blockIdx.y, and
// partial[chunk, j] = Σ of those rows' dx[r, j] in row order.
template <typename T>
__global__ void bias_gelu_backward_partials_kernel(const T* __restrict__ x,
                                                   const T* __restrict__ bias,
                                                   const T* __restrict__ g, T* __restrict__ dx,
                                                   T* __restrict__ partial, int64_t rows,
                                                   int64_t d, int64_t rows_per_chunk) {
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t chunk = blockIdx.y;
  if (j >= d) return;
  const int64_t r0 = chunk * rows_per_chunk;
  const int64_t r1 = min(rows, r0 + rows_per_chunk);
  const T b = bias[j];
  T s = 0;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t i = r * d + j;
    const T v = gelu_backward(x[i] + b, g[i]);
    dx[i] = v;
    s += v;
  }
  partial[chunk * d + j] = s;
}

template <typename T>
__global__ void column_partials_finish_kernel(const T* __restrict__ partial, T* __restrict__ out,
                                              int64_t chunks, int64_t d) {
  TT_GRID_STRIDE_LOOP(j, d) {
    T s = 0;
    for (int64_t c = 0; c < chunks; ++c) s += partial[c * d + j];
    out[j] = s;
  }
}

}  // namespace

void bias_gelu_forward(const Tensor& x, const Tensor& bias, const Tensor& y) {
  const int64_t n = x.numel(), d = bias.numel();
  if (n == 0) return;
  dispatch_floating(x.dtype(), "bias_gelu", [&](auto tag) {
    using T = decltype(tag);
    bias_gelu_forward_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, current_stream()>>>(
        device_data<T>(x), device_data<T>(bias), device_data<T>(y), n, d);
    TT_CUDA_CHECK_LAUNCH();
  });
}

void bias_gelu_backward(const Tensor& x, const Tensor& bias, const Tensor& grad_y,
                        const Tensor& grad_x, const Tensor& grad_bias) {
  const int64_t n = x.numel(), d = bias.numel();
  const int64_t rows = d > 0 ? n / d : 0;
  dispatch_floating(x.dtype(), "bias_gelu backward", [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t stream = current_stream();
    const T* px = device_data<T>(x);
    const T* pb = device_data<T>(bias);
    const T* pg = device_data<T>(grad_y);
    T* pdx = device_data<T>(grad_x);
    if (!grad_bias.defined()) {
      if (n == 0) return;
      bias_gelu_backward_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(
          px, pb, pg, pdx, n, d);
      TT_CUDA_CHECK_LAUNCH();
      return;
    }
    if (d == 0) return;
    // The chunking depends on `rows` only, so the summation order (and the bits) do too.
    const int64_t rows_per_chunk = std::max<int64_t>(64, (rows + kMaxChunks - 1) / kMaxChunks);
    const int64_t chunks = std::max<int64_t>(1, (rows + rows_per_chunk - 1) / rows_per_chunk);
    Tensor partial = empty({chunks, d}, x.dtype(), x.device());
    const dim3 grid(static_cast<unsigned>((d + kColumnThreads - 1) / kColumnThreads),
                    static_cast<unsigned>(chunks));
    bias_gelu_backward_partials_kernel<T><<<grid, kColumnThreads, 0, stream>>>(
        px, pb, pg, pdx, device_data<T>(partial), rows, d, rows_per_chunk);
    TT_CUDA_CHECK_LAUNCH();
    column_partials_finish_kernel<T><<<blocks_for(d, kThreads), kThreads, 0, stream>>>(
        device_data<T>(partial), device_data<T>(grad_bias), chunks, d);
    TT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace tt::cuda

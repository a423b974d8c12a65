// CUDA spectral_mix kernels (math: spectral_mix.cpp). Complex values are interleaved (re, im).
// forward and grad_x: one thread per output complex value (row, i or j, bin), neighbouring
// threads on neighbouring bins; each sums its m or n terms in order.
// grad_w: a sum over rows, one block per (i, j, 32 bins): 32 x 8 threads, lane x on a bin,
// y on every 8th row, each summing in double in row order; then the 8 partial sums are added
// in a fixed order. One writer per output, no atomics: the same bits on every run.
#include <algorithm>

#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/ops/fft/spectral_mix_kernels.h"

namespace tt::cuda {

namespace {

constexpr int kBinsPerBlock = 32, kRowSlices = 8;

template <typename T>
__global__ void spectral_mix_forward_kernel(const T* __restrict__ x, const T* __restrict__ w,
                                            T* __restrict__ y, SpectralMixDims d) {
  TT_GRID_STRIDE_LOOP(e, d.rows * d.m * d.bins) {
    const int64_t f = e % d.bins, ri = e / d.bins, i = ri % d.m, r = ri / d.m;
    T re = 0, im = 0;
    for (int64_t j = 0; j < d.n; ++j) {
      const int64_t xo = ((r * d.n + j) * d.bins + f) * 2, wo = ((i * d.n + j) * d.bins + f) * 2;
      const T wr = w[wo], wi = w[wo + 1], xr = x[xo], xi = x[xo + 1];
      re += wr * xr + wi * xi;
      im += wr * xi - wi * xr;
    }
    y[2 * e] = re;
    y[2 * e + 1] = im;
  }
}

template <typename T>
__global__ void spectral_mix_grad_x_kernel(const T* __restrict__ g, const T* __restrict__ w,
                                           T* __restrict__ grad_x, SpectralMixDims d) {
  TT_GRID_STRIDE_LOOP(e, d.rows * d.n * d.bins) {
    const int64_t f = e % d.bins, rj = e / d.bins, j = rj % d.n, r = rj / d.n;
    T re = 0, im = 0;
    for (int64_t i = 0; i < d.m; ++i) {
      const int64_t go = ((r * d.m + i) * d.bins + f) * 2, wo = ((i * d.n + j) * d.bins + f) * 2;
      const T wr = w[wo], wi = w[wo + 1], gr = g[go], gi = g[go + 1];
      re += wr * gr - wi * gi;
      im += wr * gi + wi * gr;
    }
    grad_x[2 * e] = re;
    grad_x[2 * e + 1] = im;
  }
}

template <typename T>
__global__ void spectral_mix_grad_w_kernel(const T* __restrict__ g, const T* __restrict__ x,
                                           T* __restrict__ grad_w, SpectralMixDims d) {
  __shared__ double part_re[kRowSlices][kBinsPerBlock], part_im[kRowSlices][kBinsPerBlock];
  const int64_t chunks = (d.bins + kBinsPerBlock - 1) / kBinsPerBlock;
  const int64_t chunk = blockIdx.x % chunks, ij = blockIdx.x / chunks;
  const int64_t i = ij / d.n, j = ij % d.n, f = chunk * kBinsPerBlock + threadIdx.x;
  double re = 0, im = 0;
  if (f < d.bins) {
    for (int64_t r = threadIdx.y; r < d.rows; r += kRowSlices) {
      const int64_t go = ((r * d.m + i) * d.bins + f) * 2, xo = ((r * d.n + j) * d.bins + f) * 2;
      const double gr = g[go], gi = g[go + 1], xr = x[xo], xi = x[xo + 1];
      re += gr * xr + gi * xi;
      im += gr * xi - gi * xr;
    }
  }
  part_re[threadIdx.y][threadIdx.x] = re;
  part_im[threadIdx.y][threadIdx.x] = im;
  __syncthreads();
  if (threadIdx.y == 0 && f < d.bins) {
    for (int s = 1; s < kRowSlices; ++s) {
      re += part_re[s][threadIdx.x];
      im += part_im[s][threadIdx.x];
    }
    const int64_t o = ((i * d.n + j) * d.bins + f) * 2;
    grad_w[o] = static_cast<T>(re);
    grad_w[o + 1] = static_cast<T>(im);
  }
}

}  // namespace

void spectral_mix_forward(const Tensor& x, const Tensor& w, const Tensor& y, SpectralMixDims d) {
  dispatch_floating(x.dtype(), "spectral_mix", [&](auto tag) {
    using T = decltype(tag);
    const int64_t total = d.rows * d.m * d.bins;
    if (total == 0) return;
    spectral_mix_forward_kernel<<<blocks_for(total, kThreads), kThreads, 0, current_stream()>>>(
        device_data<T>(x), device_data<T>(w), device_data<T>(y), d);
    TT_CUDA_CHECK_LAUNCH();
  });
}

void spectral_mix_grad_x(const Tensor& g, const Tensor& w, const Tensor& grad_x, SpectralMixDims d) {
  dispatch_floating(g.dtype(), "spectral_mix backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t total = d.rows * d.n * d.bins;
    if (total == 0) return;
    spectral_mix_grad_x_kernel<<<blocks_for(total, kThreads), kThreads, 0, current_stream()>>>(
        device_data<T>(g), device_data<T>(w), device_data<T>(grad_x), d);
    TT_CUDA_CHECK_LAUNCH();
  });
}

void spectral_mix_grad_w(const Tensor& g, const Tensor& x, const Tensor& grad_w, SpectralMixDims d) {
  dispatch_floating(g.dtype(), "spectral_mix backward", [&](auto tag) {
    using T = decltype(tag);
    const int64_t blocks = d.m * d.n * ((d.bins + kBinsPerBlock - 1) / kBinsPerBlock);
    if (blocks == 0) return;
    TT_CHECK(blocks <= 0x7fffffff, "spectral_mix backward: ", blocks, " blocks is too many");
    spectral_mix_grad_w_kernel<<<static_cast<int>(blocks), dim3(kBinsPerBlock, kRowSlices), 0,
                                 current_stream()>>>(device_data<T>(g), device_data<T>(x),
                                                     device_data<T>(grad_w), d);
    TT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace tt::cuda

// CPU spectral_mix kernels. Complex values are interleaved (re, im); the innermost loop runs
// over the bins of one (row, i, j) triple, contiguous in x, w and y, and vectorises.
// forward and grad_x: one row per iteration of an OpenMP loop (each output row written by one
// thread). grad_w: a sum over rows in double, in row blocks fixed by the row count, each block's
// partial sums (m·n·bins values, cache-resident) added in block order: every row is read once,
// and the result is the same bits whatever the thread count.
#include <algorithm>
#include <vector>

#include "tinytune/core/ops/fft/spectral_mix_kernels.h"
#include "tinytune/core/ops/iterate.h"

namespace tt::cpu {

namespace {

// grad_w's row blocks: at least kMinBlockRows rows each, at most kMaxBlocks of them.
constexpr int64_t kMinBlockRows = 256, kMaxBlocks = 64;

}  // namespace

void spectral_mix_forward(const Tensor& x, const Tensor& w, const Tensor& y, SpectralMixDims d) {
  dispatch_floating(x.dtype(), "spectral_mix", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    const T* pw = w.data<T>();
    T* py = y.data<T>();
    const int64_t F = d.bins;
#pragma omp parallel for schedule(static) if (d.rows * d.m * d.n * F >= kParallelGrain && d.rows > 1)
    for (int64_t r = 0; r < d.rows; ++r)
      for (int64_t i = 0; i < d.m; ++i) {
        T* out = py + (r * d.m + i) * F * 2;
        std::fill(out, out + 2 * F, T(0));
        for (int64_t j = 0; j < d.n; ++j) {
          const T* xv = px + (r * d.n + j) * F * 2;
          const T* wv = pw + (i * d.n + j) * F * 2;
#pragma omp simd
          for (int64_t f = 0; f < F; ++f) {
            const T wr = wv[2 * f], wi = wv[2 * f + 1], xr = xv[2 * f], xi = xv[2 * f + 1];
            out[2 * f] += wr * xr + wi * xi;      // Re(conj(w) x)
            out[2 * f + 1] += wr * xi - wi * xr;  // Im(conj(w) x)
          }
        }
      }
  });
}

void spectral_mix_grad_x(const Tensor& g, const Tensor& w, const Tensor& grad_x, SpectralMixDims d) {
  dispatch_floating(g.dtype(), "spectral_mix backward", [&](auto tag) {
    using T = decltype(tag);
    const T* pg = g.data<T>();
    const T* pw = w.data<T>();
    T* px = grad_x.data<T>();
    const int64_t F = d.bins;
#pragma omp parallel for schedule(static) if (d.rows * d.m * d.n * F >= kParallelGrain && d.rows > 1)
    for (int64_t r = 0; r < d.rows; ++r)
      for (int64_t j = 0; j < d.n; ++j) {
        T* out = px + (r * d.n + j) * F * 2;
        std::fill(out, out + 2 * F, T(0));
        for (int64_t i = 0; i < d.m; ++i) {
          const T* gv = pg + (r * d.m + i) * F * 2;
          const T* wv = pw + (i * d.n + j) * F * 2;
#pragma omp simd
          for (int64_t f = 0; f < F; ++f) {
            const T wr = wv[2 * f], wi = wv[2 * f + 1], gr = gv[2 * f], gi = gv[2 * f + 1];
            out[2 * f] += wr * gr - wi * gi;      // Re(w g)
            out[2 * f + 1] += wr * gi + wi * gr;  // Im(w g)
          }
        }
      }
  });
}

void spectral_mix_grad_w(const Tensor& g, const Tensor& x, const Tensor& grad_w, SpectralMixDims d) {
  dispatch_floating(g.dtype(), "spectral_mix backward", [&](auto tag) {
    using T = decltype(tag);
    const T* pg = g.data<T>();
    const T* px = x.data<T>();
    T* pw = grad_w.data<T>();
    const int64_t F = d.bins, size = d.m * d.n * F * 2;
    // Row blocks fixed by the row count alone (never by the thread count): each sums its rows
    // into its own accumulators, which then add up in block order.
    const int64_t block_rows = std::max<int64_t>(kMinBlockRows, (d.rows + kMaxBlocks - 1) / kMaxBlocks);
    const int64_t blocks = std::max<int64_t>(1, (d.rows + block_rows - 1) / block_rows);
    std::vector<double> partial(static_cast<size_t>(blocks * size), 0.0);
#pragma omp parallel for schedule(static) if (d.rows * d.m * d.n * F >= kParallelGrain && blocks > 1)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      double* acc = partial.data() + blk * size;
      const int64_t end = std::min(d.rows, (blk + 1) * block_rows);
      for (int64_t r = blk * block_rows; r < end; ++r)
        for (int64_t i = 0; i < d.m; ++i) {
          const T* gv = pg + (r * d.m + i) * F * 2;
          for (int64_t j = 0; j < d.n; ++j) {
            const T* xv = px + (r * d.n + j) * F * 2;
            double* a = acc + (i * d.n + j) * F * 2;
#pragma omp simd
            for (int64_t f = 0; f < F; ++f) {
              const double gr = gv[2 * f], gi = gv[2 * f + 1], xr = xv[2 * f], xi = xv[2 * f + 1];
              a[2 * f] += gr * xr + gi * xi;      // Re(conj(g) x)
              a[2 * f + 1] += gr * xi - gi * xr;  // Im(conj(g) x)
            }
          }
        }
    }
#pragma omp parallel for schedule(static) if (size * blocks >= kParallelGrain)
    for (int64_t e = 0; e < size; ++e) {
      double total = 0;
      for (int64_t blk = 0; blk < blocks; ++blk) total += partial[blk * size + e];
      pw[e] = static_cast<T>(total);
    }
  });
}

}  // namespace tt::cpu

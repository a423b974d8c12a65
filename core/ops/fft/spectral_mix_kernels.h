// Kernel entry points of spectral_mix. Tensors are contiguous: x [rows, n, F, 2],
// w [m, n, F, 2], y [rows, m, F, 2] (complex as (re, im) pairs).
//   forward    y[r, i, f]  = Σ_j conj(w[i, j, f]) x[r, j, f]
//   grad_x     gx[r, j, f] = Σ_i w[i, j, f] g[r, i, f]
//   grad_w     gw[i, j, f] = Σ_r conj(g[r, i, f]) x[r, j, f]     (summed in a fixed order)
#pragma once
#include <cstdint>

#include "tinytune/core/tensor.h"

namespace tt {

struct SpectralMixDims {
  int64_t rows, m, n, bins;
};

namespace cpu {
void spectral_mix_forward(const Tensor& x, const Tensor& w, const Tensor& y, SpectralMixDims d);
void spectral_mix_grad_x(const Tensor& g, const Tensor& w, const Tensor& grad_x, SpectralMixDims d);
void spectral_mix_grad_w(const Tensor& g, const Tensor& x, const Tensor& grad_w, SpectralMixDims d);
}  // namespace cpu

namespace cuda {
void spectral_mix_forward(const Tensor& x, const Tensor& w, const Tensor& y, SpectralMixDims d);
void spectral_mix_grad_x(const Tensor& g, const Tensor& w, const Tensor& grad_x, SpectralMixDims d);
void spectral_mix_grad_w(const Tensor& g, const Tensor& x, const Tensor& grad_w, SpectralMixDims d);
}  // namespace cuda

}  // namespace tt

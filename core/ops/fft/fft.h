// Real-input FFT along the last dim, with numpy/torch's default ("backward") normalisation.
//
// Complex layout: a complex tensor is a real tensor (f32 or f64) with a trailing dim of size 2
// holding (re, im), so the spectrum of x [..., n] is X [..., n/2+1, 2] with
//   X[..., k, 0] = Re X_k,  X[..., k, 1] = Im X_k,  X_k = Σ_t x_t e^{-2πi k t / n},  k = 0..n/2
// (torch.view_as_real(torch.fft.rfft(x)) holds the same numbers).
//
//   rfft(x)       x [..., n] real            -> X [..., n/2+1, 2]  (not scaled)
//   irfft(X, n)   X [..., n/2+1, 2] spectrum -> x [..., n]          (scaled by 1/n)
// so irfft(rfft(x), x.size(-1)) == x to rounding. irfft reads X as the first half of a
// Hermitian spectrum, as torch.fft.irfft does: the imaginary parts of X_0 and (for even n)
// X_{n/2} are ignored, and their gradients are zero.
//
// Lengths: n = 2^a·3^b·5^c (mixed-radix Cooley–Tukey, Stockham order); any other n is an
// error naming n and its unsupported prime factor. On CUDA, n <= 4096 (a row per thread block
// in shared memory). Leading dims are a batch; both directions are differentiable (see fft.cpp
// for the adjoints).
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

Tensor rfft(const Tensor& x);
Tensor irfft(const Tensor& spectrum, int64_t n);

// Whether rfft/irfft accept length n (n >= 1 whose only prime factors are 2, 3 and 5).
bool fft_length_supported(int64_t n);

}  // namespace tt

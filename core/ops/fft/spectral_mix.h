// The frequency-domain half of a block-circulant product (C3A, peft/c3a.h): for every
// frequency bin f, a complex [m x n] matrix, conjugated, applied to each row's n-vector:
//   y[..., i, f] = Σ_j conj(w[i, j, f]) · x[..., j, f]
// x [..., n, F, 2], w [m, n, F, 2] -> y [..., m, F, 2]; complex values are (re, im) pairs in a
// trailing dim of 2, as rfft writes them (fft.h). With x = rfft of the b-blocks of a vector
// and w = rfft of the kernels, irfft(y, b) is Σ_j C(w_ij) x_j with C(w)[p, q] = w[(q-p) mod b]:
// a circular cross-correlation, hence the conj. Differentiable in x and w.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

Tensor spectral_mix(const Tensor& x, const Tensor& w);

}  // namespace tt

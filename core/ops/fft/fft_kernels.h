// Kernel entry points of rfft/irfft, and the radix factorisation both devices share.
//
// Every tensor is contiguous; real rows are [rows, n], spectra [rows, n/2+1, 2] (re, im).
// Each kernel transforms `rows` independent rows of length n (n already checked supported):
//   rfft_forward    X  = R2C(x):               X_k  = Σ_t x_t e^{-2πi kt/n}
//   irfft_forward   x  = C2R(X) / n:           x_t  = (1/n) Σ_{k<n} X_k e^{+2πi kt/n}, X Hermitian
//                                              (Im X_0 and Im X_{n/2} ignored)
//   rfft_backward   gx = Re Σ_{k<=n/2} gX_k e^{+2πi kt/n}       (the adjoint of rfft_forward)
//   irfft_backward  gX = (c_k / n) R2C(g),  c_k = 1 at k = 0 and k = n/2, else 2
//                                              (the adjoint of irfft_forward)
// Inside, an even n runs one complex FFT of length m = n/2 on z_t = x_{2t} + i x_{2t+1} and
// untangles the two real halves; an odd n runs a complex FFT of length m = n.
#pragma once
#include <cstdint>

#include "tinytune/core/tensor.h"

namespace tt {

// The complex length behind a real length n.
inline int64_t fft_complex_length(int64_t n) { return n % 2 == 0 ? n / 2 : n; }

// Splits m into Stockham stages, radix 4 first (fewer passes), then 2, 3, 5. Returns the
// number of stages (0 for m = 1), or -1 when m has another prime factor. `radices` must hold
// kMaxFftStages entries.
inline constexpr int kMaxFftStages = 64;
inline int fft_radices(int64_t m, int* radices) {
  if (m < 1) return -1;
  int count = 0;
  while (m % 4 == 0) radices[count++] = 4, m /= 4;
  for (int r : {2, 3, 5})
    while (m % r == 0) radices[count++] = r, m /= r;
  return m == 1 ? count : -1;
}

namespace cpu {
void rfft_forward(const Tensor& x, const Tensor& spectrum, int64_t rows, int64_t n);
void irfft_forward(const Tensor& spectrum, const Tensor& x, int64_t rows, int64_t n);
void rfft_backward(const Tensor& grad_spectrum, const Tensor& grad_x, int64_t rows, int64_t n);
void irfft_backward(const Tensor& grad_x, const Tensor& grad_spectrum, int64_t rows, int64_t n);
}  // namespace cpu

// One thread block per row, the whole row in shared memory: n <= kCudaMaxFftLength.
namespace cuda {
inline constexpr int64_t kCudaMaxFftLength = 4096;
void rfft_forward(const Tensor& x, const Tensor& spectrum, int64_t rows, int64_t n);
void irfft_forward(const Tensor& spectrum, const Tensor& x, int64_t rows, int64_t n);
void rfft_backward(const Tensor& grad_spectrum, const Tensor& grad_x, int64_t rows, int64_t n);
void irfft_backward(const Tensor& grad_x, const Tensor& grad_spectrum, int64_t rows, int64_t n);
}  // namespace cuda

}  // namespace tt

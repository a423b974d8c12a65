// rfft and irfft along the last dim (layout and normalisation: fft.h).
//
// Forward, for one row of length n, θ = 2π/n, K = n/2 (integer division), k = 0..K:
//   rfft:   X_k = Σ_t x_t e^{-iθkt},  i.e.  Re X_k = Σ_t x_t cos θkt,  Im X_k = -Σ_t x_t sin θkt
//   irfft:  x_t = (1/n) [ Re X_0 + Σ_{0<k<n/2} 2 (Re X_k cos θkt - Im X_k sin θkt)
//                         + [n even] Re X_K (-1)^t ]
//           the inverse DFT of the Hermitian spectrum X_{n-k} = conj X_k; Im X_0 and Im X_K
//           (n even) do not appear (sin 0 = sin πt = 0), as in torch.fft.irfft.
//
// Backward. Both maps are real-linear, so each gradient is the transposed map applied to the
// upstream gradient (G = gradient w.r.t. the spectrum, G_k = Gre_k + i Gim_k; g w.r.t. the
// real signal).
//   rfft:   dL/dx_t = Σ_k (Gre_k ∂Re X_k/∂x_t + Gim_k ∂Im X_k/∂x_t)
//                   = Σ_{k=0..K} (Gre_k cos θkt - Gim_k sin θkt) = Re Σ_{k=0..K} G_k e^{+iθkt}.
//           Only the stored half of the bins appears, each once. Written as an inverse DFT of a
//           Hermitian spectrum (which counts each interior bin twice) this is
//              dx = n · irfft(G'),  G'_k = G_k / 2 for 0 < k < n/2,  G'_0 = G_0,  G'_K = G_K (n even)
//           so the DC and Nyquist bins keep factor 1 while the interior bins are halved; Im G_0
//           and Im G_K drop out (they multiply sin 0 and sin πt).
//   irfft:  ∂x_t/∂Re X_k = (c_k/n) cos θkt,  ∂x_t/∂Im X_k = -(c_k/n) sin θkt,
//           c_k = 1 for k = 0 and k = n/2 (n even), c_k = 2 for the interior bins, so
//              dL/dX_k = (c_k / n) Σ_t g_t e^{-iθkt} = (c_k / n) · rfft(g)_k
//           whose imaginary part is 0 at k = 0 and k = n/2 (the ignored inputs get no gradient).
// Each backward is one kernel of the same cost as its forward (fft_kernels.h).
#include "tinytune/core/ops/fft/fft.h"

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/fft/fft_kernels.h"

namespace tt {

namespace {

void check_length(int64_t n, const char* op) {
  TT_CHECK(n >= 1, op, ": the transform length n must be >= 1, got ", n);
  if (fft_length_supported(n)) return;
  int64_t rest = n;
  for (int64_t p : {2, 3, 5})
    while (rest % p == 0) rest /= p;
  int64_t factor = 7;
  while (rest % factor != 0 && factor * factor <= rest) ++factor;
  if (rest % factor != 0) factor = rest;
  throw Error(detail::concat(op, ": length n = ", n, " is not supported: the FFT handles n = "
                             "2^a·3^b·5^c (prime factors 2, 3 and 5 only), and ", n,
                             " has the prime factor ", factor));
}

int64_t rows_of(const Shape& shape, int64_t trailing) {
  int64_t rows = 1;
  for (size_t d = 0; d + trailing < shape.size(); ++d) rows *= shape[d];
  return rows;
}

void launch_rfft_forward(const Tensor& x, const Tensor& X, int64_t rows, int64_t n) {
  switch (x.device().type) {
    case DeviceType::cpu: cpu::rfft_forward(x, X, rows, n); break;
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      cuda::rfft_forward(x, X, rows, n); break;
#else
      cuda::built_without_cuda("rfft");
#endif
  }
}

void launch_irfft_forward(const Tensor& X, const Tensor& x, int64_t rows, int64_t n) {
  switch (X.device().type) {
    case DeviceType::cpu: cpu::irfft_forward(X, x, rows, n); break;
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      cuda::irfft_forward(X, x, rows, n); break;
#else
      cuda::built_without_cuda("irfft");
#endif
  }
}

struct RfftBackward : Node {
  Shape x_shape;
  int64_t rows, n;
  RfftBackward(Shape s, int64_t r, int64_t n_) : x_shape(std::move(s)), rows(r), n(n_) {}
  const char* name() const override { return "RfftBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor grad_spectrum = g.contiguous();
    Tensor grad_x = empty(x_shape, g.dtype(), g.device());
    switch (g.device().type) {
      case DeviceType::cpu: cpu::rfft_backward(grad_spectrum, grad_x, rows, n); break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::rfft_backward(grad_spectrum, grad_x, rows, n); break;
#else
        cuda::built_without_cuda("rfft backward");
#endif
    }
    return {grad_x};
  }
};

struct IrfftBackward : Node {
  Shape spectrum_shape;
  int64_t rows, n;
  IrfftBackward(Shape s, int64_t r, int64_t n_) : spectrum_shape(std::move(s)), rows(r), n(n_) {}
  const char* name() const override { return "IrfftBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor grad_x = g.contiguous();
    Tensor grad_spectrum = empty(spectrum_shape, g.dtype(), g.device());
    switch (g.device().type) {
      case DeviceType::cpu: cpu::irfft_backward(grad_x, grad_spectrum, rows, n); break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::irfft_backward(grad_x, grad_spectrum, rows, n); break;
#else
        cuda::built_without_cuda("irfft backward");
#endif
    }
    return {grad_spectrum};
  }
};

void check_cuda_length(const Tensor& t, int64_t n, const char* op) {
  TT_CHECK(t.device().type != DeviceType::cuda || n <= cuda::kCudaMaxFftLength, op,
           ": length n = ", n, " is above the CUDA kernel's limit of ", cuda::kCudaMaxFftLength,
           " (one row per thread block in shared memory)");
}

}  // namespace

bool fft_length_supported(int64_t n) {
  int radices[kMaxFftStages];
  return n >= 1 && fft_radices(fft_complex_length(n), radices) >= 0;
}

Tensor rfft(const Tensor& input) {
  TT_CHECK(is_floating(input.dtype()), "rfft: expected a floating dtype (f32 or f64), got ",
           dtype_name(input.dtype()), " tensor of shape ", shape_str(input.shape()));
  TT_CHECK(input.dim() >= 1, "rfft: expected at least 1 dim (the signal along the last), got a 0-d tensor");
  const int64_t n = input.size(-1);
  check_length(n, "rfft");
  check_cuda_length(input, n, "rfft");
  Shape out_shape(input.shape().begin(), input.shape().end() - 1);
  out_shape.push_back(n / 2 + 1);
  out_shape.push_back(2);
  const int64_t rows = rows_of(input.shape(), 1);
  Tensor x = input.detach().contiguous();
  Tensor spectrum = empty(out_shape, x.dtype(), x.device());
  if (rows > 0) launch_rfft_forward(x, spectrum, rows, n);
  if (needs_grad(input))
    connect(spectrum, std::make_shared<RfftBackward>(input.shape(), rows, n), {input});
  return spectrum;
}

Tensor irfft(const Tensor& input, int64_t n) {
  TT_CHECK(is_floating(input.dtype()), "irfft: expected a floating dtype (f32 or f64), got ",
           dtype_name(input.dtype()), " tensor of shape ", shape_str(input.shape()));
  check_length(n, "irfft");
  TT_CHECK(input.dim() >= 2 && input.size(-1) == 2 && input.size(-2) == n / 2 + 1,
           "irfft: for n = ", n, " expected a spectrum of shape [..., ", n / 2 + 1,
           ", 2] (n/2+1 bins of (re, im)), got ", shape_str(input.shape()));
  check_cuda_length(input, n, "irfft");
  Shape out_shape(input.shape().begin(), input.shape().end() - 2);
  out_shape.push_back(n);
  const int64_t rows = rows_of(input.shape(), 2);
  Tensor spectrum = input.detach().contiguous();
  Tensor x = empty(out_shape, spectrum.dtype(), spectrum.device());
  if (rows > 0) launch_irfft_forward(spectrum, x, rows, n);
  if (needs_grad(input))
    connect(x, std::make_shared<IrfftBackward>(input.shape(), rows, n), {input});
  return x;
}

}  // namespace tt

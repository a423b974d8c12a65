// spectral_mix: per frequency bin, y_i = Σ_j conj(w_ij) x_j (complex; layout in spectral_mix.h).
//
// Forward, in real terms (a = re, b = im), per row r, bin f:
//   Re y_i = Σ_j (a(w_ij) a(x_j) + b(w_ij) b(x_j)),   Im y_i = Σ_j (a(w_ij) b(x_j) - b(w_ij) a(x_j))
// Backward: y is real-linear in x and in w separately; G = (dL/dRe y, dL/dIm y) read as the
// complex number G = dL/dRe y + i dL/dIm y, and likewise for the inputs' gradients:
//   dL/dx_j  = Σ_i w_ij G_i         ("multiply by conj w" is the real 2x2 block [[a, b], [-b, a]]
//                                    on (Re x, Im x); its transpose [[a, -b], [b, a]] multiplies by w)
//   dL/dw_ij = Σ_rows conj(G_i) x_j  (dRe w = Σ a(G) a(x) + b(G) b(x),
//                                     dIm w = Σ a(G) b(x) - b(G) a(x), from the forward's terms)
// Each backward is one kernel; grad_w sums the rows in a fixed order (reproducible bits).
#include "tinytune/core/ops/fft/spectral_mix.h"

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/fft/spectral_mix_kernels.h"

namespace tt {

namespace {

struct SpectralMixBackward : Node {
  Tensor x, w;
  SpectralMixDims dims;
  SpectralMixBackward(Tensor x_, Tensor w_, SpectralMixDims d)
      : x(std::move(x_)), w(std::move(w_)), dims(d) {}
  const char* name() const override { return "SpectralMixBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor g = grad.contiguous();
    Tensor grad_x, grad_w;
    if (input_needs_grad(0)) grad_x = empty(x.shape(), x.dtype(), x.device());
    if (input_needs_grad(1)) grad_w = empty(w.shape(), w.dtype(), w.device());
    switch (g.device().type) {
      case DeviceType::cpu:
        if (grad_x.defined()) cpu::spectral_mix_grad_x(g, w, grad_x, dims);
        if (grad_w.defined()) cpu::spectral_mix_grad_w(g, x, grad_w, dims);
        break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        if (grad_x.defined()) cuda::spectral_mix_grad_x(g, w, grad_x, dims);
        if (grad_w.defined()) cuda::spectral_mix_grad_w(g, x, grad_w, dims);
        break;
#else
        cuda::built_without_cuda("spectral_mix backward");
#endif
    }
    return {grad_x, grad_w};
  }
  void release() override { x = w = Tensor(); }
};

}  // namespace

Tensor spectral_mix(const Tensor& x_in, const Tensor& w_in) {
  TT_CHECK(is_floating(x_in.dtype()) && x_in.dtype() == w_in.dtype(),
           "spectral_mix: expected x and w of one floating dtype, got ", dtype_name(x_in.dtype()),
           " and ", dtype_name(w_in.dtype()));
  TT_CHECK(x_in.device() == w_in.device(), "spectral_mix: x is on ", x_in.device().str(),
           " and w on ", w_in.device().str());
  TT_CHECK(w_in.dim() == 4 && w_in.size(3) == 2, "spectral_mix: expected w of shape [m, n, bins, 2], got ",
           shape_str(w_in.shape()));
  const int64_t m = w_in.size(0), n = w_in.size(1), bins = w_in.size(2);
  TT_CHECK(x_in.dim() >= 3 && x_in.size(-1) == 2 && x_in.size(-2) == bins && x_in.size(-3) == n,
           "spectral_mix: expected x of shape [..., ", n, ", ", bins, ", 2] to match w of shape ",
           shape_str(w_in.shape()), ", got ", shape_str(x_in.shape()));
  Shape out_shape(x_in.shape().begin(), x_in.shape().end() - 3);
  int64_t rows = 1;
  for (int64_t s : out_shape) rows *= s;
  out_shape.insert(out_shape.end(), {m, bins, 2});
  const SpectralMixDims dims{rows, m, n, bins};
  Tensor x = x_in.detach().contiguous(), w = w_in.detach().contiguous();
  Tensor y = empty(out_shape, x.dtype(), x.device());
  if (y.numel() > 0) {
    switch (x.device().type) {
      case DeviceType::cpu: cpu::spectral_mix_forward(x, w, y, dims); break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::spectral_mix_forward(x, w, y, dims); break;
#else
        cuda::built_without_cuda("spectral_mix");
#endif
    }
  }
  if (needs_grad(x_in, w_in))
    connect(y, std::make_shared<SpectralMixBackward>(x, w, dims), {x_in, w_in});
  return y;
}

}  // namespace tt

// layer_norm, fused in both directions.
//
// Forward, per row of D values:
//   mu = mean(x),  rstd = 1/sqrt(mean((x - mu)^2) + eps),  xhat = (x - mu) * rstd
//   y = xhat * w + b
// Backward, with gh = g * w:
//   dx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat))
//   dw = Σ_rows g * xhat,   db = Σ_rows g
#include "tinytune/core/ops/layer_norm/layer_norm.h"

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/layer_norm/layer_norm_kernels.h"

namespace tt {

namespace {

struct LayerNormBackward : Node {
  Tensor x, weight, mean, rstd;
  LayerNormBackward(Tensor x_, Tensor w, Tensor m, Tensor r)
      : x(std::move(x_)), weight(std::move(w)), mean(std::move(m)), rstd(std::move(r)) {}
  const char* name() const override { return "LayerNormBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    const int64_t d = x.shape().back();
    Tensor dx = empty(x.shape(), x.dtype(), x.device());
    Tensor dw = input_needs_grad(1) ? empty({d}, x.dtype(), x.device()) : Tensor();
    Tensor db = input_needs_grad(2) ? empty({d}, x.dtype(), x.device()) : Tensor();
    switch (x.device().type) {
      case DeviceType::cpu:
        cpu::layer_norm_backward(x, weight, mean, rstd, g.contiguous(), dx, dw, db);
        break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::layer_norm_backward(x, weight, mean, rstd, g.contiguous(), dx, dw, db);
        break;
#else
        cuda::built_without_cuda("layer_norm");
#endif
    }
    return {dx, dw, db};
  }
  void release() override { x = weight = mean = rstd = Tensor(); }
};

void check_param(const Tensor& p, const Tensor& x, const char* what) {
  if (!p.defined()) return;
  TT_CHECK(p.dim() == 1 && p.shape()[0] == x.shape().back(), "layer_norm: ", what,
           " of shape ", shape_str(p.shape()), " does not match the normalised dim of input ",
           shape_str(x.shape()), " (expected [", x.shape().back(), "])");
  TT_CHECK(p.dtype() == x.dtype(), "layer_norm: ", what, " dtype ", dtype_name(p.dtype()),
           " differs from input dtype ", dtype_name(x.dtype()));
  TT_CHECK(p.device() == x.device(), "layer_norm: ", what, " is on ", p.device().str(),
           " but the input is on ", x.device().str());
}

}  // namespace

Tensor layer_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, double eps) {
  TT_CHECK(is_floating(input.dtype()), "layer_norm: expected a floating dtype, got ",
           dtype_name(input.dtype()), " tensor of shape ", shape_str(input.shape()));
  TT_CHECK(input.dim() >= 1 && input.shape().back() > 0,
           "layer_norm: input of shape ", shape_str(input.shape()), " has no dim to normalise");
  TT_CHECK(eps >= 0, "layer_norm: eps must be >= 0, got ", eps);
  check_param(weight, input, "weight");
  check_param(bias, input, "bias");
  Tensor x = input.detach().contiguous();
  const int64_t rows = x.numel() / x.shape().back();
  Tensor y = empty(x.shape(), x.dtype(), x.device());
  Tensor mean = empty({rows}, x.dtype(), x.device());
  Tensor rstd = empty({rows}, x.dtype(), x.device());
  Tensor w = weight.defined() ? weight.detach().contiguous() : Tensor();
  Tensor b = bias.defined() ? bias.detach().contiguous() : Tensor();
  switch (x.device().type) {
    case DeviceType::cpu: cpu::layer_norm_forward(x, w, b, eps, y, mean, rstd); break;
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      cuda::layer_norm_forward(x, w, b, eps, y, mean, rstd);
      break;
#else
      cuda::built_without_cuda("layer_norm");
#endif
  }
  if (needs_grad({input, weight, bias}))
    connect(y, std::make_shared<LayerNormBackward>(x, w, mean, rstd), {input, weight, bias});
  return y;
}

}  // namespace tt

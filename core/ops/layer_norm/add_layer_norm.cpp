// add_layer_norm: layer_norm(x + residual).
//
// Forward:  s = x + residual,  y = layer_norm(s; w, b, eps)      (math in layer_norm.cpp)
// Backward: ds = layer_norm's dx at s (rstd * (gh - mean(gh) - shat * mean(gh * shat)),
//           gh = g * w),  dx = dresidual = ds,  dw = Σ_rows g * shat,  db = Σ_rows g.
// CPU: the composite layer_norm(add(x, residual)): the op's definition and its test oracle,
// differentiated by autograd. CUDA: one kernel reads x and residual once and writes y and s;
// s, mean and rstd are saved, and the backward is layer_norm's backward kernel applied to s.
#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/binary/binary.h"
#include "tinytune/core/ops/layer_norm/layer_norm.h"
#include "tinytune/core/ops/layer_norm/layer_norm_kernels.h"

namespace tt {

namespace {

struct AddLayerNormBackward : Node {
  Tensor sum, weight, mean, rstd;
  AddLayerNormBackward(Tensor s, Tensor w, Tensor m, Tensor r)
      : sum(std::move(s)), weight(std::move(w)), mean(std::move(m)), rstd(std::move(r)) {}
  const char* name() const override { return "AddLayerNormBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    const int64_t d = sum.shape().back();
    Tensor ds = empty(sum.shape(), sum.dtype(), sum.device());
    Tensor dw = input_needs_grad(2) ? empty({d}, sum.dtype(), sum.device()) : Tensor();
    Tensor db = input_needs_grad(3) ? empty({d}, sum.dtype(), sum.device()) : Tensor();
    switch (sum.device().type) {
      case DeviceType::cpu:  // not reached (the CPU runs the composite), but correct
        cpu::layer_norm_backward(sum, weight, mean, rstd, g.contiguous(), ds, dw, db);
        break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::layer_norm_backward(sum, weight, mean, rstd, g.contiguous(), ds, dw, db);
        break;
#else
        cuda::built_without_cuda("add_layer_norm");
#endif
    }
    // The same tensor for both addends: the engine copies a gradient before storing it.
    return {ds, ds, dw, db};
  }
  void release() override { sum = weight = mean = rstd = Tensor(); }
};

void check_param(const Tensor& p, const Tensor& x, const char* what) {
  if (!p.defined()) return;
  TT_CHECK(p.dim() == 1 && p.shape()[0] == x.shape().back(), "add_layer_norm: ", what,
           " of shape ", shape_str(p.shape()), " does not match the normalised dim of input ",
           shape_str(x.shape()), " (expected [", x.shape().back(), "])");
  TT_CHECK(p.dtype() == x.dtype() && p.device() == x.device(), "add_layer_norm: ", what, " (",
           dtype_name(p.dtype()), " on ", p.device().str(), ") differs from the input (",
           dtype_name(x.dtype()), " on ", x.device().str(), ")");
}

// The fused CUDA path (the CPU runs the composite).
Tensor fused_add_layer_norm(const Tensor& x, const Tensor& residual, const Tensor& weight,
                            const Tensor& bias, double eps) {
  TT_CHECK(is_floating(x.dtype()), "add_layer_norm: expected a floating dtype, got ",
           dtype_name(x.dtype()), " tensor of shape ", shape_str(x.shape()));
  TT_CHECK(x.dim() >= 1 && x.shape().back() > 0, "add_layer_norm: input of shape ",
           shape_str(x.shape()), " has no dim to normalise");
  TT_CHECK(eps >= 0, "add_layer_norm: eps must be >= 0, got ", eps);
  check_param(weight, x, "weight");
  check_param(bias, x, "bias");
  Tensor xc = x.detach().contiguous(), rc = residual.detach().contiguous();
  const int64_t rows = xc.numel() / xc.shape().back();
  Tensor sum = empty(xc.shape(), xc.dtype(), xc.device());
  Tensor y = empty(xc.shape(), xc.dtype(), xc.device());
  Tensor mean = empty({rows}, xc.dtype(), xc.device());
  Tensor rstd = empty({rows}, xc.dtype(), xc.device());
  Tensor w = weight.defined() ? weight.detach().contiguous() : Tensor();
  Tensor b = bias.defined() ? bias.detach().contiguous() : Tensor();
#ifdef TINYTUNE_WITH_CUDA
  cuda::add_layer_norm_forward(xc, rc, w, b, eps, sum, y, mean, rstd);
#else
  cuda::built_without_cuda("add_layer_norm");
#endif
  if (needs_grad({x, residual, weight, bias}))
    connect(y, std::make_shared<AddLayerNormBackward>(sum, w, mean, rstd),
            {x, residual, weight, bias});
  return y;
}

}  // namespace

Tensor add_layer_norm(const Tensor& x, const Tensor& residual, const Tensor& weight,
                      const Tensor& bias, double eps) {
  TT_CHECK(x.defined() && residual.defined(), "add_layer_norm: x and residual must be defined");
  TT_CHECK(x.shape() == residual.shape(), "add_layer_norm: x of shape ", shape_str(x.shape()),
           " and residual of shape ", shape_str(residual.shape()), " must have the same shape");
  TT_CHECK(x.dtype() == residual.dtype() && x.device() == residual.device(),
           "add_layer_norm: x (", dtype_name(x.dtype()), " on ", x.device().str(),
           ") and residual (", dtype_name(residual.dtype()), " on ", residual.device().str(),
           ") must have the same dtype and device");
  switch (x.device().type) {
    case DeviceType::cpu: return layer_norm(add(x, residual), weight, bias, eps);
    case DeviceType::cuda: return fused_add_layer_norm(x, residual, weight, bias, eps);
  }
  return Tensor();
}

}  // namespace tt

// bias_gelu: y = gelu(x + b), b broadcast along the rows of x.
//
// Forward:  u = x + b,  y = u * Phi(u),  Phi(u) = (1 + erf(u / √2)) / 2
// Backward: du = g * (Phi(u) + u * exp(-u²/2) / √(2π)),  dx = du,  db = Σ_rows du
// CPU: the composite gelu(add(x, b)): the op's definition and test oracle, differentiated by
// autograd. CUDA: the forward reads x and b once and writes y (u is never stored); the backward
// recomputes u from the saved x and b, writes dx and sums db per column without atomics.
#include "tinytune/core/ops/bias_gelu/bias_gelu.h"

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/bias_gelu/bias_gelu_kernels.h"
#include "tinytune/core/ops/binary/binary.h"
#include "tinytune/core/ops/unary/unary.h"

namespace tt {

namespace {

struct BiasGeluBackward : Node {
  Tensor x, bias;
  BiasGeluBackward(Tensor x_, Tensor b) : x(std::move(x_)), bias(std::move(b)) {}
  const char* name() const override { return "BiasGeluBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = empty(x.shape(), x.dtype(), x.device());
    Tensor db = input_needs_grad(1) ? empty(bias.shape(), bias.dtype(), bias.device()) : Tensor();
    switch (x.device().type) {
      case DeviceType::cpu:
        throw Error("bias_gelu: internal error: the CPU path is the composite, not this node");
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::bias_gelu_backward(x, bias, g.contiguous(), dx, db);
        break;
#else
        (void)g;
        cuda::built_without_cuda("bias_gelu");
#endif
    }
    return {dx, db};
  }
  void release() override { x = bias = Tensor(); }
};

Tensor fused_bias_gelu(const Tensor& input, const Tensor& bias) {
  Tensor x = input.detach().contiguous();
  Tensor b = bias.detach().contiguous();
  Tensor y = empty(x.shape(), x.dtype(), x.device());
#ifdef TINYTUNE_WITH_CUDA
  cuda::bias_gelu_forward(x, b, y);
#else
  cuda::built_without_cuda("bias_gelu");
#endif
  if (needs_grad(input, bias))
    connect(y, std::make_shared<BiasGeluBackward>(x, b), {input, bias});
  return y;
}

}  // namespace

Tensor bias_gelu(const Tensor& x, const Tensor& bias) {
  TT_CHECK(x.defined() && bias.defined(), "bias_gelu: x and bias must be defined");
  TT_CHECK(is_floating(x.dtype()), "bias_gelu: expected a floating dtype (f32 or f64), got ",
           dtype_name(x.dtype()), " tensor of shape ", shape_str(x.shape()));
  TT_CHECK(x.dim() >= 1 && bias.dim() == 1 && bias.shape()[0] == x.shape().back(),
           "bias_gelu: bias of shape ", shape_str(bias.shape()), " does not match the last dim of x ",
           shape_str(x.shape()), " (expected [", x.dim() >= 1 ? x.shape().back() : 0, "])");
  TT_CHECK(bias.dtype() == x.dtype() && bias.device() == x.device(), "bias_gelu: bias (",
           dtype_name(bias.dtype()), " on ", bias.device().str(), ") differs from x (",
           dtype_name(x.dtype()), " on ", x.device().str(), ")");
  switch (x.device().type) {
    case DeviceType::cpu: return gelu(add(x, bias));
    case DeviceType::cuda: return fused_bias_gelu(x, bias);
  }
  return Tensor();
}

}  // namespace tt

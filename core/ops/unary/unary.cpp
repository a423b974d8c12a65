// neg, exp, log, sqrt, pow (scalar exponent), tanh, gelu, relu.
//
//   op          forward y = f(x)                        backward dx = g * f'(x)
//   neg         -x                                      -g
//   exp         e^x                                     g * y
//   log         ln x                                    g / x
//   sqrt        x^(1/2)                                 g / (2 y)
//   pow(p)      x^p                                     g * p * x^(p-1)
//   tanh        tanh x                                  g * (1 - y^2)
//   gelu        x * Phi(x),  Phi(x) = (1 + erf(x/√2))/2 g * (Phi(x) + x * exp(-x²/2) / √(2π))
//   relu        max(x, 0)                               g * [x > 0]
#include "tinytune/core/ops/unary/unary.h"

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/unary/unary_kernels.h"

namespace tt {

namespace {

const char* op_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::neg: return "neg";
    case UnaryOp::exp: return "exp";
    case UnaryOp::log: return "log";
    case UnaryOp::sqrt: return "sqrt";
    case UnaryOp::pow: return "pow";
    case UnaryOp::tanh: return "tanh";
    case UnaryOp::gelu: return "gelu";
    case UnaryOp::relu: return "relu";
  }
  return "?";
}

struct UnaryBackward : Node {
  UnaryOp op;
  double exponent;
  Tensor x, y;
  UnaryBackward(UnaryOp o, double e, Tensor x_, Tensor y_)
      : op(o), exponent(e), x(std::move(x_)), y(std::move(y_)) {}
  const char* name() const override { return "UnaryBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor grad_y = g.contiguous();
    Tensor grad_x = empty(x.shape(), x.dtype(), x.device());
    switch (x.device().type) {
      case DeviceType::cpu: cpu::unary_backward(op, exponent, x, y, grad_y, grad_x); break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::unary_backward(op, exponent, x, y, grad_y, grad_x);
        break;
#else
        cuda::built_without_cuda(op_name(op));
#endif
    }
    return {grad_x};
  }
  void release() override { x = y = Tensor(); }
};

Tensor unary(UnaryOp op, const Tensor& input, double exponent = 0.0) {
  const char* name = op_name(op);
  TT_CHECK(op == UnaryOp::neg || is_floating(input.dtype()), name,
           ": expected a floating dtype (f32 or f64), got ", dtype_name(input.dtype()),
           " tensor of shape ", shape_str(input.shape()));
  Tensor x = input.contiguous();
  Tensor y = empty(x.shape(), x.dtype(), x.device());
  switch (x.device().type) {
    case DeviceType::cpu: cpu::unary_forward(op, exponent, x, y); break;
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      cuda::unary_forward(op, exponent, x, y);
      break;
#else
      cuda::built_without_cuda(name);
#endif
  }
  if (needs_grad(input))
    connect(y, std::make_shared<UnaryBackward>(op, exponent, x.detach(), y.detach()), {input});
  return y;
}

}  // namespace

Tensor neg(const Tensor& x) { return unary(UnaryOp::neg, x); }
Tensor exp(const Tensor& x) { return unary(UnaryOp::exp, x); }
Tensor log(const Tensor& x) { return unary(UnaryOp::log, x); }
Tensor sqrt(const Tensor& x) { return unary(UnaryOp::sqrt, x); }
Tensor pow(const Tensor& x, double exponent) { return unary(UnaryOp::pow, x, exponent); }
Tensor tanh(const Tensor& x) { return unary(UnaryOp::tanh, x); }
Tensor gelu(const Tensor& x) { return unary(UnaryOp::gelu, x); }
Tensor relu(const Tensor& x) { return unary(UnaryOp::relu, x); }

}  // namespace tt

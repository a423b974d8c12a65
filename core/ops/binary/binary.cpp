// add, sub, mul, div with broadcasting.
//
// Forward: out = a (op) b over the broadcast shape.
// Backward (sum_to folds a gradient back onto a broadcast input's shape):
//   add: da = g,            db = g
//   sub: da = g,            db = -g
//   mul: da = g * b,        db = g * a
//   div: da = g / b,        db = -g * a / b^2
#include "tinytune/core/ops/binary/binary.h"

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/binary/binary_kernels.h"
#include "tinytune/core/ops/reduce/reduce.h"
#include "tinytune/core/ops/unary/unary.h"

namespace tt {

namespace {

const char* op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::add: return "add";
    case BinaryOp::sub: return "sub";
    case BinaryOp::mul: return "mul";
    case BinaryOp::div: return "div";
  }
  return "?";
}

struct AddBackward : Node {
  Shape a_shape, b_shape;
  AddBackward(Shape a, Shape b) : a_shape(std::move(a)), b_shape(std::move(b)) {}
  const char* name() const override { return "AddBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    return {input_needs_grad(0) ? sum_to(g, a_shape) : Tensor(),
            input_needs_grad(1) ? sum_to(g, b_shape) : Tensor()};
  }
};

struct SubBackward : Node {
  Shape a_shape, b_shape;
  SubBackward(Shape a, Shape b) : a_shape(std::move(a)), b_shape(std::move(b)) {}
  const char* name() const override { return "SubBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    return {input_needs_grad(0) ? sum_to(g, a_shape) : Tensor(),
            input_needs_grad(1) ? sum_to(neg(g), b_shape) : Tensor()};
  }
};

struct MulBackward : Node {
  Tensor a, b;
  MulBackward(Tensor a_, Tensor b_) : a(std::move(a_)), b(std::move(b_)) {}
  const char* name() const override { return "MulBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    return {input_needs_grad(0) ? sum_to(mul(g, b), a.shape()) : Tensor(),
            input_needs_grad(1) ? sum_to(mul(g, a), b.shape()) : Tensor()};
  }
  void release() override { a = b = Tensor(); }
};

struct DivBackward : Node {
  Tensor a, b;
  DivBackward(Tensor a_, Tensor b_) : a(std::move(a_)), b(std::move(b_)) {}
  const char* name() const override { return "DivBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    return {input_needs_grad(0) ? sum_to(div(g, b), a.shape()) : Tensor(),
            input_needs_grad(1) ? sum_to(neg(div(mul(g, a), mul(b, b))), b.shape()) : Tensor()};
  }
  void release() override { a = b = Tensor(); }
};

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = op_name(op);
  TT_CHECK(a.dtype() == b.dtype(), name, ": dtype mismatch: ", dtype_name(a.dtype()),
           " tensor of shape ", shape_str(a.shape()), " and ", dtype_name(b.dtype()),
           " tensor of shape ", shape_str(b.shape()));
  // Integer division would trap on a zero divisor; tinytune divides only floats.
  TT_CHECK(op != BinaryOp::div || is_floating(a.dtype()), "div: expected floating tensors, got ",
           dtype_name(a.dtype()), " tensors of shapes ", shape_str(a.shape()), " and ",
           shape_str(b.shape()));
  TT_CHECK(a.device() == b.device(), name, ": tensors on different devices (",
           a.device().str(), ", ", b.device().str(), ")");
  Tensor out = empty(broadcast_shapes(a.shape(), b.shape(), name), a.dtype(), a.device());
  switch (a.device().type) {
    case DeviceType::cpu: cpu::binary_forward(op, a, b, out); break;
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      cuda::binary_forward(op, a, b, out);
      break;
#else
      cuda::built_without_cuda(name);
#endif
  }
  if (needs_grad(a, b)) {
    std::shared_ptr<Node> node;
    switch (op) {
      case BinaryOp::add: node = std::make_shared<AddBackward>(a.shape(), b.shape()); break;
      case BinaryOp::sub: node = std::make_shared<SubBackward>(a.shape(), b.shape()); break;
      case BinaryOp::mul: node = std::make_shared<MulBackward>(a.detach(), b.detach()); break;
      case BinaryOp::div: node = std::make_shared<DivBackward>(a.detach(), b.detach()); break;
    }
    connect(out, std::move(node), {a, b});
  }
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::div, a, b); }

// The scalar lives on the tensor's device (a 0-d tensor; on CUDA one fill kernel, no transfer).
Tensor add(const Tensor& a, double b) { return add(a, scalar_tensor(b, a.dtype(), a.device())); }
Tensor sub(const Tensor& a, double b) { return sub(a, scalar_tensor(b, a.dtype(), a.device())); }
Tensor sub(double a, const Tensor& b) { return sub(scalar_tensor(a, b.dtype(), b.device()), b); }
Tensor mul(const Tensor& a, double b) { return mul(a, scalar_tensor(b, a.dtype(), a.device())); }
Tensor div(const Tensor& a, double b) { return div(a, scalar_tensor(b, a.dtype(), a.device())); }
Tensor div(double a, const Tensor& b) { return div(scalar_tensor(a, b.dtype(), b.device()), b); }

}  // namespace tt

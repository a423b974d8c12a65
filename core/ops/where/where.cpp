// where and masked_fill.
//
// Forward:  out = cond ? a : b
// Backward: da = sum_to(cond ? g : 0, a.shape),  db = sum_to(cond ? 0 : g, b.shape)
#include "tinytune/core/ops/where/where.h"

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/reduce/reduce.h"
#include "tinytune/core/ops/where/where_kernels.h"

namespace tt {

namespace {

struct WhereBackward : Node {
  Tensor cond;
  Shape a_shape, b_shape;
  WhereBackward(Tensor c, Shape a, Shape b)
      : cond(std::move(c)), a_shape(std::move(a)), b_shape(std::move(b)) {}
  const char* name() const override { return "WhereBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor zero = zeros({}, g.dtype(), g.device());
    return {Tensor(),
            input_needs_grad(1) ? sum_to(where(cond, g, zero), a_shape) : Tensor(),
            input_needs_grad(2) ? sum_to(where(cond, zero, g), b_shape) : Tensor()};
  }
  void release() override { cond = Tensor(); }
};

}  // namespace

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  TT_CHECK(a.dtype() == b.dtype(), "where: dtype mismatch: a is ", dtype_name(a.dtype()),
           " of shape ", shape_str(a.shape()), ", b is ", dtype_name(b.dtype()), " of shape ",
           shape_str(b.shape()));
  TT_CHECK(cond.device() == a.device() && a.device() == b.device(),
           "where: tensors on different devices (cond on ", cond.device().str(), ", a on ",
           a.device().str(), ", b on ", b.device().str(), ")");
  Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(),
                                 "where");
  Tensor out = empty(shape, a.dtype(), a.device());
  switch (a.device().type) {
    case DeviceType::cpu: cpu::where_forward(cond, a, b, out); break;
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      cuda::where_forward(cond, a, b, out);
      break;
#else
      cuda::built_without_cuda("where");
#endif
  }
  if (needs_grad(a, b))
    connect(out, std::make_shared<WhereBackward>(cond.detach(), a.shape(), b.shape()),
            {cond, a, b});
  return out;
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  Shape shape = broadcast_shapes(mask.shape(), x.shape(), "masked_fill");
  TT_CHECK(shape == x.shape(), "masked_fill: mask of shape ", shape_str(mask.shape()),
           " must broadcast to the input's shape ", shape_str(x.shape()));
  return where(mask, scalar_tensor(value, x.dtype(), x.device()), x);
}

}  // namespace tt

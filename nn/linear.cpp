#include "tinytune/nn/linear.h"

#include "tinytune/core/ops.h"
#include "tinytune/nn/init.h"

namespace tt::nn {

Linear::Linear(int64_t in, int64_t out, bool with_bias, double init_std)
    : in_features(in), out_features(out) {
  TT_CHECK(in > 0 && out > 0, "Linear: features must be positive, got in=", in, " out=", out);
  weight = register_parameter("weight", init_normal({out, in}, init_std));
  if (with_bias) bias = register_parameter("bias", zeros({out}));
}

Tensor Linear::base_forward(const Tensor& x) const {
  TT_CHECK(x.dim() >= 1 && x.size(-1) == in_features, "Linear: input of shape ",
           shape_str(x.shape()), " does not end in in_features = ", in_features);
  // Wᵀ is a transposed view: GEMM reads it in place.
  Tensor y = matmul(x, weight.transpose(0, 1));
  return bias.defined() ? add(y, bias) : y;
}

void Linear::set_adapter(std::shared_ptr<LinearAdapter> a) {
  TT_CHECK(!adapter, "Linear: an adapter is already installed on this layer");
  adapter = register_module("", std::move(a));
}

Tensor Linear::forward(const Tensor& x) {
  return adapter && !adapter->merged ? adapter->forward(*this, x) : base_forward(x);
}

}  // namespace tt::nn

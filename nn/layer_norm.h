// LayerNorm over the last dim, weight 1 and bias 0 at init (names "weight"/"bias", as HF).
#pragma once
#include "tinytune/nn/module.h"

namespace tt::nn {

class LayerNorm : public Module {
 public:
  LayerNorm(int64_t dim, double eps);
  Tensor forward(const Tensor& x);
  Tensor weight, bias;
  double eps;
};

}  // namespace tt::nn

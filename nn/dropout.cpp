#include "tinytune/nn/dropout.h"

#include "tinytune/core/ops.h"

namespace tt::nn {

Dropout::Dropout(double p_) : p(p_) {
  TT_CHECK(p >= 0.0 && p < 1.0, "Dropout: p must be in [0, 1), got ", p);
}

Tensor Dropout::forward(const Tensor& x) { return dropout(x, p, is_training()); }

}  // namespace tt::nn

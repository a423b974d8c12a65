// mse_loss = mean((input - target)^2), composed of basic ops, whose backward rules give
//   d input = 2 (input - target) g / N,   d target = -d input.
#include "tinytune/core/ops/mse_loss/mse_loss.h"

#include "tinytune/core/ops/binary/binary.h"
#include "tinytune/core/ops/reduce/reduce.h"

namespace tt {

Tensor mse_loss(const Tensor& input, const Tensor& target) {
  // Shapes must match exactly: a silent broadcast of [N] against [N, 1] is a classic bug.
  TT_CHECK(input.shape() == target.shape(), "mse_loss: input shape ", shape_str(input.shape()),
           " differs from target shape ", shape_str(target.shape()));
  Tensor diff = sub(input, target);
  return mean(mul(diff, diff));
}

}  // namespace tt

// Mean squared error, mean over all elements (PyTorch's F.mse_loss, reduction='mean').
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

Tensor mse_loss(const Tensor& input, const Tensor& target);

}  // namespace tt

// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: when the L2 norm of all
// gradients together exceeds max_norm, every gradient is scaled by max_norm / (norm + 1e-6).
#pragma once
#include <vector>

#include "tinytune/core/tensor.h"

namespace tt::train {

// Returns the norm before clipping. Parameters without a gradient are ignored; gradients may
// live on the CPU or on a CUDA device.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);

}  // namespace tt::train

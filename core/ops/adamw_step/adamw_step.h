// One AdamW update of a list of tensors, in place (the optimizer's arithmetic; train/adamw.h
// keeps the state and the parameter groups).
#pragma once
#include <cstdint>
#include <vector>

#include "tinytune/core/tensor.h"

namespace tt {

// For every i: params[i], exp_avg[i] (m), exp_avg_sq[i] (v) are contiguous floating tensors of
// one shape and dtype; grads[i] has that shape and dtype (any strides); lr[i] and
// weight_decay[i] are that tensor's rates; step (>= 1) counts this update. Every tensor is on
// one device. Not differentiable: it writes the tensors' storage directly.
//   p <- p * (1 - lr * weight_decay)
//   m <- beta1 m + (1 - beta1) g,   v <- beta2 v + (1 - beta2) g²
//   p <- p - (lr / (1 - beta1^step)) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
// The CPU updates the tensors one after the other; CUDA updates all of them in one launch per
// dtype (multi-tensor apply).
void adamw_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                const std::vector<double>& lr, const std::vector<double>& weight_decay,
                double beta1, double beta2, double eps, int64_t step);

}  // namespace tt

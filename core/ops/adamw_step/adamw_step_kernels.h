// Kernel entry points of adamw_step, one namespace per device (the cuda:: one is defined in
// adamw_step_cuda.cu, built only with CUDA). All lists have one entry per tensor; every tensor
// is contiguous, and p, g, m, v of entry i share a shape and a floating dtype.
#pragma once
#include <vector>

#include "tinytune/core/tensor.h"

namespace tt {

// The step's constants, as the CPU loop of PyTorch's AdamW uses them.
struct AdamWConstants {
  double beta1, beta2, eps;
  double bias1;       // 1 - beta1^step
  double bias2_sqrt;  // sqrt(1 - beta2^step)
};

namespace cpu {
void adamw_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                const std::vector<double>& lr, const std::vector<double>& weight_decay,
                const AdamWConstants& constants);
}  // namespace cpu

namespace cuda {
void adamw_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                const std::vector<double>& lr, const std::vector<double>& weight_decay,
                const AdamWConstants& constants);
}  // namespace cuda

}  // namespace tt

// adamw_step: the AdamW update (Loshchilov & Hutter 2019) with PyTorch's semantics
// (torch.optim.AdamW, foreach=False), applied to a list of tensors.
//
//   p <- p * (1 - lr * wd)                                 decoupled decay, before the update
//   m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g²
//   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// No backward: an optimizer step, not a differentiable function.
// CPU: a loop per tensor (adamw_step_cpu.cpp). CUDA: one launch per dtype updates every tensor
// of the list (a device table of pointers and sizes, chunked over blocks: llm.c / apex's
// multi_tensor_apply), so an optimizer step over 200 parameters is one kernel, not 200.
#include "tinytune/core/ops/adamw_step/adamw_step.h"

#include <cmath>

#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/adamw_step/adamw_step_kernels.h"

namespace tt {

void adamw_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                const std::vector<double>& lr, const std::vector<double>& weight_decay,
                double beta1, double beta2, double eps, int64_t step) {
  const size_t n = params.size();
  TT_CHECK(grads.size() == n && exp_avg.size() == n && exp_avg_sq.size() == n &&
               lr.size() == n && weight_decay.size() == n,
           "adamw_step: expected one grad, exp_avg, exp_avg_sq, lr and weight_decay per "
           "parameter (", n, " parameters), got ", grads.size(), ", ", exp_avg.size(), ", ",
           exp_avg_sq.size(), ", ", lr.size(), ", ", weight_decay.size());
  TT_CHECK(step >= 1, "adamw_step: step must be >= 1, got ", step);
  TT_CHECK(eps > 0, "adamw_step: eps must be > 0, got ", eps);
  if (n == 0) return;
  const Device device = params[0].device();
  std::vector<Tensor> grads_contiguous(n);
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = params[i];
    TT_CHECK(is_floating(p.dtype()) && p.is_contiguous(), "adamw_step: parameter ", i,
             " (shape ", shape_str(p.shape()), ", ", dtype_name(p.dtype()),
             ") must be a contiguous floating tensor");
    for (const Tensor* t : {&grads[i], &exp_avg[i], &exp_avg_sq[i]}) {
      TT_CHECK(t->defined() && t->shape() == p.shape() && t->dtype() == p.dtype(),
               "adamw_step: the grad and moments of parameter ", i, " must match its shape ",
               shape_str(p.shape()), " and dtype ", dtype_name(p.dtype()));
    }
    TT_CHECK(exp_avg[i].is_contiguous() && exp_avg_sq[i].is_contiguous(),
             "adamw_step: the moments of parameter ", i, " must be contiguous");
    for (const Tensor* t : {&p, &grads[i], &exp_avg[i], &exp_avg_sq[i]}) {
      TT_CHECK(t->device() == device, "adamw_step: parameter ", i, " and its grad and moments "
               "must all be on ", device.str(), " (the first parameter's device), found ",
               t->device().str());
    }
    TT_CHECK(lr[i] >= 0 && weight_decay[i] >= 0, "adamw_step: lr and weight_decay of parameter ",
             i, " must be >= 0, got ", lr[i], " and ", weight_decay[i]);
    grads_contiguous[i] = grads[i].detach().contiguous();
  }
  AdamWConstants constants{beta1, beta2, eps,
                           1.0 - std::pow(beta1, static_cast<double>(step)),
                           std::sqrt(1.0 - std::pow(beta2, static_cast<double>(step)))};
  switch (device.type) {
    case DeviceType::cpu:
      cpu::adamw_step(params, grads_contiguous, exp_avg, exp_avg_sq, lr, weight_decay, constants);
      break;
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      cuda::adamw_step(params, grads_contiguous, exp_avg, exp_avg_sq, lr, weight_decay,
                       constants);
      break;
#else
      cuda::built_without_cuda("adamw_step");
#endif
  }
}

}  // namespace tt

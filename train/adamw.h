// AdamW (Loshchilov & Hutter 2019) with PyTorch's semantics (torch.optim.AdamW, foreach=False):
//   p <- p * (1 - lr * weight_decay)                      decoupled decay, before the update
//   m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g²
//   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// Parameters without a gradient this step are skipped (their moments and decay too).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "tinytune/core/tensor.h"

namespace tt::train {

struct ParamGroup {
  std::vector<Tensor> params;
  double weight_decay = 0.0;
  double lr_scale = 1.0;  // this group's lr = the optimizer's (scheduled) lr × lr_scale
};

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
};

class AdamW {
 public:
  AdamW(std::vector<ParamGroup> groups, AdamWOptions options);
  void step();       // one update of every parameter that has a .grad
  void zero_grad();  // drops every .grad
  void set_lr(double lr) { options_.lr = lr; }
  double lr() const { return options_.lr; }
  int64_t steps() const { return step_; }

  // State for checkpoints: the step count and each parameter's moments (in group order).
  std::vector<std::pair<Tensor, Tensor>>& moments() { return moments_; }
  void set_steps(int64_t steps) { step_ = steps; }
  const std::vector<ParamGroup>& groups() const { return groups_; }

 private:
  std::vector<ParamGroup> groups_;
  AdamWOptions options_;
  int64_t step_ = 0;
  std::vector<std::pair<Tensor, Tensor>> moments_;  // (m, v) per parameter, flattened over groups
};

// HF run_glue's grouping: no weight decay on biases and LayerNorm weights, `weight_decay` on
// every other trainable parameter. Frozen parameters are left out. Parameters whose name starts
// with `head_prefix` (when not empty) go to their own groups with lr × head_lr_scale (C3A's
// recipe trains the classifier at a different rate than the adapters).
std::vector<ParamGroup> decay_groups(const std::vector<std::pair<std::string, Tensor>>& named_params,
                                     double weight_decay, const std::string& head_prefix = "",
                                     double head_lr_scale = 1.0);

}  // namespace tt::train

#include "tinytune/train/adamw.h"

#include "tinytune/core/error.h"
#include "tinytune/core/ops/adamw_step/adamw_step.h"

namespace tt::train {

AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions options)
    : groups_(std::move(groups)), options_(options) {
  TT_CHECK(options.lr >= 0, "AdamW: lr must be >= 0, got ", options.lr);
  TT_CHECK(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 && options.beta2 < 1,
           "AdamW: betas must be in [0, 1), got ", options.beta1, ", ", options.beta2);
  TT_CHECK(options.eps > 0, "AdamW: eps must be > 0, got ", options.eps);
  for (const ParamGroup& group : groups_) {
    TT_CHECK(group.weight_decay >= 0, "AdamW: weight_decay must be >= 0, got ", group.weight_decay);
    for (const Tensor& p : group.params) {
      TT_CHECK(p.is_leaf() && p.requires_grad() && p.is_contiguous(),
               "AdamW: parameters must be contiguous leaves that require grad (shape ",
               shape_str(p.shape()), ")");
      moments_.emplace_back(zeros(p.shape(), p.dtype(), p.device()),
                            zeros(p.shape(), p.dtype(), p.device()));
    }
  }
}

void AdamW::step() {
  ++step_;
  // Parameters without a gradient this step are skipped (moments and decay too); the rest go
  // to one adamw_step call (one multi-tensor launch on CUDA).
  std::vector<Tensor> params, grads, exp_avg, exp_avg_sq;
  std::vector<double> lrs, decays;
  size_t index = 0;
  for (ParamGroup& group : groups_) {
    for (Tensor& p : group.params) {
      auto& [m, v] = moments_[index++];
      Tensor g = p.grad();
      if (!g.defined()) continue;
      params.push_back(p);
      grads.push_back(g);
      exp_avg.push_back(m);
      exp_avg_sq.push_back(v);
      lrs.push_back(options_.lr * group.lr_scale);
      decays.push_back(group.weight_decay);
    }
  }
  adamw_step(params, grads, exp_avg, exp_avg_sq, lrs, decays, options_.beta1, options_.beta2,
             options_.eps, step_);
}

void AdamW::zero_grad() {
  for (ParamGroup& group : groups_)
    for (Tensor& p : group.params) p.zero_grad();
}

std::vector<ParamGroup> decay_groups(const std::vector<std::pair<std::string, Tensor>>& named_params,
                                     double weight_decay, const std::string& head_prefix,
                                     double head_lr_scale) {
  ParamGroup decay{{}, weight_decay, 1.0}, no_decay{{}, 0.0, 1.0};
  ParamGroup head_decay{{}, weight_decay, head_lr_scale}, head_no_decay{{}, 0.0, head_lr_scale};
  for (const auto& [name, p] : named_params) {
    if (!p.requires_grad()) continue;
    const bool is_bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
    const bool is_norm = name.find("LayerNorm.weight") != std::string::npos;
    const bool is_head = !head_prefix.empty() && name.rfind(head_prefix, 0) == 0;
    if (is_head)
      (is_bias || is_norm ? head_no_decay : head_decay).params.push_back(p);
    else
      (is_bias || is_norm ? no_decay : decay).params.push_back(p);
  }
  std::vector<ParamGroup> groups{decay, no_decay};
  if (!head_prefix.empty()) {
    groups.push_back(head_decay);
    groups.push_back(head_no_decay);
  }
  return groups;
}

}  // namespace tt::train

// The one interface every adapter family implements over a frozen nn::Linear (y = W0 x + b).
//
// A family provides the adapted forward, the adapted weight W_eff (so the adapter can be merged
// into W0 and cost nothing at inference), optionally the inverse of its merge rule, and
// optionally a term of the training loss (qGOFT's soft orthogonality), which the trainer adds
// for every adapter without knowing the family (peft::adapters_extra_loss). Merge and unmerge themselves are generic
// (peft/peft.h): merge keeps a copy of W0 and writes W_eff; unmerge restores that copy, so the
// round trip is exact for every family, invertible rule or not.
#pragma once
#include <string>
#include <vector>

#include "tinytune/nn/linear.h"

namespace tt::peft {

// A module holding one parameter registered as "weight": adapters register their factors
// through it so the names read as HF PEFT's nn.Linear-held ones ("lora_A.weight").
struct WeightHolder : nn::Module {
  Tensor weight;
  explicit WeightHolder(Tensor w) { weight = register_parameter("weight", std::move(w)); }
};

class Adapter : public nn::LinearAdapter {
 public:
  // The family's name as --peft spells it ("lora", "c3a", ...).
  virtual std::string family() const = 0;
  // W_eff [d_out, d_in] such that the adapted layer computes x W_effᵀ + b (dropout off).
  // Reads the layer's unmerged W0 from `base`; not differentiable (merging is for inference).
  virtual Tensor merged_weight(const nn::Linear& base) const = 0;
  // W0 recovered from W_eff by the family's inverse rule (LoRA: subtract s·BA; GOFT: the
  // inverse stages). Undefined when the rule has no inverse (CondLoRA's ΔW depends on W0).
  // Unmerge never needs it; tests check it against the kept copy.
  virtual Tensor unmerged_weight(const Tensor& merged) const {
    (void)merged;
    return Tensor();
  }
  // The family's penalty, unweighted (qGOFT: Σ⟨α,β⟩²), or undefined (the default: none).
  virtual Tensor regularization() const { return Tensor(); }
  // The scalar this adapter adds to the training loss, weighted as the family's options say,
  // or undefined (the default: nothing to add). Differentiable in the adapter's parameters.
  virtual Tensor extra_loss() const { return Tensor(); }
  // Trainable tensors this adapter uses but shares with other layers' adapters (CondLoRA's
  // per-module-type maps); registered once elsewhere, counted once by adapter_parameter_count.
  virtual std::vector<Tensor> shared_parameters() const { return {}; }

  Tensor kept_weight;  // W0 as it was before merge_adapters (defined only while merged)
};

}  // namespace tt::peft

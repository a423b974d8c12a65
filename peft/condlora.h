// CondLoRA (Kim et al. 2024, arXiv 2403.14946) in the form of the official code
// (CyberAgentAILab/CondLoRA; docs/families.md §2.1): one trainable pair per target module type
// (per entry of target_modules, e.g. "query"), shared by every layer of that type,
//   Θ_A, Θ_B ∈ R^{r×d},
// from which each layer builds its LoRA factors out of its own frozen W0 [d, d]:
//   A = Θ_A W0ᵀ   [r, d]      B = W0 Θ_Bᵀ   [d, r]
//   y = W0 x + b + s · B (A · dropout(x)),   s = alpha / r  (alpha / sqrt(r) with rsLoRA)
// so ΔW = s · W0 Θ_Bᵀ Θ_A W0ᵀ. A and B are recomputed from W0 in every forward, and the
// gradient reaches Θ through those products. The official code feeds W0 (not the paper's W0ᵀ)
// to the B-generator; we follow the code. Needs square layers (d_in = d_out): A multiplies
// the input.
//
// Init (the code's): Θ_A ~ U(±1/sqrt(d)) (kaiming-uniform, a = sqrt(5)), Θ_B = 0, so ΔW = 0
// and the adapted model equals the base model at step 0.
// Parameters: 2 r d per module type, independent of depth (24,576 for RoBERTa-base, r = 8, q+v).
//
// Where the shared pair lives: the first layer of each type (in the model's module order)
// *owns* it — registers Θ_A, Θ_B as its parameters "condlora_theta_A.weight" and
// "condlora_theta_B.weight", so they appear exactly once in model.named_parameters() (the
// optimizer, checkpoints, adapter files and counts see them once), e.g.
//   bert.encoder.layer.0.attention.self.query.condlora_theta_A.weight
// Every other layer of that type holds the same tensors (shared handles, never reassigned; a
// load writes into them) and returns them from shared_parameters(). Layers of one type must
// therefore have the same d.
//
// Merge: W0 <- W0 + s·ΔW(W0), from the layer's unmerged W0. There is no inverse rule (ΔW
// depends on W0): unmerged_weight() is undefined; unmerge restores the kept copy.
// Export: export_condlora_as_lora writes the per-layer A, B as an ordinary HF PEFT LoRA
// adapter (exact; docs/families.md §2.2).
#pragma once
#include <string>
#include <vector>

#include "tinytune/peft/adapter.h"
#include "tinytune/peft/peft.h"
#include "tinytune/peft/registry.h"

namespace tt::peft {

struct CondLoraOptions {
  int64_t r = 8;
  double alpha = 16.0;
  double dropout = 0.1;
  bool rslora = false;
};

class CondLoraAdapter : public Adapter {
 public:
  // theta_A, theta_B [r, d]: the pair of this layer's module type. `owner`: register them as
  // this adapter's parameters (the type's first layer); otherwise they are shared_parameters().
  CondLoraAdapter(const nn::Linear& base, const CondLoraOptions& options, Tensor theta_A,
                  Tensor theta_B, bool owner);
  std::string family() const override { return "condlora"; }
  Tensor forward(const nn::Linear& base, const Tensor& x) override;
  Tensor merged_weight(const nn::Linear& base) const override;
  std::vector<Tensor> shared_parameters() const override;

  // The layer's LoRA factors from its W0 (differentiable in Θ).
  Tensor lora_A(const Tensor& w0) const;  // Θ_A W0ᵀ [r, d]
  Tensor lora_B(const Tensor& w0) const;  // W0 Θ_Bᵀ [d, r]
  Tensor delta_weight(const Tensor& w0) const;  // s · B A [d, d], no grad

  Tensor theta_A, theta_B;
  bool owns_theta;
  double scaling;
  double dropout;
};

// Installs CondLoRA on every Linear matched by `targets` (HF PEFT's rule, as
// peft::find_target_linears; a layer matched by two entries belongs to the first), one shared
// pair per entry, and freezes everything but Θ and the parameters under `trainable_prefixes`.
// Returns the adapted layers' names. Errors name the layer: a rectangular layer, a layer whose
// d differs from its type's first layer, r outside [1, d].
std::vector<std::string> inject_condlora(nn::Module& model, const std::vector<std::string>& targets,
                                         const CondLoraOptions& options,
                                         const std::vector<std::string>& trainable_prefixes);

// Writes `model`'s CondLoRA adapters as an HF PEFT LoRA adapter in `dir` (peft/adapter_io.h's
// layout, peft_type "LORA"): per layer lora_A = Θ_A W0ᵀ, lora_B = W0 Θ_Bᵀ with the same r,
// alpha, rsLoRA, dropout and targets, plus the modules_to_save tensors (the head). HF's LoRA
// then computes exactly CondLoRA's forward. `config` is the CondLoRA config the model was
// adapted with; W0 is the unmerged weight (the kept copy if merged).
void export_condlora_as_lora(nn::Module& model, const PeftConfig& config, const std::string& dir,
                             const std::string& base_model_name,
                             const std::vector<std::string>& modules_to_save = {"classifier"});

// CondLoRA as the registry knows it: peft_type "TINYTUNE_CONDLORA", LoRA's keys.
AdapterFamily condlora_family();

}  // namespace tt::peft

// PEFT front door: which family to inject where, with which options; and the operations that
// work on any family (merge, unmerge, the loss regulariser, parameter counts).
//
//   peft::PeftConfig c;  c.method = "qgoft";
//   peft::apply_peft(model, c, {"classifier."});   // freezes the rest, prints nothing
//   ... train ...
//   peft::merge_adapters(model);                   // W0 <- W_eff, forward = plain Linear
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "tinytune/nn/linear.h"
#include "tinytune/peft/adapter.h"

namespace tt::peft {

// Every family's options (the train_glue flags of the same names). A family reads only its own.
struct PeftConfig {
  std::string method = "lora";  // a registered family: lora | condlora | c3a | goft | qgoft | ...
  std::vector<std::string> target_modules{"query", "value"};
  // LoRA and CondLoRA: ΔW = s·B A with s = alpha / r (alpha / sqrt(r) with rslora).
  int64_t lora_r = 8;
  double lora_alpha = 16.0;
  double lora_dropout = 0.1;
  std::string lora_init = "a";  // a: B = 0, A kaiming-uniform | b: A = 0, B random | gaussian
  bool rslora = false;
  // C3A: block-circulant ΔW / d_in with b x b blocks.
  int64_t c3a_block_size = 128;
  std::string c3a_init = "xavier_uniform";  // xavier_uniform | kaiming_uniform | gaussian | zeros
  // qGOFT: weight of the soft-orthogonality term λ·Σ⟨α,β⟩².
  double qgoft_lambda = 0.01;

  // Throws naming the flag (--lora-r, --c3a-block-size, ...) for an option out of range (the
  // method itself is checked by apply_peft).
  void validate() const;
};

// The families apply_peft knows, in --peft's spelling (peft::family_names(), peft/registry.h).
const std::vector<std::string>& peft_families();

// Injects config.method's adapter (the registered family's inject, peft/registry.h) into every
// Linear named by config.target_modules, freezes every other parameter except those whose name
// starts with one of `trainable_prefixes` (the task head). Returns the adapted layers' names.
// Errors: an unknown method or target, a rank or block size that does not fit a layer.
std::vector<std::string> apply_peft(nn::Module& model, const PeftConfig& config,
                                    const std::vector<std::string>& trainable_prefixes);

// The Linear layers whose dotted name is a target or ends with "." + target (HF PEFT's rule).
// An entry that matches no Linear is an error naming it (--target-modules).
std::vector<std::pair<std::string, nn::Linear*>> find_target_linears(
    nn::Module& model, const std::vector<std::string>& targets);

// Freezes every parameter of `model`, then unfreezes those whose name contains one of
// `adapter_markers` (".lora_A.", ".c3a_kernel", ...) or starts with a trainable prefix.
void freeze_all_but(nn::Module& model, const std::vector<std::string>& adapter_markers,
                    const std::vector<std::string>& trainable_prefixes);

// Every installed adapter, with its layer's name.
std::vector<std::pair<std::string, Adapter*>> adapters_of(nn::Module& model);

// Parameters that belong to adapters (trainable or not), excluding the task head: the count
// docs/families.md gives per family. Parameters shared by several layers count once.
int64_t adapter_parameter_count(nn::Module& model);

// Σ of every adapter's regularization() (undefined when no adapter has one).
Tensor peft_regularization(nn::Module& model);
// Σ of every adapter's extra_loss(): what training adds to the task loss (undefined when no
// adapter adds anything).
Tensor adapters_extra_loss(nn::Module& model);

// W0 <- W_eff in every adapted layer (keeping W0), so forward is the plain Linear's.
// Already merged layers are left as they are.
void merge_adapters(nn::Module& model);
// Restores each merged layer's W0 exactly, bit for bit, from the copy merge kept.
void unmerge_adapters(nn::Module& model);

}  // namespace tt::peft

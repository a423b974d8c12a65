// LoRA (Hu et al. 2021), as HF PEFT computes it:
//   y = W0 x + b + s · B (A · dropout(x)),   A [r, d_in], B [d_out, r],   s = alpha / r
// Init a (HF's default): A ~ U(-1/sqrt(d_in), 1/sqrt(d_in)) (kaiming_uniform, a = sqrt(5)), B = 0,
// so the adapted model equals the base model at step 0. Parameters: r (d_in + d_out) per layer.
#pragma once
#include <string>
#include <vector>

#include "nn/linear.h"
#include "nn/module.h"

namespace tt::peft {

struct LoraOptions {
  int64_t r = 8;
  double alpha = 16.0;
  double dropout = 0.1;
};

class LoraAdapter : public nn::LinearAdapter {
 public:
  LoraAdapter(const nn::Linear& base, const LoraOptions& options);
  Tensor forward(const nn::Linear& base, const Tensor& x) override;
  Tensor lora_A, lora_B;  // registered as "lora_A.weight", "lora_B.weight"
  double scaling;
  double dropout;
};

// Installs LoRA on every Linear whose dotted name ends with one of `targets` (e.g. "query",
// "value", "attention.output.dense"); freezes everything else except parameters whose name
// starts with one of `trainable_prefixes` (the task head). Returns the adapted module names.
// An unknown target (matching no Linear) or r outside [1, min(d_in, d_out)] is an error.
std::vector<std::string> inject_lora(nn::Module& model, const std::vector<std::string>& targets,
                                     const LoraOptions& options,
                                     const std::vector<std::string>& trainable_prefixes);

}  // namespace tt::peft

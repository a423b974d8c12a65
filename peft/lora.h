// LoRA (Hu et al. 2021), as HF PEFT computes it:
//   y = W0 x + b + s · B (A · dropout(x)),   A [r, d_in], B [d_out, r],
//   s = alpha / r  (alpha / sqrt(r) with rsLoRA)
// Initialisations (docs/families.md §1.2–1.3), each making B A = 0 so the adapted model equals the
// base model at step 0:
//   a        (Init[A], HF's default)  A ~ U(±1/sqrt(d_in)) (kaiming_uniform, a = sqrt(5)), B = 0
//   b        (Init[B])                A = 0, B ~ U(±1/sqrt(r)) (nn.Linear(r, d_out)'s default)
//   gaussian (HF "gaussian")          A ~ N(0, (1/r)²), B = 0
// Merge: W0 <- W0 + s·B A. Parameters: r (d_in + d_out) per layer.
#pragma once
#include <string>
#include <vector>

#include "tinytune/peft/adapter.h"
#include "tinytune/peft/registry.h"

namespace tt::peft {

enum class LoraInit { a, b, gaussian };
LoraInit parse_lora_init(const std::string& name);  // "a" | "b" | "gaussian" (--lora-init)

struct LoraOptions {
  int64_t r = 8;
  double alpha = 16.0;
  double dropout = 0.1;
  LoraInit init = LoraInit::a;
  bool rslora = false;
};

class LoraAdapter : public Adapter {
 public:
  LoraAdapter(const nn::Linear& base, const LoraOptions& options);
  std::string family() const override { return "lora"; }
  Tensor forward(const nn::Linear& base, const Tensor& x) override;
  Tensor merged_weight(const nn::Linear& base) const override;
  Tensor unmerged_weight(const Tensor& merged) const override;
  Tensor delta_weight() const;  // s · B A, [d_out, d_in]

  Tensor lora_A, lora_B;  // registered as "lora_A.weight", "lora_B.weight" (HF PEFT's names)
  double scaling;
  double dropout;
};

// Installs LoRA on every Linear matched by `targets` (peft::find_target_linears) and freezes
// everything but the adapters and the parameters under `trainable_prefixes`. Returns the
// adapted layers' names. r outside [1, min(d_in, d_out)] is an error.
std::vector<std::string> inject_lora(nn::Module& model, const std::vector<std::string>& targets,
                                     const LoraOptions& options,
                                     const std::vector<std::string>& trainable_prefixes);

// LoRA as the registry knows it (peft/registry.h): peft_type "LORA", HF's keys.
AdapterFamily lora_family();
// The keys LoRA and CondLoRA share in adapter_config.json (r, lora_alpha, lora_dropout,
// use_rslora); reading defaults them as HF does unless the file is one of ours.
void write_lora_keys(const PeftConfig& config, nlohmann::json& out);
void read_lora_keys(const AdapterConfigReader& in, PeftConfig& config);

}  // namespace tt::peft

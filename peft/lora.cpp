#include "peft/lora.h"

#include <cmath>

#include "core/ops.h"

namespace tt::peft {

namespace {

// Parameters are registered through a tiny Module per factor so the names read as HF PEFT's
// ("lora_A.weight").
struct Factor : nn::Module {
  Tensor weight;
  explicit Factor(Tensor w) { weight = register_parameter("weight", std::move(w)); }
};

}  // namespace

LoraAdapter::LoraAdapter(const nn::Linear& base, const LoraOptions& options)
    : scaling(options.alpha / static_cast<double>(options.r)), dropout(options.dropout) {
  const int64_t d_in = base.in_features, d_out = base.out_features;
  TT_CHECK(options.r >= 1 && options.r <= std::min(d_in, d_out), "--lora-r: rank ", options.r,
           " must be in [1, min(d_in, d_out)] = [1, ", std::min(d_in, d_out), "] for a ", d_out,
           "x", d_in, " layer");
  TT_CHECK(options.dropout >= 0 && options.dropout < 1, "--lora-dropout: must be in [0, 1), got ",
           options.dropout);
  const double bound = 1.0 / std::sqrt(static_cast<double>(d_in));
  lora_A = register_module("lora_A", std::make_shared<Factor>(
      uniform({options.r, d_in}, -bound, bound, base.weight.dtype())))->weight;
  lora_B = register_module("lora_B", std::make_shared<Factor>(
      zeros({d_out, options.r}, base.weight.dtype())))->weight;
}

Tensor LoraAdapter::forward(const nn::Linear& base, const Tensor& x) {
  Tensor h = tt::dropout(x, dropout, is_training());
  Tensor delta = matmul(matmul(h, lora_A.transpose(0, 1)), lora_B.transpose(0, 1));
  return add(base.base_forward(x), mul(delta, scaling));
}

std::vector<std::string> inject_lora(nn::Module& model, const std::vector<std::string>& targets,
                                     const LoraOptions& options,
                                     const std::vector<std::string>& trainable_prefixes) {
  model.set_requires_grad(false);
  std::vector<std::string> adapted;
  std::vector<bool> target_used(targets.size(), false);
  for (auto& [name, module] : model.named_modules()) {
    auto* linear = dynamic_cast<nn::Linear*>(module);
    if (!linear) continue;
    for (size_t t = 0; t < targets.size(); ++t) {
      const std::string& target = targets[t];
      const bool match = name == target ||
                         (name.size() > target.size() &&
                          name.compare(name.size() - target.size(), target.size(), target) == 0 &&
                          name[name.size() - target.size() - 1] == '.');
      if (!match) continue;
      linear->set_adapter(std::make_shared<LoraAdapter>(*linear, options));
      adapted.push_back(name);
      target_used[t] = true;
      break;
    }
  }
  for (size_t t = 0; t < targets.size(); ++t)
    TT_CHECK(target_used[t], "--target-modules: '", targets[t], "' matches no Linear layer of the "
             "model (try query, key, value, attention.output.dense, intermediate.dense, output.dense)");
  for (auto& [name, p] : model.named_parameters()) {
    bool trainable = name.find(".lora_A.") != std::string::npos || name.find(".lora_B.") != std::string::npos;
    for (const std::string& prefix : trainable_prefixes) trainable |= name.rfind(prefix, 0) == 0;
    if (trainable) p.set_requires_grad(true);
  }
  return adapted;
}

}  // namespace tt::peft

#include "tinytune/peft/peft.h"

#include <algorithm>
#include <unordered_set>

#include "tinytune/core/ops.h"
#include "tinytune/peft/registry.h"

namespace tt::peft {

void PeftConfig::validate() const {
  TT_CHECK(!target_modules.empty(), "--target-modules: give at least one module name");
  TT_CHECK(lora_r >= 1, "--lora-r: must be >= 1, got ", lora_r);
  TT_CHECK(lora_alpha > 0, "--lora-alpha: must be > 0, got ", lora_alpha);
  TT_CHECK(lora_dropout >= 0 && lora_dropout < 1, "--lora-dropout: must be in [0, 1), got ", lora_dropout);
  TT_CHECK(lora_init == "a" || lora_init == "b" || lora_init == "gaussian",
           "--lora-init: expected a, b or gaussian, got '", lora_init, "'");
  TT_CHECK(c3a_block_size >= 1, "--c3a-block-size: must be >= 1, got ", c3a_block_size);
  TT_CHECK(c3a_init == "xavier_uniform" || c3a_init == "kaiming_uniform" || c3a_init == "gaussian" ||
               c3a_init == "zeros",
           "--c3a-init: expected xavier_uniform, kaiming_uniform, gaussian or zeros, got '", c3a_init, "'");
  TT_CHECK(qgoft_lambda >= 0, "--qgoft-lambda: must be >= 0, got ", qgoft_lambda);
}

const std::vector<std::string>& peft_families() { return family_names(); }

std::vector<std::string> apply_peft(nn::Module& model, const PeftConfig& config,
                                    const std::vector<std::string>& trainable_prefixes) {
  config.validate();
  return family_named(config.method).inject(model, config, trainable_prefixes);
}

namespace {

// HF PEFT's rule: a module is a target when its dotted name is the target or ends with
// "." + target.
bool name_matches_target(const std::string& name, const std::string& target) {
  if (name == target) return true;
  return name.size() > target.size() &&
         name.compare(name.size() - target.size(), target.size(), target) == 0 &&
         name[name.size() - target.size() - 1] == '.';
}

}  // namespace

std::vector<std::pair<std::string, nn::Linear*>> find_target_linears(
    nn::Module& model, const std::vector<std::string>& targets) {
  std::vector<std::pair<std::string, nn::Linear*>> found;
  std::vector<bool> used(targets.size(), false);
  for (auto& [name, module] : model.named_modules()) {
    auto* linear = dynamic_cast<nn::Linear*>(module);
    if (!linear) continue;
    // Every target that names this layer counts as used, not only the first: HF writes the
    // list from a set, in any order, and targets may overlap ("output.dense" also names every
    // "attention.output.dense"). The layer is adapted once either way.
    bool matched = false;
    for (size_t t = 0; t < targets.size(); ++t)
      if (name_matches_target(name, targets[t])) used[t] = matched = true;
    if (matched) found.emplace_back(name, linear);
  }
  for (size_t t = 0; t < targets.size(); ++t)
    TT_CHECK(used[t], "--target-modules: '", targets[t], "' matches no Linear layer of the model "
             "(try query, key, value, attention.output.dense, intermediate.dense, output.dense)");
  return found;
}

void freeze_all_but(nn::Module& model, const std::vector<std::string>& adapter_markers,
                    const std::vector<std::string>& trainable_prefixes) {
  model.set_requires_grad(false);
  for (auto& [name, p] : model.named_parameters()) {
    bool trainable = false;
    for (const std::string& marker : adapter_markers) trainable |= name.find(marker) != std::string::npos;
    for (const std::string& prefix : trainable_prefixes) trainable |= name.rfind(prefix, 0) == 0;
    if (trainable) p.set_requires_grad(true);
  }
}

std::vector<std::pair<std::string, Adapter*>> adapters_of(nn::Module& model) {
  std::vector<std::pair<std::string, Adapter*>> out;
  for (auto& [name, module] : model.named_modules()) {
    auto* linear = dynamic_cast<nn::Linear*>(module);
    if (!linear || !linear->adapter) continue;
    auto* adapter = dynamic_cast<Adapter*>(linear->adapter.get());
    if (adapter) out.emplace_back(name, adapter);
  }
  return out;
}

int64_t adapter_parameter_count(nn::Module& model) {
  std::unordered_set<const TensorImpl*> seen;
  int64_t count = 0;
  for (auto& [name, adapter] : adapters_of(model)) {
    std::vector<Tensor> params = adapter->parameters();
    for (const Tensor& p : adapter->shared_parameters()) params.push_back(p);
    for (const Tensor& p : params)
      if (seen.insert(p.impl_ptr().get()).second) count += p.numel();
  }
  return count;
}

namespace {

// Σ over the adapters of one scalar each, skipping undefined ones (undefined if all are).
template <typename Term>
Tensor sum_over_adapters(nn::Module& model, Term term) {
  Tensor total;
  for (auto& [name, adapter] : adapters_of(model)) {
    Tensor t = term(*adapter);
    if (t.defined()) total = total.defined() ? add(total, t) : t;
  }
  return total;
}

}  // namespace

Tensor peft_regularization(nn::Module& model) {
  return sum_over_adapters(model, [](const Adapter& a) { return a.regularization(); });
}

Tensor adapters_extra_loss(nn::Module& model) {
  return sum_over_adapters(model, [](const Adapter& a) { return a.extra_loss(); });
}

namespace {

nn::Linear* linear_named(nn::Module& model, const std::string& name) {
  for (auto& [n, module] : model.named_modules())
    if (n == name) return dynamic_cast<nn::Linear*>(module);
  return nullptr;
}

}  // namespace

void merge_adapters(nn::Module& model) {
  NoGradGuard no_grad;
  for (auto& [name, adapter] : adapters_of(model)) {
    if (adapter->merged) continue;
    nn::Linear* linear = linear_named(model, name);
    Tensor w_eff = adapter->merged_weight(*linear);
    TT_CHECK(w_eff.shape() == linear->weight.shape(), "merge: ", name, ": the ", adapter->family(),
             " adapter produced a weight of shape ", shape_str(w_eff.shape()), ", expected ",
             shape_str(linear->weight.shape()));
    adapter->kept_weight = linear->weight.detach().clone();
    copy_into(linear->weight, w_eff);
    adapter->merged = true;
  }
}

void unmerge_adapters(nn::Module& model) {
  for (auto& [name, adapter] : adapters_of(model)) {
    if (!adapter->merged) continue;
    copy_into(linear_named(model, name)->weight, adapter->kept_weight);
    adapter->kept_weight = Tensor();
    adapter->merged = false;
  }
}

}  // namespace tt::peft

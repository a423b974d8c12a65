#include "tinytune/peft/condlora.h"

#include <cmath>
#include <unordered_set>

#include "tinytune/core/ops.h"
#include "tinytune/peft/adapter_io.h"
#include "tinytune/peft/lora.h"

namespace tt::peft {

CondLoraAdapter::CondLoraAdapter(const nn::Linear& base, const CondLoraOptions& options,
                                 Tensor theta_a, Tensor theta_b, bool owner)
    : theta_A(std::move(theta_a)),
      theta_B(std::move(theta_b)),
      owns_theta(owner),
      scaling(options.rslora ? options.alpha / std::sqrt(static_cast<double>(options.r))
                             : options.alpha / static_cast<double>(options.r)),
      dropout(options.dropout) {
  const int64_t d = base.in_features;
  TT_CHECK(base.out_features == d, "condlora: needs a square layer (d_in = d_out), got ",
           base.out_features, "x", d);
  const Shape theta_shape{options.r, d};
  TT_CHECK(theta_A.shape() == theta_shape && theta_B.shape() == theta_shape,
           "condlora: Θ_A and Θ_B must be ", shape_str(theta_shape), " for a ", d, "x", d,
           " layer, got ", shape_str(theta_A.shape()), " and ", shape_str(theta_B.shape()));
  TT_CHECK(options.dropout >= 0 && options.dropout < 1, "--lora-dropout: must be in [0, 1), got ",
           options.dropout);
  if (owner) {
    theta_A = register_module("condlora_theta_A", std::make_shared<WeightHolder>(theta_A))->weight;
    theta_B = register_module("condlora_theta_B", std::make_shared<WeightHolder>(theta_B))->weight;
  }
}

std::vector<Tensor> CondLoraAdapter::shared_parameters() const {
  if (owns_theta) return {};  // already this adapter's own parameters
  return {theta_A, theta_B};
}

Tensor CondLoraAdapter::lora_A(const Tensor& w0) const { return matmul(theta_A, w0.transpose(0, 1)); }

Tensor CondLoraAdapter::lora_B(const Tensor& w0) const { return matmul(w0, theta_B.transpose(0, 1)); }

Tensor CondLoraAdapter::forward(const nn::Linear& base, const Tensor& x) {
  Tensor h = tt::dropout(x, dropout, is_training());
  // The factors are rebuilt from the frozen W0 every step: the gradient reaches Θ through them.
  Tensor a = lora_A(base.weight), b = lora_B(base.weight);
  Tensor delta = matmul(matmul(h, a.transpose(0, 1)), b.transpose(0, 1));
  return add(base.base_forward(x), mul(delta, scaling));
}

Tensor CondLoraAdapter::delta_weight(const Tensor& w0) const {
  NoGradGuard no_grad;
  return mul(matmul(lora_B(w0), lora_A(w0)), scaling);
}

Tensor CondLoraAdapter::merged_weight(const nn::Linear& base) const {
  NoGradGuard no_grad;
  return add(base.weight, delta_weight(base.weight));
}

std::vector<std::string> inject_condlora(nn::Module& model, const std::vector<std::string>& targets,
                                         const CondLoraOptions& options,
                                         const std::vector<std::string>& trainable_prefixes) {
  std::vector<std::string> adapted;
  std::unordered_set<const nn::Linear*> taken;  // a layer matched by two targets: the first wins
  for (const std::string& target : targets) {
    Tensor theta_a, theta_b;
    std::string first_layer;
    for (auto& [name, linear] : find_target_linears(model, {target})) {
      if (!taken.insert(linear).second) continue;
      const int64_t d = linear->in_features;
      TT_CHECK(linear->out_features == d, "--peft condlora: layer '", name, "' is ",
               linear->out_features, "x", d, " (d_out x d_in); CondLoRA needs square layers "
               "(A = Θ_A W0ᵀ multiplies the input): remove '", target, "' from --target-modules");
      TT_CHECK(options.r >= 1 && options.r <= d, "--lora-r: rank ", options.r,
               " must be in [1, d] = [1, ", d, "] for layer '", name, "'");
      const bool owner = !theta_a.defined();
      if (owner) {
        const DType dtype = linear->weight.dtype();
        const double bound = 1.0 / std::sqrt(static_cast<double>(d));
        theta_a = uniform({options.r, d}, -bound, bound, dtype);
        theta_b = zeros({options.r, d}, dtype);
        first_layer = name;
      } else {
        TT_CHECK(theta_a.size(1) == d, "--peft condlora: layer '", name, "' is ", d, "x", d,
                 " but '", first_layer, "', whose Θ all '", target, "' layers share, is ",
                 theta_a.size(1), "x", theta_a.size(1));
      }
      auto adapter = std::make_shared<CondLoraAdapter>(*linear, options, theta_a, theta_b, owner);
      if (owner) {  // registration made them leaves of the owner; the others share those
        theta_a = adapter->theta_A;
        theta_b = adapter->theta_B;
      }
      linear->set_adapter(adapter);
      adapted.push_back(name);
    }
  }
  freeze_all_but(model, {".condlora_theta_A.", ".condlora_theta_B."}, trainable_prefixes);
  return adapted;
}

void export_condlora_as_lora(nn::Module& model, const PeftConfig& config, const std::string& dir,
                             const std::string& base_model_name,
                             const std::vector<std::string>& modules_to_save) {
  TT_CHECK(config.method == "condlora", "export_condlora_as_lora: the config's method is '",
           config.method, "', expected condlora");
  NoGradGuard no_grad;
  std::map<std::string, Tensor> tensors = adapter_tensors(model, modules_to_save);
  std::erase_if(tensors, [](const auto& entry) {
    return entry.first.find(".condlora_theta_") != std::string::npos;
  });
  int64_t layers = 0;
  for (auto& [name, adapter] : adapters_of(model)) {
    auto* condlora = dynamic_cast<CondLoraAdapter*>(adapter);
    TT_CHECK(condlora, "export_condlora_as_lora: layer '", name, "' has a ", adapter->family(),
             " adapter, expected condlora");
    Tensor w0 = condlora->kept_weight;  // defined while merged: the unmerged W0
    if (!condlora->merged)
      for (auto& [n, module] : model.named_modules())  // the adapter shares its Linear's name
        if (auto* linear = dynamic_cast<nn::Linear*>(module); linear && n == name) w0 = linear->weight;
    tensors[name + ".lora_A.weight"] = condlora->lora_A(w0).to(Device::cpu());
    tensors[name + ".lora_B.weight"] = condlora->lora_B(w0).to(Device::cpu());
    ++layers;
  }
  TT_CHECK(layers > 0, "export_condlora_as_lora: the model has no CondLoRA adapters");
  PeftConfig lora = config;  // r, alpha, rsLoRA, dropout, targets; lora_init is "a" (apply_peft)
  lora.method = "lora";
  write_adapter_files(dir, lora, base_model_name, modules_to_save, tensors);
}

AdapterFamily condlora_family() {
  AdapterFamily f;
  f.name = "condlora";
  f.peft_type = "TINYTUNE_CONDLORA";
  f.inject = [](nn::Module& model, const PeftConfig& c, const std::vector<std::string>& keep) {
    TT_CHECK(c.lora_init == "a", "--lora-init: CondLoRA's init is fixed (Θ_A kaiming-uniform, "
             "Θ_B = 0); got '", c.lora_init, "', leave it at a");
    return inject_condlora(model, c.target_modules, {c.lora_r, c.lora_alpha, c.lora_dropout, c.rslora},
                           keep);
  };
  f.write_options = write_lora_keys;
  f.read_options = read_lora_keys;
  return f;
}

}  // namespace tt::peft

#include "tinytune/nn/module.h"

#include "tinytune/core/error.h"

namespace tt::nn {

// A child registered under "" shares its parent's namespace: an adapter's "lora_A.weight"
// inside the Linear "…query" becomes "…query.lora_A.weight", as HF PEFT names it.
static std::string join(const std::string& prefix, const std::string& name) {
  if (name.empty()) return prefix;
  return prefix.empty() ? name : prefix + "." + name;
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(const std::string& prefix) const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& [name, p] : parameters_) out.emplace_back(join(prefix, name), p);
  for (const auto& [name, child] : children_) {
    auto sub = child->named_parameters(join(prefix, name));
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, p] : named_parameters()) out.push_back(p);
  return out;
}

std::map<std::string, Tensor> Module::state_dict() const {
  std::map<std::string, Tensor> out;
  for (auto& [name, p] : named_parameters()) out.emplace(name, p);
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules(const std::string& prefix) {
  std::vector<std::pair<std::string, Module*>> out{{prefix, this}};
  for (auto& [name, child] : children_) {
    auto sub = child->named_modules(join(prefix, name));
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::set_requires_grad(bool requires_grad) {
  for (auto& [name, p] : named_parameters()) p.set_requires_grad(requires_grad);
}

void Module::to(Device device) {
  for (auto& [name, p] : named_parameters()) p.move_to(device);
}

void Module::to(DType dtype) {
  for (auto& [name, p] : named_parameters()) p.move_to(dtype);
}

Device Module::device() const {
  const auto params = named_parameters();
  return params.empty() ? Device::cpu() : params.front().second.device();
}

void Module::zero_grad() {
  for (auto& [name, p] : named_parameters()) p.zero_grad();
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (auto& [name, p] : named_parameters()) n += p.numel();
  return n;
}

int64_t Module::num_trainable_parameters() const {
  int64_t n = 0;
  for (auto& [name, p] : named_parameters())
    if (p.requires_grad()) n += p.numel();
  return n;
}

Tensor Module::register_parameter(const std::string& name, Tensor value) {
  for (auto& [existing, p] : parameters_)
    TT_CHECK(existing != name, "Module: parameter '", name, "' registered twice");
  value.set_requires_grad(true);
  parameters_.emplace_back(name, value);
  return value;
}

}  // namespace tt::nn

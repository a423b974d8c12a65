// The adapter families the library knows, by name: how a family is injected, what it is called
// in adapter_config.json, how its options travel there, and its default learning rate. Built-in
// families are registered on first use; a program adds its own with register_family (a family
// defined outside the library included), after which apply_peft, save_adapter, load_adapter,
// train_glue's --peft and the trainer's loss (Adapter::extra_loss) all know it.
//
//   peft::AdapterFamily f;
//   f.name = "ia3";  f.peft_type = "MY_IA3";
//   f.inject = [](nn::Module& m, const peft::PeftConfig& c, const std::vector<std::string>& keep) {
//     ... set_adapter on peft::find_target_linears(m, c.target_modules) ...
//     peft::freeze_all_but(m, {".ia3_l"}, keep);  return names; };
//   peft::register_family(f);
#pragma once
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "tinytune/nn/module.h"
#include "tinytune/peft/adapter_config_reader.h"
#include "tinytune/peft/peft.h"

namespace tt::peft {

struct AdapterFamily {
  std::string name;       // PeftConfig::method and --peft: "lora"
  std::string peft_type;  // adapter_config.json's peft_type: "LORA" (HF's name where HF has one)
  // Installs the family's adapters on every Linear named by config.target_modules and freezes
  // every parameter but theirs and those under `trainable_prefixes`; returns the adapted
  // layers' names. Required.
  std::function<std::vector<std::string>(nn::Module& model, const PeftConfig& config,
                                         const std::vector<std::string>& trainable_prefixes)>
      inject;
  // Adds the family's own keys to adapter_config.json (the common ones are written already).
  // Optional: a family with no options of its own writes none.
  std::function<void(const PeftConfig& config, nlohmann::json& out)> write_options;
  // Reads them back into `config`; errors through the reader name the file and the key.
  // Optional, as write_options.
  std::function<void(const AdapterConfigReader& in, PeftConfig& config)> read_options;
  // train_glue's learning rate when --lr is 0 (adapters that start at the identity tolerate
  // far larger rates than full fine-tuning).
  double default_lr = 5e-4;
};

// Adds a family. Errors: an empty name or peft_type, no inject, a name or peft_type that is
// already registered (built-ins included).
void register_family(AdapterFamily family);
// Removes a registered family (tests that register a toy one clean up with it). Unknown names
// are an error.
void unregister_family(const std::string& name);

// The family called `name`; an error "--peft: unknown method '<name>'" otherwise.
const AdapterFamily& family_named(const std::string& name);
// nullptr when no family has that name / peft_type.
const AdapterFamily* find_family(const std::string& name);
const AdapterFamily* find_family_by_peft_type(const std::string& peft_type);
// Every family's name in registration order (the built-ins first: lora, condlora, c3a, goft,
// qgoft). The reference stays valid; its contents follow (un)registrations.
const std::vector<std::string>& family_names();

}  // namespace tt::peft

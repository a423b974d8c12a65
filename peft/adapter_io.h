// Adapter files in HF PEFT's layout (docs/families.md §7.1), so adapters travel both ways:
//
//   <dir>/adapter_config.json        the config (HF's field names where HF has the method)
//   <dir>/adapter_model.safetensors  the adapter tensors and the head, named
//                                    "base_model.model." + tinytune's parameter name, e.g.
//                                    base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight
//                                    base_model.model.classifier.weight
//                                    metadata {"format": "pt"}, tensors in the model's dtype
//
// peft_type per family and the keys written besides the common ones (peft_type, task_type
// "SEQ_CLS", base_model_name_or_path, inference_mode true, target_modules, bias "none",
// modules_to_save, and tinytune_format_version = tt::kFormatVersion, core/format_version.h,
// which HF ignores; a file without it is version 0 and loads, a newer version is refused;
// tinytune_label_names, the head's class names in class-id order, when the saver knows them:
// HF ignores it too, and train::TextClassifier::load names its classes with it) —
// each family's registry entry (peft/registry.h) holds its own; built-ins:
//   lora      "LORA"   r, lora_alpha, lora_dropout, use_rslora, init_lora_weights (init a:
//                      true, gaussian: "gaussian", b: true plus "tinytune_lora_init": "b" —
//                      HF has no Init[B]; it loads the file and warns that it ignores the key)
//   c3a       "C3A"    block_size, init_weights (zeros: true, HF's spelling of zero init)
//   condlora  "TINYTUNE_CONDLORA"  r, lora_alpha, lora_dropout, use_rslora
//   goft      "TINYTUNE_GOFT"      (targets only)
//   qgoft     "TINYTUNE_QGOFT"     qgoft_lambda
// The TINYTUNE_* types are ours (HF PEFT has no such method); HF cannot load them.
// CondLoRA has an exact HF form: peft::export_condlora_as_lora (peft/condlora.h).
//
// Loading reads HF-written files too: unknown config keys are ignored (HF writes many), keys
// HF would default are defaulted as HF does (LoRA r 8, lora_alpha 8; C3A block_size 256;
// target_modules null -> BERT's ["query", "value"]), task_type "SEQ_CLS" adds "classifier"
// and "score" to modules_to_save as HF does, and tensors of another dtype (F16, BF16, F32,
// F64) are converted to the model's. Features we do not implement (DoRA, rank/alpha
// patterns, layers_to_transform, bias other than "none", PiSSA-style inits that change W0,
// ...) are errors rather than silently wrong outputs.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "tinytune/nn/module.h"
#include "tinytune/peft/peft.h"

namespace tt::peft {

inline constexpr const char* kAdapterConfigFile = "adapter_config.json";
inline constexpr const char* kAdapterWeightsFile = "adapter_model.safetensors";
inline constexpr const char* kHfTensorPrefix = "base_model.model.";

// What an adapter directory's config says.
struct AdapterFileConfig {
  PeftConfig config;                         // method and the family's options
  std::string base_model_name;               // base_model_name_or_path ("" when null)
  std::vector<std::string> modules_to_save;  // module names whose parameters the file holds
  std::vector<std::string> label_names;      // tinytune_label_names (empty when absent)
};

// The tensors an adapter file holds, by tinytune name: every parameter of every installed
// adapter (shared CondLoRA pairs once) and every parameter of a module named in
// modules_to_save ("classifier" takes "classifier.*" and "….classifier.*"). CPU, detached.
std::map<std::string, Tensor> adapter_tensors(nn::Module& model,
                                              const std::vector<std::string>& modules_to_save);

// Writes <dir>/adapter_config.json and <dir>/adapter_model.safetensors (each atomically;
// dir is created) from `tensors` named as in the model (the HF prefix is added here).
// label_names, when not empty, go into the config as tinytune_label_names.
void write_adapter_files(const std::string& dir, const PeftConfig& config,
                         const std::string& base_model_name,
                         const std::vector<std::string>& modules_to_save,
                         const std::map<std::string, Tensor>& tensors,
                         const std::vector<std::string>& label_names = {});

// Saves the adapters installed in `model` (by apply_peft with `config`) and the head. The
// model may be merged (adapter tensors do not change with merging). Errors: no adapters, or
// adapters of another family than config.method.
void save_adapter(nn::Module& model, const PeftConfig& config, const std::string& dir,
                  const std::string& base_model_name,
                  const std::vector<std::string>& modules_to_save = {"classifier"},
                  const std::vector<std::string>& label_names = {});

// Parses <dir>/adapter_config.json. Errors name the file: missing, not JSON, not an object,
// missing/unknown peft_type, a key of the wrong type, an unsupported feature.
AdapterFileConfig read_adapter_config(const std::string& dir);

// Reads the config and the tensors (both checked before the model is touched), injects the
// adapters with apply_peft (everything else frozen but modules_to_save), then copies every
// tensor in by name. Errors name the file: a tensor the model needs that the file lacks, a
// tensor the model has no place for, a shape mismatch (an adapter made for another model
// shape: the tensor, both shapes), a peft_type no registered family has. After an error
// the model may hold freshly initialised adapters: load into a fresh model.
AdapterFileConfig load_adapter(nn::Module& model, const std::string& dir);

}  // namespace tt::peft

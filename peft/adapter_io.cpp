#include "tinytune/peft/adapter_io.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tinytune/core/format_version.h"
#include "tinytune/core/io/atomic_file.h"
#include "tinytune/core/io/safetensors.h"
#include "tinytune/core/ops.h"
#include "tinytune/peft/adapter_config_reader.h"
#include "tinytune/peft/registry.h"

namespace tt::peft {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

std::string known_peft_types() {
  std::vector<std::string> types;
  for (const std::string& name : family_names()) types.push_back(family_named(name).peft_type);
  return join(types);
}

template <typename... Parts>
[[noreturn]] void fail(const std::string& path, const Parts&... parts) {
  throw Error(detail::concat("load_adapter: ", path, ": ", parts...));
}

// HF's rule for modules_to_save: the module's own name or a dotted suffix of its path.
bool in_modules_to_save(const std::string& parameter, const std::vector<std::string>& modules) {
  for (const std::string& m : modules)
    if (parameter.rfind(m + ".", 0) == 0 || parameter.find("." + m + ".") != std::string::npos)
      return true;
  return false;
}

// name -> the live parameter, for every tensor an adapter file of `model` holds.
std::map<std::string, Tensor> adapter_parameters(nn::Module& model,
                                                 const std::vector<std::string>& modules_to_save) {
  std::map<std::string, Tensor> out;
  for (auto& [layer, adapter] : adapters_of(model))
    for (auto& [name, p] : adapter->named_parameters(layer)) out.emplace(name, p);
  for (auto& [name, p] : model.named_parameters())
    if (in_modules_to_save(name, modules_to_save)) out.emplace(name, p);
  return out;
}

json config_json(const PeftConfig& c, const std::string& base_model_name,
                 const std::vector<std::string>& modules_to_save,
                 const std::vector<std::string>& label_names) {
  const AdapterFamily* family = find_family(c.method);
  if (!family) throw Error(detail::concat("save_adapter: no adapter file type for method '", c.method, "'"));
  json j = {{"peft_type", family->peft_type},
            {"task_type", "SEQ_CLS"},
            {"base_model_name_or_path", base_model_name},
            {"inference_mode", true},
            {"target_modules", c.target_modules},
            {"bias", "none"},
            {"modules_to_save", modules_to_save},
            {"tinytune_format_version", kFormatVersion}};  // HF ignores keys it does not know
  if (!label_names.empty()) j["tinytune_label_names"] = label_names;
  if (family->write_options) family->write_options(c, j);
  return j;
}

json parse_json_file(const std::string& path) {
  if (!fs::exists(path))
    fail(path, "not found (an adapter directory holds ", kAdapterConfigFile, " and ",
         kAdapterWeightsFile, ")");
  std::ifstream in(path);
  if (!in) fail(path, "cannot open for reading");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return json::parse(text.str());
  } catch (const json::exception& e) {
    fail(path, "not valid JSON (", e.what(), ")");
  }
}

}  // namespace

std::map<std::string, Tensor> adapter_tensors(nn::Module& model,
                                              const std::vector<std::string>& modules_to_save) {
  std::map<std::string, Tensor> out;
  for (auto& [name, p] : adapter_parameters(model, modules_to_save))
    out.emplace(name, p.detach().to(Device::cpu()));
  return out;
}

void write_adapter_files(const std::string& dir, const PeftConfig& config,
                         const std::string& base_model_name,
                         const std::vector<std::string>& modules_to_save,
                         const std::map<std::string, Tensor>& tensors,
                         const std::vector<std::string>& label_names) {
  config.validate();
  const json j = config_json(config, base_model_name, modules_to_save, label_names);
  std::map<std::string, Tensor> named;
  for (const auto& [name, t] : tensors) named.emplace(kHfTensorPrefix + name, t);
  std::error_code ec;
  fs::create_directories(dir, ec);
  TT_CHECK(!ec, "save_adapter: cannot create the directory ", dir, ": ", ec.message());
  // Weights first: a directory with a config holds a complete adapter.
  io::save_safetensors((fs::path(dir) / kAdapterWeightsFile).string(), named, {{"format", "pt"}});
  io::write_file_atomically((fs::path(dir) / kAdapterConfigFile).string(), j.dump(2) + "\n");
}

void save_adapter(nn::Module& model, const PeftConfig& config, const std::string& dir,
                  const std::string& base_model_name,
                  const std::vector<std::string>& modules_to_save,
                  const std::vector<std::string>& label_names) {
  auto adapters = adapters_of(model);
  TT_CHECK(!adapters.empty(), "save_adapter: ", dir, ": the model has no adapters (apply_peft first)");
  for (auto& [name, adapter] : adapters)
    TT_CHECK(adapter->family() == config.method, "save_adapter: ", dir, ": layer '", name,
             "' has a ", adapter->family(), " adapter but the config's method is '",
             config.method, "'");
  write_adapter_files(dir, config, base_model_name, modules_to_save,
                      adapter_tensors(model, modules_to_save), label_names);
}

AdapterFileConfig read_adapter_config(const std::string& dir) {
  const std::string path = (fs::path(dir) / kAdapterConfigFile).string();
  const json j = parse_json_file(path);
  if (!j.is_object()) fail(path, "expected a JSON object, got ", j.type_name());
  const AdapterConfigReader r(path, j);
  // First, so that a newer tinytune's file is refused as such rather than for a key it added.
  // HF and tinytune before format version 2 write none: version 0, read as today's files.
  check_format_version(path, r.integer("tinytune_format_version", 0));

  AdapterFileConfig out;
  PeftConfig& c = out.config;
  const std::string peft_type = r.string("peft_type");
  const AdapterFamily* family = find_family_by_peft_type(peft_type);
  if (!family) fail(path, "unknown peft_type \"", peft_type, "\" (tinytune reads ", known_peft_types(), ")");
  c.method = family->name;

  out.base_model_name = r.string("base_model_name_or_path", "");
  // HF's per-architecture default for bert/roberta when target_modules is null.
  c.target_modules = r.strings("target_modules", r.ours() ? std::nullopt
                                                          : std::optional(std::vector<std::string>{"query", "value"}));
  out.modules_to_save = r.strings("modules_to_save", std::vector<std::string>{});
  out.label_names = r.strings("tinytune_label_names", std::vector<std::string>{});
  if (r.string("task_type", "") == "SEQ_CLS")  // HF adds the classification heads itself
    for (const char* head : {"classifier", "score"})
      if (std::find(out.modules_to_save.begin(), out.modules_to_save.end(), head) == out.modules_to_save.end())
        out.modules_to_save.push_back(head);
  const std::string bias = r.string("bias", "none");
  if (bias != "none") fail(path, "\"bias\": \"", bias, "\" is not supported (only \"none\")");
  for (const char* key : {"layers_to_transform", "exclude_modules"}) r.unsupported(key);
  if (family->read_options) family->read_options(r, c);
  try {
    c.validate();
  } catch (const Error& e) {
    fail(path, e.what());
  }
  return out;
}

AdapterFileConfig load_adapter(nn::Module& model, const std::string& dir) {
  const std::string config_path = (fs::path(dir) / kAdapterConfigFile).string();
  const std::string weights_path = (fs::path(dir) / kAdapterWeightsFile).string();
  AdapterFileConfig file = read_adapter_config(dir);
  if (!fs::exists(weights_path))
    fail(weights_path, "not found",
         fs::exists(fs::path(dir) / "adapter_model.bin")
             ? " (adapter_model.bin is a pickle: tinytune reads safetensors only; save with "
               "safe_serialization=True)"
             : "");
  const std::map<std::string, Tensor> stored = io::load_safetensors(weights_path);

  std::vector<std::string> trainable_prefixes;
  for (const std::string& m : file.modules_to_save) trainable_prefixes.push_back(m + ".");
  try {
    apply_peft(model, file.config, trainable_prefixes);
  } catch (const Error& e) {
    fail(config_path, e.what());
  }

  const std::map<std::string, Tensor> expected = adapter_parameters(model, file.modules_to_save);
  const std::string prefix = kHfTensorPrefix;
  for (const auto& [stored_name, t] : stored) {
    const bool prefixed = stored_name.rfind(prefix, 0) == 0;
    const std::string name = prefixed ? stored_name.substr(prefix.size()) : stored_name;
    auto it = prefixed ? expected.find(name) : expected.end();
    if (it == expected.end())
      fail(weights_path, "unexpected tensor '", stored_name, "': the model (", file.config.method,
           " on ", join(file.config.target_modules), "; modules_to_save ", join(file.modules_to_save),
           ") has no parameter '", name, "' (tensors are named ", prefix, "<parameter name>)");
    if (t.shape() != it->second.shape())
      fail(weights_path, "tensor '", stored_name, "' has shape ", shape_str(t.shape()),
           " but the model's parameter is ", shape_str(it->second.shape()),
           ": an adapter file made for another model shape");
  }
  for (const auto& [name, p] : expected)
    if (!stored.count(prefix + name))
      fail(weights_path, "missing tensor '", prefix + name, "' (the model's ", name, ")");

  NoGradGuard no_grad;
  for (const auto& [name, p] : expected) copy_into(p, stored.at(prefix + name));  // converts dtype
  return file;
}

}  // namespace tt::peft

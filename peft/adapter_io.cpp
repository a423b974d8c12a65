#include "tinytune/peft/adapter_io.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "tinytune/core/format_version.h"
#include "tinytune/core/io/atomic_file.h"
#include "tinytune/core/io/safetensors.h"
#include "tinytune/core/ops.h"

namespace tt::peft {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Our family <-> the file's peft_type. HF PEFT's names where HF has the method.
struct PeftTypeName {
  const char* family;
  const char* peft_type;
};
constexpr PeftTypeName kPeftTypes[] = {{"lora", "LORA"},
                                       {"c3a", "C3A"},
                                       {"condlora", "TINYTUNE_CONDLORA"},
                                       {"goft", "TINYTUNE_GOFT"},
                                       {"qgoft", "TINYTUNE_QGOFT"}};

const char* peft_type_of(const std::string& family) {
  for (const auto& t : kPeftTypes)
    if (family == t.family) return t.peft_type;
  throw Error(detail::concat("save_adapter: no adapter file type for method '", family, "'"));
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

std::string known_peft_types() {
  std::vector<std::string> names;
  for (const auto& t : kPeftTypes) names.push_back(t.peft_type);
  return join(names);
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

// lora_alpha 8 is written as 8, not 8.0, as HF writes it.
json number(double v) {
  if (std::floor(v) == v && std::abs(v) < 1e15) return static_cast<int64_t>(v);
  return v;
}

json config_json(const PeftConfig& c, const std::string& base_model_name,
                 const std::vector<std::string>& modules_to_save) {
  json j = {{"peft_type", peft_type_of(c.method)},
            {"task_type", "SEQ_CLS"},
            {"base_model_name_or_path", base_model_name},
            {"inference_mode", true},
            {"target_modules", c.target_modules},
            {"bias", "none"},
            {"modules_to_save", modules_to_save},
            {"tinytune_format_version", kFormatVersion}};  // HF ignores keys it does not know
  if (c.method == "lora" || c.method == "condlora") {
    j["r"] = c.lora_r;
    j["lora_alpha"] = number(c.lora_alpha);
    j["lora_dropout"] = c.lora_dropout;
    j["use_rslora"] = c.rslora;
  }
  if (c.method == "lora") {
    if (c.lora_init == "gaussian") {
      j["init_lora_weights"] = "gaussian";
    } else {
      j["init_lora_weights"] = true;
      // HF has no Init[B] (methods.md §1.3); HF ignores this key (with a warning) and loads.
      if (c.lora_init == "b") j["tinytune_lora_init"] = "b";
    }
  }
  if (c.method == "c3a") {
    j["block_size"] = c.c3a_block_size;
    // HF spells zero init `true` (the only C3A init that is a no-op at step 0).
    j["init_weights"] = c.c3a_init == "zeros" ? json(true) : json(c.c3a_init);
  }
  if (c.method == "qgoft") j["qgoft_lambda"] = c.qgoft_lambda;
  return j;
}

// Typed access to adapter_config.json; every error names the file and the key. A fallback
// stands for HF's dataclass default; without one the key is required.
class ConfigReader {
 public:
  ConfigReader(std::string path, const json& j) : path_(std::move(path)), j_(j) {}

  bool has(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }

  const json& need(const char* key) const {
    if (!has(key)) fail(path_, "missing key \"", key, "\"");
    return j_[key];
  }

  int64_t integer(const char* key, std::optional<int64_t> fallback = std::nullopt) const {
    if (!has(key) && fallback) return *fallback;
    const json& v = need(key);
    if (!v.is_number_integer()) wrong_type(key, "an integer", v);
    return v.get<int64_t>();
  }
  double real(const char* key, std::optional<double> fallback = std::nullopt) const {
    if (!has(key) && fallback) return *fallback;
    const json& v = need(key);
    if (!v.is_number()) wrong_type(key, "a number", v);
    return v.get<double>();
  }
  bool boolean(const char* key, std::optional<bool> fallback = std::nullopt) const {
    if (!has(key) && fallback) return *fallback;
    const json& v = need(key);
    if (!v.is_boolean()) wrong_type(key, "true or false", v);
    return v.get<bool>();
  }
  std::string string(const char* key, std::optional<std::string> fallback = std::nullopt) const {
    if (!has(key) && fallback) return *fallback;
    const json& v = need(key);
    if (!v.is_string()) wrong_type(key, "a string", v);
    return v.get<std::string>();
  }
  std::vector<std::string> strings(const char* key,
                                    std::optional<std::vector<std::string>> fallback = std::nullopt) const {
    if (!has(key) && fallback) return *fallback;
    const json& v = need(key);
    if (v.is_string())
      fail(path_, "\"", key, "\" is the regular expression ", v.dump(),
           "; tinytune matches a list of module names only");
    if (!v.is_array()) wrong_type(key, "a list of strings", v);
    std::vector<std::string> out;
    for (const json& s : v) {
      if (!s.is_string()) wrong_type(key, "a list of strings", v);
      out.push_back(s.get<std::string>());
    }
    return out;
  }
  // A feature we do not implement: only its "off" value (null, false, {}, [], "none") passes.
  void unsupported(const char* key) const {
    if (!j_.contains(key)) return;
    const json& v = j_[key];
    const bool off = v.is_null() || (v.is_boolean() && !v.get<bool>()) ||
                     ((v.is_object() || v.is_array()) && v.empty()) || (v.is_string() && v == "none");
    if (!off) fail(path_, "\"", key, "\": ", v.dump(), " is not supported by tinytune");
  }

 private:
  [[noreturn]] void wrong_type(const char* key, const char* expected, const json& v) const {
    fail(path_, "\"", key, "\" must be ", expected, ", got ", v.dump());
  }
  std::string path_;
  const json& j_;
};

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
                         const std::map<std::string, Tensor>& tensors) {
  config.validate();
  const json j = config_json(config, base_model_name, modules_to_save);
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
                  const std::vector<std::string>& modules_to_save) {
  auto adapters = adapters_of(model);
  TT_CHECK(!adapters.empty(), "save_adapter: ", dir, ": the model has no adapters (apply_peft first)");
  for (auto& [name, adapter] : adapters)
    TT_CHECK(adapter->family() == config.method, "save_adapter: ", dir, ": layer '", name,
             "' has a ", adapter->family(), " adapter but the config's method is '",
             config.method, "'");
  write_adapter_files(dir, config, base_model_name, modules_to_save,
                      adapter_tensors(model, modules_to_save));
}

AdapterFileConfig read_adapter_config(const std::string& dir) {
  const std::string path = (fs::path(dir) / kAdapterConfigFile).string();
  const json j = parse_json_file(path);
  if (!j.is_object()) fail(path, "expected a JSON object, got ", j.type_name());
  const ConfigReader r(path, j);
  // First, so that a newer tinytune's file is refused as such rather than for a key it added.
  // HF and tinytune before format version 2 write none: version 0, read as today's files.
  check_format_version(path, r.integer("tinytune_format_version", 0));

  AdapterFileConfig out;
  PeftConfig& c = out.config;
  const std::string peft_type = r.string("peft_type");
  c.method.clear();
  for (const auto& t : kPeftTypes)
    if (peft_type == t.peft_type) c.method = t.family;
  if (c.method.empty())
    fail(path, "unknown peft_type \"", peft_type, "\" (tinytune reads ", known_peft_types(), ")");
  const bool ours = peft_type.rfind("TINYTUNE_", 0) == 0;

  out.base_model_name = r.string("base_model_name_or_path", "");
  // HF's per-architecture default for bert/roberta when target_modules is null.
  c.target_modules = r.strings("target_modules", ours ? std::nullopt
                                                      : std::optional(std::vector<std::string>{"query", "value"}));
  out.modules_to_save = r.strings("modules_to_save", std::vector<std::string>{});
  if (r.string("task_type", "") == "SEQ_CLS")  // HF adds the classification heads itself
    for (const char* head : {"classifier", "score"})
      if (std::find(out.modules_to_save.begin(), out.modules_to_save.end(), head) == out.modules_to_save.end())
        out.modules_to_save.push_back(head);
  const std::string bias = r.string("bias", "none");
  if (bias != "none") fail(path, "\"bias\": \"", bias, "\" is not supported (only \"none\")");
  for (const char* key : {"layers_to_transform", "exclude_modules"}) r.unsupported(key);

  if (c.method == "lora" || c.method == "condlora") {
    // HF LoraConfig's defaults for the LoRA keys it may leave out.
    c.lora_r = r.integer("r", ours ? std::nullopt : std::optional<int64_t>(8));
    c.lora_alpha = r.real("lora_alpha", ours ? std::nullopt : std::optional(8.0));
    c.lora_dropout = r.real("lora_dropout", ours ? std::nullopt : std::optional(0.0));
    c.rslora = r.boolean("use_rslora", ours ? std::nullopt : std::optional(false));
  }
  if (c.method == "lora") {
    for (const char* key : {"use_dora", "fan_in_fan_out", "lora_bias", "rank_pattern", "alpha_pattern",
                            "layer_replication", "target_parameters", "trainable_token_indices",
                            "alora_invocation_tokens", "use_qalora"})
      r.unsupported(key);
    // The init only decides the starting values, which the file's tensors replace; inits that
    // also rewrite W0 make the file meaningless on the original base model.
    c.lora_init = "a";
    if (r.has("init_lora_weights")) {
      const json& init = j["init_lora_weights"];
      if (init.is_string()) {
        const std::string name = init.get<std::string>();
        if (name.rfind("pissa", 0) == 0 || name == "olora" || name == "corda" || name == "loftq")
          fail(path, "\"init_lora_weights\": \"", name, "\" rewrites the base weights W0; convert the "
               "adapter to plain LoRA in HF first (save_pretrained(..., "
               "path_initial_model_for_weight_conversion=...))");
        if (name == "gaussian") c.lora_init = "gaussian";
      } else if (!init.is_boolean()) {
        fail(path, "\"init_lora_weights\" must be true, false or a string, got ", init.dump());
      }
    }
    if (r.has("tinytune_lora_init")) c.lora_init = r.string("tinytune_lora_init");
  }
  if (c.method == "c3a") {
    r.unsupported("block_size_pattern");
    c.c3a_block_size = r.integer("block_size", 256);
    c.c3a_init = "xavier_uniform";  // HF: false and the default both mean Xavier
    if (r.has("init_weights")) {
      const json& init = j["init_weights"];
      if (init.is_boolean()) {
        if (init.get<bool>()) c.c3a_init = "zeros";
      } else if (init.is_string()) {
        c.c3a_init = init.get<std::string>();
      } else {
        fail(path, "\"init_weights\" must be true, false or a string, got ", init.dump());
      }
    }
  }
  if (c.method == "qgoft") c.qgoft_lambda = r.real("qgoft_lambda");
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

  const auto& families = peft_families();
  if (std::find(families.begin(), families.end(), file.config.method) == families.end())
    fail(config_path, "peft_type needs the '", file.config.method,
         "' family, which this build does not have");
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

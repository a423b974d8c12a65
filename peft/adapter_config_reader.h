// Typed access to an adapter_config.json, for load_adapter and for each family reading its own
// keys (peft/registry.h). Every error names the file and the key. A fallback stands for HF's
// dataclass default; without one the key is required.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tinytune/core/error.h"

namespace tt::peft {

class AdapterConfigReader {
 public:
  AdapterConfigReader(std::string path, const nlohmann::json& j) : path_(std::move(path)), j_(j) {}

  const std::string& path() const { return path_; }
  const nlohmann::json& json() const { return j_; }
  // peft_type is one of tinytune's own (TINYTUNE_*): HF never wrote the file, so no key of it
  // is defaulted the way HF would.
  bool ours() const;

  bool has(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }
  const nlohmann::json& need(const char* key) const;
  int64_t integer(const char* key, std::optional<int64_t> fallback = std::nullopt) const;
  double real(const char* key, std::optional<double> fallback = std::nullopt) const;
  bool boolean(const char* key, std::optional<bool> fallback = std::nullopt) const;
  std::string string(const char* key, std::optional<std::string> fallback = std::nullopt) const;
  std::vector<std::string> strings(const char* key,
                                    std::optional<std::vector<std::string>> fallback = std::nullopt) const;
  // A feature we do not implement: only its "off" value (null, false, {}, [], "none") passes.
  void unsupported(const char* key) const;

  // Throws "load_adapter: <path>: <parts...>".
  template <typename... Parts>
  [[noreturn]] void fail(const Parts&... parts) const {
    throw Error(detail::concat("load_adapter: ", path_, ": ", parts...));
  }

 private:
  [[noreturn]] void wrong_type(const char* key, const char* expected, const nlohmann::json& v) const;
  std::string path_;
  const nlohmann::json& j_;
};

}  // namespace tt::peft

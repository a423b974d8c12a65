#include "tinytune/peft/adapter_config_reader.h"

namespace tt::peft {

bool AdapterConfigReader::ours() const {
  return has("peft_type") && j_["peft_type"].is_string() &&
         j_["peft_type"].get<std::string>().rfind("TINYTUNE_", 0) == 0;
}

const nlohmann::json& AdapterConfigReader::need(const char* key) const {
  if (!has(key)) fail("missing key \"", key, "\"");
  return j_[key];
}

int64_t AdapterConfigReader::integer(const char* key, std::optional<int64_t> fallback) const {
  if (!has(key) && fallback) return *fallback;
  const nlohmann::json& v = need(key);
  if (!v.is_number_integer()) wrong_type(key, "an integer", v);
  return v.get<int64_t>();
}

double AdapterConfigReader::real(const char* key, std::optional<double> fallback) const {
  if (!has(key) && fallback) return *fallback;
  const nlohmann::json& v = need(key);
  if (!v.is_number()) wrong_type(key, "a number", v);
  return v.get<double>();
}

bool AdapterConfigReader::boolean(const char* key, std::optional<bool> fallback) const {
  if (!has(key) && fallback) return *fallback;
  const nlohmann::json& v = need(key);
  if (!v.is_boolean()) wrong_type(key, "true or false", v);
  return v.get<bool>();
}

std::string AdapterConfigReader::string(const char* key, std::optional<std::string> fallback) const {
  if (!has(key) && fallback) return *fallback;
  const nlohmann::json& v = need(key);
  if (!v.is_string()) wrong_type(key, "a string", v);
  return v.get<std::string>();
}

std::vector<std::string> AdapterConfigReader::strings(
    const char* key, std::optional<std::vector<std::string>> fallback) const {
  if (!has(key) && fallback) return *fallback;
  const nlohmann::json& v = need(key);
  if (v.is_string())
    fail("\"", key, "\" is the regular expression ", v.dump(),
         "; tinytune matches a list of module names only");
  if (!v.is_array()) wrong_type(key, "a list of strings", v);
  std::vector<std::string> out;
  for (const nlohmann::json& s : v) {
    if (!s.is_string()) wrong_type(key, "a list of strings", v);
    out.push_back(s.get<std::string>());
  }
  return out;
}

void AdapterConfigReader::unsupported(const char* key) const {
  if (!j_.contains(key)) return;
  const nlohmann::json& v = j_[key];
  const bool off = v.is_null() || (v.is_boolean() && !v.get<bool>()) ||
                   ((v.is_object() || v.is_array()) && v.empty()) || (v.is_string() && v == "none");
  if (!off) fail("\"", key, "\": ", v.dump(), " is not supported by tinytune");
}

void AdapterConfigReader::wrong_type(const char* key, const char* expected, const nlohmann::json& v) const {
  fail("\"", key, "\" must be ", expected, ", got ", v.dump());
}

}  // namespace tt::peft

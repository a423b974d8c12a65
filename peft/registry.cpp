#include "tinytune/peft/registry.h"

#include <algorithm>
#include <memory>

#include "tinytune/peft/c3a.h"
#include "tinytune/peft/condlora.h"
#include "tinytune/peft/goft.h"
#include "tinytune/peft/lora.h"

namespace tt::peft {

namespace {

struct Registry {
  std::vector<std::unique_ptr<AdapterFamily>> families;  // stable addresses for callers
  std::vector<std::string> names;                        // the same order
};

void add(Registry& r, AdapterFamily family) {
  TT_CHECK(!family.name.empty(), "register_family: the family has no name");
  TT_CHECK(!family.peft_type.empty(), "register_family: family '", family.name, "' has no peft_type");
  TT_CHECK(family.inject != nullptr, "register_family: family '", family.name, "' has no inject");
  for (const auto& f : r.families) {
    TT_CHECK(f->name != family.name, "register_family: a family named '", family.name,
             "' is already registered");
    TT_CHECK(f->peft_type != family.peft_type, "register_family: peft_type '", family.peft_type,
             "' already belongs to family '", f->name, "'");
  }
  r.names.push_back(family.name);
  r.families.push_back(std::make_unique<AdapterFamily>(std::move(family)));
}

// Each built-in family describes itself in its own file; this order is the one --help and the
// error messages list.
Registry& registry() {
  static Registry r = [] {
    Registry built_in;
    for (AdapterFamily f : {lora_family(), condlora_family(), c3a_family(), goft_family(), qgoft_family()})
      add(built_in, std::move(f));
    return built_in;
  }();
  return r;
}

}  // namespace

void register_family(AdapterFamily family) { add(registry(), std::move(family)); }

void unregister_family(const std::string& name) {
  Registry& r = registry();
  auto it = std::find(r.names.begin(), r.names.end(), name);
  TT_CHECK(it != r.names.end(), "unregister_family: no family named '", name, "'");
  r.families.erase(r.families.begin() + (it - r.names.begin()));
  r.names.erase(it);
}

const AdapterFamily* find_family(const std::string& name) {
  for (const auto& f : registry().families)
    if (f->name == name) return f.get();
  return nullptr;
}

const AdapterFamily* find_family_by_peft_type(const std::string& peft_type) {
  for (const auto& f : registry().families)
    if (f->peft_type == peft_type) return f.get();
  return nullptr;
}

const AdapterFamily& family_named(const std::string& name) {
  const AdapterFamily* f = find_family(name);
  if (!f) throw Error(detail::concat("--peft: unknown method '", name, "'"));
  return *f;
}

const std::vector<std::string>& family_names() { return registry().names; }

}  // namespace tt::peft

#include "tinytune/peft/lora.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "tinytune/core/ops.h"
#include "tinytune/peft/peft.h"

namespace tt::peft {

LoraInit parse_lora_init(const std::string& name) {
  if (name == "a") return LoraInit::a;
  if (name == "b") return LoraInit::b;
  if (name == "gaussian") return LoraInit::gaussian;
  throw Error(detail::concat("--lora-init: expected a, b or gaussian, got '", name, "'"));
}

LoraAdapter::LoraAdapter(const nn::Linear& base, const LoraOptions& options)
    : scaling(options.rslora ? options.alpha / std::sqrt(static_cast<double>(options.r))
                             : options.alpha / static_cast<double>(options.r)),
      dropout(options.dropout) {
  const int64_t d_in = base.in_features, d_out = base.out_features, r = options.r;
  TT_CHECK(r >= 1 && r <= std::min(d_in, d_out), "--lora-r: rank ", r,
           " must be in [1, min(d_in, d_out)] = [1, ", std::min(d_in, d_out), "] for a ", d_out,
           "x", d_in, " layer");
  TT_CHECK(options.dropout >= 0 && options.dropout < 1, "--lora-dropout: must be in [0, 1), got ",
           options.dropout);
  const DType dtype = base.weight.dtype();
  Tensor a, b;
  switch (options.init) {
    case LoraInit::a: {
      const double bound = 1.0 / std::sqrt(static_cast<double>(d_in));
      a = uniform({r, d_in}, -bound, bound, dtype);
      b = zeros({d_out, r}, dtype);
      break;
    }
    case LoraInit::b: {
      const double bound = 1.0 / std::sqrt(static_cast<double>(r));
      a = zeros({r, d_in}, dtype);
      b = uniform({d_out, r}, -bound, bound, dtype);
      break;
    }
    case LoraInit::gaussian:
      a = normal({r, d_in}, 0.0, 1.0 / static_cast<double>(r), dtype);
      b = zeros({d_out, r}, dtype);
      break;
  }
  lora_A = register_module("lora_A", std::make_shared<WeightHolder>(a))->weight;
  lora_B = register_module("lora_B", std::make_shared<WeightHolder>(b))->weight;
}

Tensor LoraAdapter::forward(const nn::Linear& base, const Tensor& x) {
  Tensor h = tt::dropout(x, dropout, is_training());
  Tensor delta = matmul(matmul(h, lora_A.transpose(0, 1)), lora_B.transpose(0, 1));
  return add(base.base_forward(x), mul(delta, scaling));
}

Tensor LoraAdapter::delta_weight() const {
  NoGradGuard no_grad;
  return mul(matmul(lora_B, lora_A), scaling);
}

Tensor LoraAdapter::merged_weight(const nn::Linear& base) const {
  NoGradGuard no_grad;
  return add(base.weight, delta_weight());
}

Tensor LoraAdapter::unmerged_weight(const Tensor& merged) const {
  NoGradGuard no_grad;
  return sub(merged, delta_weight());
}

std::vector<std::string> inject_lora(nn::Module& model, const std::vector<std::string>& targets,
                                     const LoraOptions& options,
                                     const std::vector<std::string>& trainable_prefixes) {
  std::vector<std::string> adapted;
  for (auto& [name, linear] : find_target_linears(model, targets)) {
    linear->set_adapter(std::make_shared<LoraAdapter>(*linear, options));
    adapted.push_back(name);
  }
  freeze_all_but(model, {".lora_A.", ".lora_B."}, trainable_prefixes);
  return adapted;
}

// ---- registry --------------------------------------------------------------------------------

namespace {

// lora_alpha 8 is written as 8, not 8.0, as HF writes it.
nlohmann::json number(double v) {
  if (std::floor(v) == v && std::abs(v) < 1e15) return static_cast<int64_t>(v);
  return v;
}

void write_lora_options(const PeftConfig& c, nlohmann::json& j) {
  write_lora_keys(c, j);
  if (c.lora_init == "gaussian") {
    j["init_lora_weights"] = "gaussian";
  } else {
    j["init_lora_weights"] = true;
    // HF has no Init[B] (docs/families.md §1.3); HF ignores this key (with a warning) and loads.
    if (c.lora_init == "b") j["tinytune_lora_init"] = "b";
  }
}

void read_lora_init(const AdapterConfigReader& r, PeftConfig& c) {
  // The init only decides the starting values, which the file's tensors replace; inits that
  // also rewrite W0 make the file meaningless on the original base model.
  c.lora_init = "a";
  if (r.has("init_lora_weights")) {
    const nlohmann::json& init = r.json()["init_lora_weights"];
    if (init.is_string()) {
      const std::string name = init.get<std::string>();
      if (name.rfind("pissa", 0) == 0 || name == "olora" || name == "corda" || name == "loftq")
        r.fail("\"init_lora_weights\": \"", name, "\" rewrites the base weights W0; convert the "
               "adapter to plain LoRA in HF first (save_pretrained(..., "
               "path_initial_model_for_weight_conversion=...))");
      if (name == "gaussian") c.lora_init = "gaussian";
    } else if (!init.is_boolean()) {
      r.fail("\"init_lora_weights\" must be true, false or a string, got ", init.dump());
    }
  }
  if (r.has("tinytune_lora_init")) c.lora_init = r.string("tinytune_lora_init");
}

void read_lora_options(const AdapterConfigReader& r, PeftConfig& c) {
  read_lora_keys(r, c);
  for (const char* key : {"use_dora", "fan_in_fan_out", "lora_bias", "rank_pattern", "alpha_pattern",
                          "layer_replication", "target_parameters", "trainable_token_indices",
                          "alora_invocation_tokens", "use_qalora"})
    r.unsupported(key);
  read_lora_init(r, c);
}

}  // namespace

void write_lora_keys(const PeftConfig& c, nlohmann::json& j) {
  j["r"] = c.lora_r;
  j["lora_alpha"] = number(c.lora_alpha);
  j["lora_dropout"] = c.lora_dropout;
  j["use_rslora"] = c.rslora;
}

void read_lora_keys(const AdapterConfigReader& r, PeftConfig& c) {
  // HF LoraConfig's defaults for the LoRA keys it may leave out.
  const bool ours = r.ours();
  c.lora_r = r.integer("r", ours ? std::nullopt : std::optional<int64_t>(8));
  c.lora_alpha = r.real("lora_alpha", ours ? std::nullopt : std::optional(8.0));
  c.lora_dropout = r.real("lora_dropout", ours ? std::nullopt : std::optional(0.0));
  c.rslora = r.boolean("use_rslora", ours ? std::nullopt : std::optional(false));
}

AdapterFamily lora_family() {
  AdapterFamily f;
  f.name = "lora";
  f.peft_type = "LORA";
  f.inject = [](nn::Module& model, const PeftConfig& c, const std::vector<std::string>& keep) {
    return inject_lora(model, c.target_modules,
                       {c.lora_r, c.lora_alpha, c.lora_dropout, parse_lora_init(c.lora_init), c.rslora},
                       keep);
  };
  f.write_options = write_lora_options;
  f.read_options = read_lora_options;
  return f;
}

}  // namespace tt::peft

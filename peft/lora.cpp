#include "tinytune/peft/lora.h"

#include <cmath>

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

}  // namespace tt::peft

#include "tinytune/peft/goft.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <numbers>

#include "tinytune/core/ops.h"
#include "tinytune/peft/peft.h"

namespace tt::peft {

namespace {

int64_t pair_count(const nn::Linear& base, const char* family) {
  TT_CHECK(base.in_features >= 2, "--peft ", family, ": a layer with in_features = ", base.in_features,
           " has no coordinate pair to rotate (need in_features >= 2)");
  return base.in_features - 1;
}

// Rows of `w` [d_out, d_in] through the stages, in float64 (merging is rare; one rounding at the
// end), returned in w's dtype.
Tensor rotate_rows(const Tensor& w, const Tensor& blocks, bool adjoint) {
  Tensor w64 = w.detach().to(DType::f64), g64 = blocks.detach().to(DType::f64);
  Tensor out = adjoint ? givens_rotate_adjoint(w64, g64) : givens_rotate(w64, g64);
  return out.to(w.dtype());
}

// `setup` finishes each new adapter (qGOFT: its λ).
template <typename A, typename Setup>
std::vector<std::string> inject(nn::Module& model, const std::vector<std::string>& targets,
                                const char* marker, const std::vector<std::string>& trainable_prefixes,
                                Setup setup) {
  std::vector<std::string> adapted;
  for (auto& [name, linear] : find_target_linears(model, targets)) {
    auto adapter = std::make_shared<A>(*linear);
    adapter->layer_name = name;
    setup(*adapter);
    linear->set_adapter(adapter);
    adapted.push_back(name);
  }
  freeze_all_but(model, {marker}, trainable_prefixes);
  return adapted;
}

}  // namespace

// ---- shared ---------------------------------------------------------------------------------

Tensor GivensAdapter::forward(const nn::Linear& base, const Tensor& x) {
  return base.base_forward(givens_rotate(x, blocks()));
}

Tensor GivensAdapter::merged_weight(const nn::Linear& base) const {
  NoGradGuard no_grad;
  return rotate_rows(base.weight, blocks(), /*adjoint=*/true);  // row r of W0 Rᵀ is R w_r
}

// ---- GOFT -----------------------------------------------------------------------------------

GoftAdapter::GoftAdapter(const nn::Linear& base) {
  givens_hard = register_parameter("givens_hard", zeros({pair_count(base, "goft")}, base.weight.dtype()));
}

Tensor GoftAdapter::blocks() const {
  return givens_rotation_blocks(mul(tanh(givens_hard), std::numbers::pi));
}

Tensor GoftAdapter::unmerged_weight(const Tensor& merged) const {
  NoGradGuard no_grad;
  return rotate_rows(merged, blocks(), /*adjoint=*/false);  // R⁻¹ = Rᵀ
}

// ---- qGOFT ----------------------------------------------------------------------------------

QgoftAdapter::QgoftAdapter(const nn::Linear& base) {
  const int64_t pairs = pair_count(base, "qgoft");
  std::vector<double> identity(4 * pairs, 0.0);
  for (int64_t k = 0; k < pairs; ++k) identity[4 * k] = identity[4 * k + 3] = 1.0;
  givens_soft = register_parameter("givens_soft", from_vector(identity, {pairs, 2, 2}, base.weight.dtype()));
}

Tensor QgoftAdapter::regularization() const {
  // Columns α = (g00, g10) and β = (g01, g11) of every block: [n, 2, 1] each.
  Tensor inner = sum(mul(givens_soft.narrow(2, 0, 1), givens_soft.narrow(2, 1, 1)), {1, 2});
  return sum(mul(inner, inner));
}

Tensor QgoftAdapter::extra_loss() const {
  if (lambda <= 0) return Tensor();  // λ = 0: no term at all, not a zero one
  return mul(regularization(), lambda);
}

Tensor QgoftAdapter::unmerged_weight(const Tensor& merged) const {
  NoGradGuard no_grad;
  Tensor g = givens_soft.detach().to(DType::f64);
  auto entry = [&](int64_t r, int64_t c) { return g.narrow(1, r, 1).narrow(2, c, 1); };  // [n, 1, 1]
  Tensor det = sub(mul(entry(0, 0), entry(1, 1)), mul(entry(0, 1), entry(1, 0)));
  const std::vector<double> dets = det.to_vector<double>();
  for (size_t k = 0; k < dets.size(); ++k)
    TT_CHECK(std::abs(dets[k]) >= 1e-12, "qgoft unmerge: layer '", layer_name, "': block ", k,
             " of givens_soft is singular (|det| = ", std::abs(dets[k]),
             " < 1e-12), so W_eff = W0 Rᵀ cannot be inverted; unmerge_adapters restores the kept W0 instead");
  // G⁻ᵀ = [[g11, −g10], [−g01, g00]] / det: P_s⁻¹ = P_s(G⁻¹) = P_s(G⁻ᵀ)ᵀ, which givens_rotate applies.
  Tensor inverse_transposed =
      div(concat({concat({entry(1, 1), neg(entry(1, 0))}, 2), concat({neg(entry(0, 1)), entry(0, 0)}, 2)}, 1),
          det);
  return rotate_rows(merged, inverse_transposed, /*adjoint=*/false);
}

// ---- injection ------------------------------------------------------------------------------

std::vector<std::string> inject_goft(nn::Module& model, const std::vector<std::string>& targets,
                                     const std::vector<std::string>& trainable_prefixes) {
  return inject<GoftAdapter>(model, targets, ".givens_hard", trainable_prefixes, [](GoftAdapter&) {});
}

std::vector<std::string> inject_qgoft(nn::Module& model, const std::vector<std::string>& targets,
                                      const std::vector<std::string>& trainable_prefixes, double lambda) {
  return inject<QgoftAdapter>(model, targets, ".givens_soft", trainable_prefixes,
                              [lambda](QgoftAdapter& a) { a.lambda = lambda; });
}

// ---- registry ---------------------------------------------------------------------------------

// SST-2 probe on MiniLM (benchmarks/RESULTS.md): qGOFT at 1e-2 reached 0.83 dev accuracy in 200
// steps, at 2e-3 only 0.77 in 300.
constexpr double kGivensDefaultLr = 1e-2;

AdapterFamily goft_family() {
  AdapterFamily f;
  f.name = "goft";
  f.peft_type = "TINYTUNE_GOFT";
  f.inject = [](nn::Module& model, const PeftConfig& c, const std::vector<std::string>& keep) {
    return inject_goft(model, c.target_modules, keep);
  };
  f.default_lr = kGivensDefaultLr;
  return f;
}

AdapterFamily qgoft_family() {
  AdapterFamily f;
  f.name = "qgoft";
  f.peft_type = "TINYTUNE_QGOFT";
  f.inject = [](nn::Module& model, const PeftConfig& c, const std::vector<std::string>& keep) {
    return inject_qgoft(model, c.target_modules, keep, c.qgoft_lambda);
  };
  f.write_options = [](const PeftConfig& c, nlohmann::json& j) { j["qgoft_lambda"] = c.qgoft_lambda; };
  f.read_options = [](const AdapterConfigReader& r, PeftConfig& c) { c.qgoft_lambda = r.real("qgoft_lambda"); };
  f.default_lr = kGivensDefaultLr;
  return f;
}

}  // namespace tt::peft

// GOFT and qGOFT (Ma et al., ICML 2024, arXiv 2404.04316; docs/families.md §4.1–4.3): a rotation of
// the input in front of the frozen layer,
//   y = W0 Rᵀ x + b,   R = P_L ⋯ P_1   (d_in − 1 Givens blocks in ⌈log2 d_in⌉ butterfly stages,
//                                       applied by core/ops/givens in O(d_in log d_in) per token)
// GOFT (strict; the paper's GOFT, no norm scaler): "givens_hard" holds d_in − 1 raw angles p,
//   θ = π·tanh(p), block [[cos θ, −sin θ], [sin θ, cos θ]] — R is exactly orthogonal.
// qGOFT (quasi-orthogonal): "givens_soft" [d_in − 1, 2, 2] holds free blocks
//   [[g00, g01], [g10, g11]]; regularization() = Σ_k ⟨α_k, β_k⟩², ⟨α, β⟩ = g00·g01 + g10·g11
//   (the inner product of each block's two columns; their norms stay free). extra_loss() is
//   λ·regularization() (--qgoft-lambda), which the trainer adds to the loss for every layer.
// Init: p = 0 and identity blocks, so R = I and the adapted model equals the base at step 0.
// Merge: W_eff = W0 Rᵀ; row r of it is R w_r, so W0's rows go through givens_rotate_adjoint.
// Inverse rule: W0 = W_eff R⁻ᵀ, row r = R⁻¹ w_r, with R⁻¹ = P_1⁻¹ ⋯ P_L⁻¹. GOFT: P⁻¹ = Pᵀ, so the
//   rows go through givens_rotate (the transposed rotations, stage L first). qGOFT: P_s⁻¹ is P_s
//   with each block inverted, i.e. givens_rotate with the blocks G_k⁻ᵀ; |det G_k| < 1e-12 is an
//   error naming the layer (the soft regulariser does not keep blocks invertible).
// Parameters per layer: d_in − 1 (GOFT), 4 (d_in − 1) (qGOFT).
#pragma once
#include <string>
#include <vector>

#include "tinytune/peft/adapter.h"
#include "tinytune/peft/registry.h"

namespace tt::peft {

// What GOFT and qGOFT share: the forward, the merged weight and the layer's name.
class GivensAdapter : public Adapter {
 public:
  Tensor forward(const nn::Linear& base, const Tensor& x) override;
  Tensor merged_weight(const nn::Linear& base) const override;
  // The d_in − 1 blocks [d_in − 1, 2, 2] of the stages (differentiable in the parameters).
  virtual Tensor blocks() const = 0;

  std::string layer_name;  // the adapted layer's dotted name, for error messages
};

class GoftAdapter : public GivensAdapter {
 public:
  explicit GoftAdapter(const nn::Linear& base);
  std::string family() const override { return "goft"; }
  Tensor blocks() const override;  // rotations by θ = π·tanh(givens_hard)
  Tensor unmerged_weight(const Tensor& merged) const override;

  Tensor givens_hard;  // [d_in − 1] raw angles, registered as "givens_hard"
};

class QgoftAdapter : public GivensAdapter {
 public:
  explicit QgoftAdapter(const nn::Linear& base);
  std::string family() const override { return "qgoft"; }
  Tensor blocks() const override { return givens_soft; }
  Tensor unmerged_weight(const Tensor& merged) const override;
  Tensor regularization() const override;  // Σ_k (g00·g01 + g10·g11)², differentiable
  Tensor extra_loss() const override;      // λ·regularization(); undefined when λ = 0

  Tensor givens_soft;  // [d_in − 1, 2, 2] free blocks, registered as "givens_soft"
  double lambda = 0.0;  // the weight of the soft-orthogonality term (PeftConfig::qgoft_lambda)
};

// Install GOFT / qGOFT on every Linear matched by `targets` (peft::find_target_linears) and
// freeze everything but the adapters and the parameters under `trainable_prefixes`. Return the
// adapted layers' names. A layer with d_in < 2 is an error (no pair to rotate).
std::vector<std::string> inject_goft(nn::Module& model, const std::vector<std::string>& targets,
                                     const std::vector<std::string>& trainable_prefixes);
// `lambda`: each adapter's QgoftAdapter::lambda.
std::vector<std::string> inject_qgoft(nn::Module& model, const std::vector<std::string>& targets,
                                      const std::vector<std::string>& trainable_prefixes,
                                      double lambda = 0.0);

// GOFT and qGOFT as the registry knows them: peft_type "TINYTUNE_GOFT" (no keys of its own),
// "TINYTUNE_QGOFT" (qgoft_lambda).
AdapterFamily goft_family();
AdapterFamily qgoft_family();

}  // namespace tt::peft

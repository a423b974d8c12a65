// The target task's head for LoraHub on an encoder classifier (docs/families.md §5.5, option a): a
// closed-form ridge regression from the pooled [CLS] features of the k few-shot examples to
// their targets, refitted for every candidate w inside the objective and scored by
// leave-one-out (LOO). The final head is the same ridge fitted on all k examples.
//
// Math (float64). F [k, d] features, Y [k, C] targets (classification: the one-hot class,
// C = number of labels; regression: the score, C = 1). Ridge with an unpenalised intercept,
//   min_{β, b} ‖Y − F β − 1 bᵀ‖² + λ ‖β‖²,
// is ridge on centred data: Fc = F − 1 f̄ᵀ, Yc = Y − 1 ȳᵀ, K = Fc Fcᵀ [k, k] (the dual form:
// k ≪ d), then
//   β = Fcᵀ (K + λI)⁻¹ Yc   [d, C],   b = ȳ − βᵀ f̄.
// The fitted values are Ŷ = H Y with the hat matrix H = 11ᵀ/k + K (K + λI)⁻¹. The fit is a
// penalised least-squares smoother, so refitting without row i has the closed form
//   ŷ₍₋ᵢ₎ = yᵢ − (yᵢ − ŷᵢ) / (1 − Hᵢᵢ),
// with 1 − Hᵢᵢ > 0 whenever λ > 0 and k ≥ 2 (H's eigenvalues are 1 on 1 and < 1 elsewhere).
// LOO loss: classification, the mean over i of the cross-entropy of softmax(ŷ₍₋ᵢ₎ / T) at the
// true class; regression, the mean of (ŷ₍₋ᵢ₎ − yᵢ)².
//
// Why this head:
//  - LoraHub's objective is the composed model's loss on the k examples, without gradients
//    (docs/families.md §5.2). Its upstream modules share Flan-T5's generative head; ours each carry
//    their own task's classifier, whose labels mean other things (§5.5), so the target head
//    has to come from the k examples themselves.
//  - Closed form: for each w the head is refitted exactly with one k×k Cholesky solve — no
//    inner optimisation, no gradients, no randomness — so the outer search stays
//    derivative-free and a seed reproduces the same w bit for bit.
//  - Leave-one-out, not the training loss: with k ≪ d the ridge fit nearly interpolates any
//    features, so training loss hardly tells compositions apart; LOO measures how well the
//    features carry the task from k−1 examples to an unseen one, which is what the dev set
//    asks. The hat matrix gives LOO exactly at the cost of one fit.
//  - Ridge on one-hot targets (least-squares classification) rather than logistic regression:
//    logistic has no closed form and its LOO needs k refits of Newton iterations.
//  - λ = 1 (fixed): the pooled features are tanh outputs in (−1, 1), so K's scale is bounded
//    by d. Measured on the base all-MiniLM-L6-v2: K's largest eigenvalues are ≈ 1 for 16 RTE
//    or SST-2 examples, so λ = 1 is moderate shrinkage there (features that compositions
//    spread further are shrunk less), and K + λI stays well conditioned. T = 0.25: LOO scores
//    are in one-hot units, so a unit margin means odds e⁴ ≈ 55:1; a perfect LOO fit scores a
//    cross-entropy of ≈ 0.02 (two classes), a chance-level one about ln C or more — a wide
//    range next to the L1 term (α · mean|w| ≤ 0.075 at α = 0.05). Both are flags
//    (--ridge-lambda, --temperature) of the lorahub tool.
#pragma once
#include <cstdint>
#include <vector>

#include "tinytune/nn/linear.h"

namespace tt::peft {

struct RidgeHeadOptions {
  double lambda = 1.0;        // ridge penalty λ (--ridge-lambda)
  double temperature = 0.25;  // T of the LOO softmax, classification only (--temperature)
  void validate() const;      // λ > 0, T > 0, naming the flag
};

// The k examples' targets.
struct HeadTargets {
  bool regression = false;
  int64_t num_outputs = 0;       // C: the number of classes (>= 2), or 1 for regression
  std::vector<int64_t> classes;  // classification: k class ids in [0, C)
  std::vector<double> scores;    // regression: k scores
  int64_t size() const;          // k
  // Y [k, C] row-major: one-hot rows, or the scores as one column.
  std::vector<double> matrix() const;
  void validate() const;  // k >= 2, ids in range, the right vector filled
};

// A fitted linear head: outputs = F Wᵀ + b, with W laid out as a Linear's weight.
struct RidgeFit {
  int64_t in_features = 0, out_features = 0;
  std::vector<double> weight;  // [C, d] row-major
  std::vector<double> bias;    // [C]
};

struct LooResult {
  std::vector<double> predictions;  // ŷ₍₋ᵢ₎, [k, C] row-major
  double loss = 0;                  // mean CE of softmax(ŷ₍₋ᵢ₎ / T), or mean squared error
};

// features: [k, d] row-major, k = targets.size().
LooResult ridge_leave_one_out(const std::vector<double>& features, int64_t d,
                              const HeadTargets& targets, const RidgeHeadOptions& options);
RidgeFit fit_ridge_head(const std::vector<double>& features, int64_t d, const HeadTargets& targets,
                        const RidgeHeadOptions& options);

// Writes the fit into `classifier` (its weight [C, d] and bias [C], in their dtype and device).
// Shapes must agree: the model was built with C labels over d features.
void install_head(nn::Linear& classifier, const RidgeFit& fit);

}  // namespace tt::peft

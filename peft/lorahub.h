// LoraHub (Huang et al., COLM 2024; docs/families.md §5): compose N trained LoRA modules with
// weights w, and find w for an unseen task from k examples without gradients.
//
// Composition, exactly as the official code (lorahub/algorithm.py) does it: every LoRA factor
// is combined with the same weight and loaded into ONE LoRA slot with the shared scaling s,
//   Â = Σᵢ wᵢ Aᵢ,   B̂ = Σᵢ wᵢ Bᵢ   (per layer),
//   ΔW = s · B̂ Â = s · Σᵢ Σⱼ wᵢ wⱼ Bᵢ Aⱼ   (cross terms included: quadratic in w).
// Heads (classifier.*) are not composed (docs/families.md §5.5): each upstream module's head speaks
// its own task's labels; the target head comes from peft/lorahub_head.h. The modules must
// share r, alpha, rsLoRA, targets, tensor names and shapes, and base model.
// Mode "linear" (for comparison: task arithmetic, no cross terms) forms
//   ΔW = Σᵢ wᵢ sᵢ Bᵢ Aᵢ
// exactly as a rank-concatenated LoRA (HF PEFT's add_weighted_adapter "cat"):
//   A_cat = [A₁; …; A_N]  [N·r, d_in],   B_cat = [w₁s₁B₁, …, w_N s_N B_N]  [d_out, N·r],   s = 1.
// Either way the result is an ordinary LoRA adapter: LoraAdapter::forward runs it, merge and
// save_adapter (peft/adapter_io.h) treat it like any other.
//
// The adapt stage: minimise  loss(w) + α · mean|wᵢ|  over w ∈ [−1.5, 1.5]^N, starting at
// w = 0 (the base model), with a budget of objective evaluations (the official code: 40,
// α = 0.05). loss(w) is the leave-one-out loss of the closed-form ridge head on the composed
// model's pooled features of the k examples (peft/lorahub_head.h). Optimisers, all NLopt:
//   cobyla  LN_COBYLA  default. The official code's nevergrad NGOpt resolves to Cobyla at these
//                      budgets (budget < 200·N; docs/families.md §5.2).
//   bobyqa  LN_BOBYQA  local, quadratic models (suits LoraHub's quadratic-in-w ΔW).
//   sbplx   LN_SBPLX   local, Subplex (Nelder–Mead on subspaces): tolerates noisy objectives.
//   esch    GN_ESCH    global, evolutionary (NLopt has no CMA-ES; ESCH is its evolutionary
//                      strategy, closest to the paper's description of the Adapt stage as
//                      CMA-ES). Uses NLopt's random generator, seeded with the search seed.
// Local methods take the initial step 1.0 (COBYLA's first N+1 evaluations are then w = 0 and
// each module alone, w = eᵢ; scipy's COBYLA defaults to rhobeg = 1.0 as well). The step
// matters: in mode lorahub ΔW is quadratic in w, so near w = 0 the loss moves by O(|w|²)
// while α·mean|w| grows by O(|w|) — w = 0 is always a strict local minimum, and a local
// search leaves it only if a point at its first step's distance is already better.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tinytune/nn/bert.h"
#include "tinytune/peft/adapter_io.h"
#include "tinytune/peft/lorahub_head.h"

namespace tt::peft {

// One upstream LoRA module, as read from an adapter directory.
struct LoraModule {
  std::string dir;        // where it was read from (named in errors)
  AdapterFileConfig file;  // r, alpha, rsLoRA, targets, base model
  // The LoRA factors by tinytune parameter name ("bert.encoder.layer.0.attention.self.query.
  // lora_A.weight" [r, d_in], "….lora_B.weight" [d_out, r]); CPU f32. Heads are left out.
  std::map<std::string, Tensor> factors;
};

// Reads a LoRA adapter directory (adapter_config.json + adapter_model.safetensors, HF PEFT's
// layout; peft/adapter_io.h). `dir` may also be a train_glue output directory holding
// adapter/. Errors name the directory: not a LoRA adapter, no factors, a factor without its
// partner, unsupported config features (as load_adapter).
LoraModule read_lora_module(const std::string& dir);

// All modules share one architecture: r, lora_alpha, use_rslora, target_modules, the factors'
// names and shapes, and the base model (base_model_name_or_path, compared by its last path
// component when both are set). Errors name the first module that differs, what differs and
// both values. An empty list is an error.
void check_same_architecture(const std::vector<LoraModule>& modules);

// The model a base_model_name_or_path names, for comparisons: its last path component
// ("models/all-MiniLM-L6-v2/" and "sentence-transformers/all-MiniLM-L6-v2" are one model).
std::string model_identity(const std::string& base_model_name);

enum class CompositionMode { lorahub, linear };
CompositionMode parse_composition_mode(const std::string& name);  // "lorahub" | "linear" (--mode)
const char* composition_mode_name(CompositionMode mode);

// The LoRA config of the composed slot: the modules' own (lorahub), or rank N·r with
// lora_alpha = N·r (scaling 1) and no rsLoRA (linear).
PeftConfig composed_config(const std::vector<LoraModule>& modules, CompositionMode mode);

// The composed factors by parameter name (CPU, the modules' dtype). w.size() must equal the
// number of modules.
std::map<std::string, Tensor> compose_lora(const std::vector<LoraModule>& modules,
                                           const std::vector<double>& w, CompositionMode mode);

// One LoRA slot on a model whose factors are rewritten for each candidate w.
class LoraComposer {
 public:
  // Checks the modules (check_same_architecture), installs composed_config's LoRA on `model`
  // (apply_peft; everything but "classifier." frozen) and checks every factor fits the
  // model's layer (an error names the module, the tensor and both shapes). Starts at w = 0.
  LoraComposer(nn::Module& model, std::vector<LoraModule> modules, CompositionMode mode);
  // Writes compose_lora(w) into the slot. The adapters must not be merged.
  void set_weights(const std::vector<double>& w);
  const std::vector<double>& weights() const { return weights_; }
  const PeftConfig& config() const { return config_; }
  const std::vector<LoraModule>& modules() const { return modules_; }
  int64_t size() const { return static_cast<int64_t>(modules_.size()); }

 private:
  nn::Module& model_;
  std::vector<LoraModule> modules_;
  CompositionMode mode_;
  PeftConfig config_;
  std::map<std::string, Tensor> slot_;  // the live lora_A / lora_B parameters by name
  std::vector<double> weights_;
};

// Pooled [CLS] features tanh(pooler(h[:, 0])) — what the classifier sees — of every example in
// `batches` (in order), [k, hidden] row-major float64. Eval mode, no gradients.
std::vector<double> pooled_features(nn::BertForSequenceClassification& model,
                                    const std::vector<nn::BertInputs>& batches);

// The Adapt stage's objective: f(w) = LOO loss of the ridge head on the composed model's
// features of the k examples + α · mean|wᵢ|. Without a composer (the base-model baseline)
// w must be empty and f is the base model's LOO loss.
class LorahubObjective {
 public:
  LorahubObjective(nn::BertForSequenceClassification& model, LoraComposer* composer,
                   std::vector<nn::BertInputs> batches, HeadTargets targets, RidgeHeadOptions head,
                   double alpha);
  double operator()(const std::vector<double>& w);
  double last_loss() const { return last_loss_; }  // the LOO term of the last call or finalize
  int64_t evaluations() const { return evaluations_; }
  // Sets w, fits the ridge head on all k examples and writes it into the model's classifier
  // (last_loss() then holds the LOO term at w; not counted as an evaluation).
  RidgeFit finalize(const std::vector<double>& w);
  double alpha() const { return alpha_; }

 private:
  std::vector<double> features_at(const std::vector<double>& w);
  nn::BertForSequenceClassification& model_;
  LoraComposer* composer_;
  std::vector<nn::BertInputs> batches_;
  HeadTargets targets_;
  RidgeHeadOptions head_;
  double alpha_;
  double last_loss_ = 0;
  int64_t evaluations_ = 0;
};

enum class LorahubOptimizer { cobyla, bobyqa, sbplx, esch };
LorahubOptimizer parse_lorahub_optimizer(const std::string& name);  // --optimizer
const char* lorahub_optimizer_name(LorahubOptimizer optimizer);

struct SearchOptions {
  LorahubOptimizer optimizer = LorahubOptimizer::cobyla;
  int64_t budget = 40;        // objective evaluations (--budget)
  double bound = 1.5;         // w ∈ [−bound, bound]^N
  double initial_step = 1.0;  // local methods' first step
  uint64_t seed = 42;         // NLopt's generator (esch)
  void validate() const;
};

struct SearchResult {
  std::vector<double> weights;  // the best w evaluated (the first of equal values)
  double value = 0;             // f at weights
  int64_t evaluations = 0;
  std::vector<double> values;   // f at every evaluation, in order
  std::string algorithm;        // NLopt's name of the algorithm
  std::string stop_reason;      // "budget reached", "converged (xtol)", ...
};

// Minimises `objective` over [−bound, bound]^n from w = 0 with NLopt, at most budget
// evaluations. An exception thrown by the objective stops the search and is rethrown.
SearchResult search_weights(const std::function<double(const std::vector<double>&)>& objective,
                            int64_t n, const SearchOptions& options);

}  // namespace tt::peft

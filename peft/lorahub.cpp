#include "tinytune/peft/lorahub.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <nlopt.hpp>
#include <set>

#include "tinytune/core/io/safetensors.h"
#include "tinytune/core/ops.h"

namespace tt::peft {

namespace fs = std::filesystem;

namespace {

const std::string kFactorA = ".lora_A.weight", kFactorB = ".lora_B.weight";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The layer a factor belongs to ("….query" for "….query.lora_A.weight").
std::string layer_of(const std::string& factor) {
  return factor.substr(0, factor.size() - kFactorA.size());  // both suffixes are equally long
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

double scaling_of(const PeftConfig& c) {
  const double r = static_cast<double>(c.lora_r);
  return c.rslora ? c.lora_alpha / std::sqrt(r) : c.lora_alpha / r;
}

}  // namespace

// Adapters record the path they were trained from, which differs between machines and
// spellings while the model is the same.
std::string model_identity(const std::string& base_model_name) {
  std::string s = base_model_name;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return fs::path(s).filename().string();
}

LoraModule read_lora_module(const std::string& dir) {
  LoraModule m;
  m.dir = dir;
  // A train_glue output directory holds its adapter in adapter/.
  if (!fs::exists(fs::path(dir) / kAdapterConfigFile) && fs::exists(fs::path(dir) / "adapter" / kAdapterConfigFile))
    m.dir = (fs::path(dir) / "adapter").string();
  TT_CHECK(fs::is_directory(m.dir), "--modules: ", dir, " is not a directory (expected an adapter "
           "directory with ", kAdapterConfigFile, " and ", kAdapterWeightsFile, ")");
  m.file = read_adapter_config(m.dir);
  TT_CHECK(m.file.config.method == "lora", "--modules: ", m.dir, " holds a ", m.file.config.method,
           " adapter; LoraHub composes LoRA modules",
           m.file.config.method == "condlora" ? " (export it with peft::export_condlora_as_lora)" : "");
  const std::string weights = (fs::path(m.dir) / kAdapterWeightsFile).string();
  TT_CHECK(fs::exists(weights), "--modules: ", weights, " not found");
  const std::string prefix = kHfTensorPrefix;
  for (auto& [stored, t] : io::load_safetensors(weights)) {
    const std::string name = stored.rfind(prefix, 0) == 0 ? stored.substr(prefix.size()) : stored;
    if (ends_with(name, kFactorA) || ends_with(name, kFactorB))  // heads and the rest: not composed
      m.factors.emplace(name, t.to(DType::f32));
  }
  TT_CHECK(!m.factors.empty(), "--modules: ", weights, " holds no LoRA factors (tensors named "
           "base_model.model.<layer>.lora_A.weight / lora_B.weight)");
  const int64_t r = m.file.config.lora_r;
  for (const auto& [name, t] : m.factors) {
    const bool is_a = ends_with(name, kFactorA);
    const std::string partner = layer_of(name) + (is_a ? kFactorB : kFactorA);
    TT_CHECK(m.factors.count(partner), "--modules: ", weights, ": '", name, "' has no partner '",
             partner, "'");
    TT_CHECK(t.dim() == 2 && t.size(is_a ? 0 : 1) == r, "--modules: ", weights, ": '", name,
             "' has shape ", shape_str(t.shape()), ", expected ", is_a ? "[r, d_in]" : "[d_out, r]",
             " with r = ", r, " (adapter_config.json)");
  }
  return m;
}

void check_same_architecture(const std::vector<LoraModule>& modules) {
  TT_CHECK(!modules.empty(), "--modules: the module list is empty (give at least one adapter "
           "directory, or --baseline base for the base model with the same head)");
  const LoraModule& ref = modules[0];
  const PeftConfig& a = ref.file.config;
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  for (size_t i = 1; i < modules.size(); ++i) {
    const LoraModule& m = modules[i];
    const PeftConfig& b = m.file.config;
    auto differ = [&](const std::string& what, const auto& va, const auto& vb) {
      throw Error(detail::concat("--modules: ", m.dir, " differs from ", ref.dir, " in ", what, ": ",
                                 vb, " vs ", va, " (LoraHub composes modules of one architecture)"));
    };
    if (b.lora_r != a.lora_r) differ("r", a.lora_r, b.lora_r);
    if (b.lora_alpha != a.lora_alpha) differ("lora_alpha", a.lora_alpha, b.lora_alpha);
    if (b.rslora != a.rslora) differ("use_rslora", a.rslora ? "true" : "false", b.rslora ? "true" : "false");
    if (sorted(b.target_modules) != sorted(a.target_modules))
      differ("target_modules", "[" + join(a.target_modules) + "]", "[" + join(b.target_modules) + "]");
    const std::string base_a = model_identity(ref.file.base_model_name);
    const std::string base_b = model_identity(m.file.base_model_name);
    if (!base_a.empty() && !base_b.empty() && base_a != base_b)
      differ("base model", ref.file.base_model_name, m.file.base_model_name);
    for (const auto& [name, t] : ref.factors) {
      auto it = m.factors.find(name);
      if (it == m.factors.end()) differ("tensors", name, "no '" + name + "'");
      if (it->second.shape() != t.shape())
        differ("the shape of " + name, shape_str(t.shape()), shape_str(it->second.shape()));
    }
    for (const auto& [name, t] : m.factors)
      if (!ref.factors.count(name)) differ("tensors", "no '" + name + "'", name);
  }
}

CompositionMode parse_composition_mode(const std::string& name) {
  if (name == "lorahub") return CompositionMode::lorahub;
  if (name == "linear") return CompositionMode::linear;
  throw Error(detail::concat("--mode: expected lorahub or linear, got '", name, "'"));
}

const char* composition_mode_name(CompositionMode mode) {
  return mode == CompositionMode::lorahub ? "lorahub" : "linear";
}

PeftConfig composed_config(const std::vector<LoraModule>& modules, CompositionMode mode) {
  check_same_architecture(modules);
  const PeftConfig& m = modules[0].file.config;
  PeftConfig c;
  c.method = "lora";
  c.target_modules = m.target_modules;
  c.lora_dropout = m.lora_dropout;
  c.lora_init = "a";  // the factors are overwritten: the init never matters
  if (mode == CompositionMode::lorahub) {
    c.lora_r = m.lora_r;
    c.lora_alpha = m.lora_alpha;
    c.rslora = m.rslora;
  } else {
    c.lora_r = m.lora_r * static_cast<int64_t>(modules.size());
    c.lora_alpha = static_cast<double>(c.lora_r);  // scaling 1: the sᵢ live in B_cat
    c.rslora = false;
  }
  return c;
}

std::map<std::string, Tensor> compose_lora(const std::vector<LoraModule>& modules,
                                           const std::vector<double>& w, CompositionMode mode) {
  TT_CHECK(!modules.empty() && w.size() == modules.size(), "lorahub: ", w.size(), " weights for ",
           modules.size(), " modules");
  NoGradGuard no_grad;
  std::map<std::string, Tensor> out;
  for (const auto& [name, first] : modules[0].factors) {
    if (mode == CompositionMode::lorahub) {
      // Σᵢ wᵢ Fᵢ in module order; a one-hot w gives Fᵢ bit for bit (x·1 and x + 0 are exact).
      Tensor sum = mul(first, w[0]);
      for (size_t i = 1; i < modules.size(); ++i) sum = add(sum, mul(modules[i].factors.at(name), w[i]));
      out.emplace(name, sum);
    } else {
      std::vector<Tensor> parts;
      const bool is_a = ends_with(name, kFactorA);
      for (size_t i = 0; i < modules.size(); ++i) {
        const Tensor& f = modules[i].factors.at(name);
        parts.push_back(is_a ? f : mul(f, w[i] * scaling_of(modules[i].file.config)));
      }
      out.emplace(name, concat(parts, is_a ? 0 : 1));
    }
  }
  return out;
}

LoraComposer::LoraComposer(nn::Module& model, std::vector<LoraModule> modules, CompositionMode mode)
    : model_(model), modules_(std::move(modules)), mode_(mode) {
  config_ = composed_config(modules_, mode_);
  TT_CHECK(adapters_of(model_).empty(), "lorahub: the model already has adapters; compose into a "
           "freshly loaded model");
  apply_peft(model_, config_, {"classifier."});
  for (auto& [layer, adapter] : adapters_of(model_))
    for (auto& [name, p] : adapter->named_parameters(layer)) slot_.emplace(name, p);
  // Every module's factor must fit the model's layer: trained on this base model's shapes.
  const int64_t r = modules_[0].file.config.lora_r;
  for (const LoraModule& m : modules_) {
    for (const auto& [name, t] : m.factors) {
      auto it = slot_.find(name);
      TT_CHECK(it != slot_.end(), "--modules: ", m.dir, " has a factor '", name, "' for a layer the "
               "model does not have (an adapter trained on another base model?)");
      const Shape& s = it->second.shape();
      const bool is_a = ends_with(name, kFactorA);
      const Shape expected = mode_ == CompositionMode::lorahub ? s
                             : is_a ? Shape{r, s[1]} : Shape{s[0], r};
      TT_CHECK(t.shape() == expected, "--modules: ", m.dir, ": '", name, "' has shape ",
               shape_str(t.shape()), " but the model's layer needs ", shape_str(expected),
               " (an adapter trained on another base model?)");
    }
    for (const auto& [name, p] : slot_)
      TT_CHECK(m.factors.count(name), "--modules: ", m.dir, " has no factor '", name,
               "' for the model's layer");
  }
  set_weights(std::vector<double>(modules_.size(), 0.0));
}

void LoraComposer::set_weights(const std::vector<double>& w) {
  TT_CHECK(w.size() == modules_.size(), "lorahub: ", w.size(), " weights for ", modules_.size(), " modules");
  for (auto& [layer, adapter] : adapters_of(model_))
    TT_CHECK(!adapter->merged, "lorahub: layer '", layer, "' is merged; unmerge before changing w");
  NoGradGuard no_grad;
  for (auto& [name, t] : compose_lora(modules_, w, mode_)) copy_into(slot_.at(name), t);
  weights_ = w;
}

std::vector<double> pooled_features(nn::BertForSequenceClassification& model,
                                    const std::vector<nn::BertInputs>& batches) {
  model.eval();
  NoGradGuard no_grad;
  std::vector<double> out;
  for (const nn::BertInputs& b : batches) {
    std::vector<double> f = model.bert->forward(b).pooled.to_vector<double>();
    out.insert(out.end(), f.begin(), f.end());
  }
  return out;
}

LorahubObjective::LorahubObjective(nn::BertForSequenceClassification& model, LoraComposer* composer,
                                   std::vector<nn::BertInputs> batches, HeadTargets targets,
                                   RidgeHeadOptions head, double alpha)
    : model_(model),
      composer_(composer),
      batches_(std::move(batches)),
      targets_(std::move(targets)),
      head_(head),
      alpha_(alpha) {
  targets_.validate();
  head_.validate();
  TT_CHECK(alpha_ >= 0 && std::isfinite(alpha_), "--alpha: must be >= 0, got ", alpha_);
  int64_t examples = 0;
  for (const nn::BertInputs& b : batches_) examples += b.input_ids.size(0);
  TT_CHECK(examples == targets_.size(), "lorahub: ", examples, " encoded examples for ",
           targets_.size(), " targets");
}

std::vector<double> LorahubObjective::features_at(const std::vector<double>& w) {
  if (composer_)
    composer_->set_weights(w);
  else
    TT_CHECK(w.empty(), "lorahub: the base-model objective takes no weights, got ", w.size());
  return pooled_features(model_, batches_);
}

double LorahubObjective::operator()(const std::vector<double>& w) {
  const std::vector<double> features = features_at(w);
  const int64_t d = static_cast<int64_t>(features.size()) / targets_.size();
  last_loss_ = ridge_leave_one_out(features, d, targets_, head_).loss;
  double l1 = 0;
  for (double v : w) l1 += std::abs(v);
  ++evaluations_;
  return last_loss_ + (w.empty() ? 0.0 : alpha_ * l1 / static_cast<double>(w.size()));
}

RidgeFit LorahubObjective::finalize(const std::vector<double>& w) {
  const std::vector<double> features = features_at(w);
  const int64_t d = static_cast<int64_t>(features.size()) / targets_.size();
  RidgeFit fit = fit_ridge_head(features, d, targets_, head_);
  last_loss_ = ridge_leave_one_out(features, d, targets_, head_).loss;
  install_head(*model_.classifier, fit);
  return fit;
}

// ---- the search ----------------------------------------------------------------------------

LorahubOptimizer parse_lorahub_optimizer(const std::string& name) {
  if (name == "cobyla") return LorahubOptimizer::cobyla;
  if (name == "bobyqa") return LorahubOptimizer::bobyqa;
  if (name == "sbplx") return LorahubOptimizer::sbplx;
  if (name == "esch") return LorahubOptimizer::esch;
  throw Error(detail::concat("--optimizer: expected cobyla, bobyqa, sbplx or esch, got '", name, "'"));
}

const char* lorahub_optimizer_name(LorahubOptimizer optimizer) {
  switch (optimizer) {
    case LorahubOptimizer::cobyla: return "cobyla";
    case LorahubOptimizer::bobyqa: return "bobyqa";
    case LorahubOptimizer::sbplx: return "sbplx";
    case LorahubOptimizer::esch: return "esch";
  }
  return "?";
}

void SearchOptions::validate() const {
  TT_CHECK(budget >= 1, "--budget: must be >= 1 objective evaluation, got ", budget);
  TT_CHECK(bound > 0 && std::isfinite(bound), "lorahub: the weight bound must be > 0, got ", bound);
  TT_CHECK(initial_step > 0 && initial_step <= bound, "lorahub: the initial step must be in (0, ",
           bound, "], got ", initial_step);
}

namespace {

struct SearchState {
  const std::function<double(const std::vector<double>&)>* objective;
  SearchResult* result;
  std::exception_ptr error;
};

double nlopt_objective(const std::vector<double>& w, std::vector<double>& grad, void* data) {
  (void)grad;  // derivative-free algorithms only: NLopt never asks for it
  auto* state = static_cast<SearchState*>(data);
  double value;
  try {
    value = (*state->objective)(w);
  } catch (...) {
    state->error = std::current_exception();
    throw nlopt::forced_stop();  // NLopt's wrapper would swallow the message: keep it ourselves
  }
  SearchResult& r = *state->result;
  r.values.push_back(value);
  if (r.weights.empty() || value < r.value) {
    r.weights = w;
    r.value = value;
  }
  return value;
}

const char* stop_reason(nlopt::result result) {
  switch (result) {
    case nlopt::MAXEVAL_REACHED: return "budget reached";
    case nlopt::XTOL_REACHED: return "converged (step below tolerance)";
    case nlopt::FTOL_REACHED: return "converged (objective change below tolerance)";
    case nlopt::STOPVAL_REACHED: return "stop value reached";
    case nlopt::MAXTIME_REACHED: return "time limit reached";
    case nlopt::SUCCESS: return "converged";
    default: return "stopped";
  }
}

}  // namespace

SearchResult search_weights(const std::function<double(const std::vector<double>&)>& objective,
                            int64_t n, const SearchOptions& options) {
  options.validate();
  TT_CHECK(n >= 1, "lorahub: the search needs at least one weight, got ", n);
  nlopt::algorithm algorithm = nlopt::LN_COBYLA;
  switch (options.optimizer) {
    case LorahubOptimizer::cobyla: algorithm = nlopt::LN_COBYLA; break;
    case LorahubOptimizer::bobyqa: algorithm = nlopt::LN_BOBYQA; break;
    case LorahubOptimizer::sbplx: algorithm = nlopt::LN_SBPLX; break;
    case LorahubOptimizer::esch: algorithm = nlopt::GN_ESCH; break;
  }
  SearchResult result;
  SearchState state{&objective, &result, nullptr};
  std::vector<double> w(static_cast<size_t>(n), 0.0);
  double value = 0;
  try {
    nlopt::opt opt(algorithm, static_cast<unsigned>(n));
    result.algorithm = opt.get_algorithm_name();
    opt.set_lower_bounds(-options.bound);
    opt.set_upper_bounds(options.bound);
    opt.set_maxeval(static_cast<int>(options.budget));
    if (options.optimizer != LorahubOptimizer::esch) opt.set_initial_step(options.initial_step);
    nlopt::srand(options.seed);  // ESCH's draws; the local methods are deterministic
    opt.set_min_objective(nlopt_objective, &state);
    result.stop_reason = stop_reason(opt.optimize(w, value));
  } catch (const nlopt::roundoff_limited&) {
    result.stop_reason = "stopped by round-off";
  } catch (const std::exception& e) {
    if (state.error) std::rethrow_exception(state.error);
    throw Error(detail::concat("--optimizer ", lorahub_optimizer_name(options.optimizer),
                               ": NLopt failed on ", n, " weights: ", e.what()));
  }
  if (state.error) std::rethrow_exception(state.error);
  TT_CHECK(!result.values.empty(), "--optimizer ", lorahub_optimizer_name(options.optimizer),
           ": NLopt stopped before evaluating the objective");
  result.evaluations = static_cast<int64_t>(result.values.size());
  return result;
}

}  // namespace tt::peft

// LoraHub on the tiny HF BERT fixture: a one-hot w gives back module i bit for bit; the
// composition rule (Â = Σ wᵢAᵢ, B̂ = Σ wᵢBᵢ, so ΔW = s Σᵢⱼ wᵢwⱼ BᵢAⱼ) and the linear mode
// (Σ wᵢ sᵢ BᵢAᵢ) against explicit weight matrices; the ridge head's closed-form leave-one-out
// against a refit loop; the objective against an independent computation; reproducible
// searches; the few-shot draw; bad inputs.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <set>

#include "tinytune/core/io/safetensors.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/peft/lorahub.h"
#include "tests/peft/random_adapter.h"
#include "tests/test_util.h"
#include "tinytune/train/few_shot.h"

using namespace tt;
namespace fs = std::filesystem;
using json = nlohmann::json;
using test::max_relative_error;

namespace {

const std::string kFixtures = TINYTUNE_FIXTURE_DIR;
const std::string kTinyBert = kFixtures + "/tiny_bert";
constexpr int64_t kLabels = 3;

peft::PeftConfig module_config(int64_t r = 4, double alpha = 8.0) {
  peft::PeftConfig c;
  c.method = "lora";
  c.lora_r = r;
  c.lora_alpha = alpha;
  c.lora_dropout = 0.0;
  return c;
}

// A trained-looking LoRA module: seeded random A, B and head, saved in HF PEFT's layout.
void make_module(const std::string& dir, uint64_t seed, const peft::PeftConfig& c = module_config()) {
  auto model = nn::load_bert_for_classification(kTinyBert, kLabels);
  peft::apply_peft(*model, c, {"classifier."});
  test::randomize_adapter(*model, seed);
  peft::save_adapter(*model, c, dir, kTinyBert);
}

struct Modules {
  test::TempDir tmp;
  std::vector<std::string> dirs;
  explicit Modules(int n) {
    for (int i = 0; i < n; ++i) {
      dirs.push_back(tmp.file("module" + std::to_string(i)));
      make_module(dirs.back(), 100 + i);
    }
  }
  std::vector<peft::LoraModule> read() const {
    std::vector<peft::LoraModule> out;
    for (const auto& d : dirs) out.push_back(peft::read_lora_module(d));
    return out;
  }
};

// Seeded random token ids, with padding in some rows: `sizes` batches.
std::vector<nn::BertInputs> random_batches(const std::vector<int64_t>& sizes, uint64_t seed,
                                           int64_t seq = 9) {
  std::mt19937_64 rng(seed);
  std::vector<nn::BertInputs> out;
  for (int64_t n : sizes) {
    std::vector<int64_t> ids(n * seq), types(n * seq, 0), mask(n * seq, 1);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t length = seq - static_cast<int64_t>(rng() % 4);
      for (int64_t t = 0; t < seq; ++t) {
        ids[i * seq + t] = t < length ? 5 + static_cast<int64_t>(rng() % 990) : 0;
        mask[i * seq + t] = t < length;
        types[i * seq + t] = t < length && t >= length / 2;
      }
    }
    out.push_back({from_vector(ids, {n, seq}), from_vector(types, {n, seq}), from_vector(mask, {n, seq})});
  }
  return out;
}

Tensor logits_of(nn::BertForSequenceClassification& model, const std::vector<nn::BertInputs>& batches) {
  model.eval();
  NoGradGuard no_grad;
  std::vector<Tensor> parts;
  for (const auto& b : batches) parts.push_back(model.forward(b));
  return concat(parts, 0);
}

void copy_head(nn::BertForSequenceClassification& from, nn::BertForSequenceClassification& to) {
  NoGradGuard no_grad;
  copy_into(to.classifier->weight, from.classifier->weight);
  copy_into(to.classifier->bias, from.classifier->bias);
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// A model whose target layers hold W0 + ΔW explicitly (no adapter), ΔW from `delta(layer)`.
std::shared_ptr<nn::BertForSequenceClassification> explicit_model(
    const std::function<std::vector<double>(const std::string&, int64_t, int64_t)>& delta) {
  auto model = nn::load_bert_for_classification(kTinyBert, kLabels);
  NoGradGuard no_grad;
  for (auto& [name, linear] : peft::find_target_linears(*model, {"query", "value"})) {
    std::vector<double> w = values(linear->weight);
    const std::vector<double> d = delta(name, linear->out_features, linear->in_features);
    for (size_t i = 0; i < w.size(); ++i) w[i] += d[i];
    copy_into(linear->weight, from_vector(w, linear->weight.shape(), DType::f64));
  }
  return model;
}

// (Σᵢ aᵢ Bᵢ)(Σⱼ bⱼ Aⱼ) or Σᵢ cᵢ BᵢAᵢ over the modules' factors of one layer, float64.
std::vector<double> product(const peft::LoraModule& mi, const peft::LoraModule& mj, const std::string& layer,
                            int64_t d_out, int64_t d_in) {
  const std::vector<double> b = values(mi.factors.at(layer + ".lora_B.weight"));
  const std::vector<double> a = values(mj.factors.at(layer + ".lora_A.weight"));
  const int64_t r = static_cast<int64_t>(a.size()) / d_in;
  std::vector<double> out(d_out * d_in, 0.0);
  for (int64_t o = 0; o < d_out; ++o)
    for (int64_t p = 0; p < r; ++p)
      for (int64_t i = 0; i < d_in; ++i) out[o * d_in + i] += b[o * r + p] * a[p * d_in + i];
  return out;
}

// ---- an independent ridge: primal normal equations with an intercept, Gaussian elimination ----

std::vector<double> solve(std::vector<double> m, std::vector<double> rhs, int64_t n, int64_t cols) {
  for (int64_t c = 0; c < n; ++c) {
    int64_t pivot = c;
    for (int64_t r = c + 1; r < n; ++r)
      if (std::abs(m[r * n + c]) > std::abs(m[pivot * n + c])) pivot = r;
    for (int64_t j = 0; j < n; ++j) std::swap(m[c * n + j], m[pivot * n + j]);
    for (int64_t j = 0; j < cols; ++j) std::swap(rhs[c * cols + j], rhs[pivot * cols + j]);
    for (int64_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = m[r * n + c] / m[c * n + c];
      for (int64_t j = 0; j < n; ++j) m[r * n + j] -= f * m[c * n + j];
      for (int64_t j = 0; j < cols; ++j) rhs[r * cols + j] -= f * rhs[c * cols + j];
    }
  }
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < cols; ++j) rhs[r * cols + j] /= m[r * n + r];
  return rhs;
}

// Ridge on the rows `use` of (F [k, d], Y [k, c]): min ‖Y − Fβ − 1bᵀ‖² + λ‖β‖², as
// coefficients [(d + 1), c] (row 0: the intercept b).
std::vector<double> primal_ridge(const std::vector<double>& f, const std::vector<double>& y, int64_t d,
                                 int64_t c, const std::vector<int64_t>& use, double lambda) {
  const int64_t n = d + 1;
  std::vector<double> m(n * n, 0.0), rhs(n * c, 0.0);
  for (int64_t i : use) {
    std::vector<double> x(n, 1.0);
    for (int64_t p = 0; p < d; ++p) x[p + 1] = f[i * d + p];
    for (int64_t a = 0; a < n; ++a) {
      for (int64_t b = 0; b < n; ++b) m[a * n + b] += x[a] * x[b];
      for (int64_t j = 0; j < c; ++j) rhs[a * c + j] += x[a] * y[i * c + j];
    }
  }
  for (int64_t a = 1; a < n; ++a) m[a * n + a] += lambda;
  return solve(m, rhs, n, c);
}

std::vector<double> predict(const std::vector<double>& coef, const std::vector<double>& f, int64_t i,
                            int64_t d, int64_t c) {
  std::vector<double> out(c);
  for (int64_t j = 0; j < c; ++j) {
    out[j] = coef[j];
    for (int64_t p = 0; p < d; ++p) out[j] += f[i * d + p] * coef[(p + 1) * c + j];
  }
  return out;
}

// Leave-one-out by k refits, and its loss (CE of softmax(ŷ/T) or squared error).
double refit_loo_loss(const std::vector<double>& f, int64_t d, const peft::HeadTargets& t,
                      const peft::RidgeHeadOptions& o, std::vector<double>* predictions = nullptr) {
  const int64_t k = t.size(), c = t.num_outputs;
  std::vector<double> y(k * c, 0.0);
  for (int64_t i = 0; i < k; ++i) {
    if (t.regression) y[i] = t.scores[i];
    else y[i * c + t.classes[i]] = 1.0;
  }
  double total = 0;
  for (int64_t i = 0; i < k; ++i) {
    std::vector<int64_t> rest;
    for (int64_t j = 0; j < k; ++j)
      if (j != i) rest.push_back(j);
    const std::vector<double> p = predict(primal_ridge(f, y, d, c, rest, o.lambda), f, i, d, c);
    if (predictions) predictions->insert(predictions->end(), p.begin(), p.end());
    if (t.regression) {
      total += (p[0] - y[i]) * (p[0] - y[i]);
    } else {
      double z = 0;
      for (double v : p) z += std::exp(v / o.temperature);
      total += std::log(z) - p[t.classes[i]] / o.temperature;
    }
  }
  return total / static_cast<double>(k);
}

peft::HeadTargets class_targets(const std::vector<int64_t>& classes, int64_t c = kLabels) {
  peft::HeadTargets t;
  t.num_outputs = c;
  t.classes = classes;
  return t;
}

}  // namespace

TEST_CASE("lorahub: a one-hot w gives back module i exactly (factors and logits bit for bit)") {
  Modules m(3);
  const auto batches = random_batches({5}, 7);
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    auto loaded = nn::load_bert_for_classification(kTinyBert, kLabels);
    peft::load_adapter(*loaded, m.dirs[i]);
    auto composed = nn::load_bert_for_classification(kTinyBert, kLabels);
    peft::LoraComposer composer(*composed, m.read(), peft::CompositionMode::lorahub);
    std::vector<double> w(3, 0.0);
    w[i] = 1.0;
    composer.set_weights(w);
    copy_head(*loaded, *composed);  // heads are not composed
    auto state = composed->state_dict();
    for (auto& [name, t] : composer.modules()[i].factors) CHECK(values(state.at(name)) == values(t));
    CHECK(logits_of(*composed, batches).to_vector<float>() == logits_of(*loaded, batches).to_vector<float>());
  }
}

TEST_CASE("lorahub: Â = Σ wᵢAᵢ, B̂ = Σ wᵢBᵢ, and the forward is s Σᵢⱼ wᵢwⱼ BᵢAⱼ with the cross terms") {
  Modules m(3);
  const auto modules = m.read();
  const std::vector<double> w{0.7, -1.2, 0.4};
  const double s = 8.0 / 4.0;  // alpha / r
  const auto composed = peft::compose_lora(modules, w, peft::CompositionMode::lorahub);
  REQUIRE(composed.size() == modules[0].factors.size());
  for (auto& [name, t] : composed) {
    CAPTURE(name);
    std::vector<double> expected(t.numel(), 0.0);
    for (size_t i = 0; i < modules.size(); ++i) {
      const auto f = values(modules[i].factors.at(name));
      for (size_t e = 0; e < f.size(); ++e) expected[e] += w[i] * f[e];
    }
    CHECK(max_relative_error(t, from_vector(expected, t.shape(), DType::f64)) <= 1e-6);
  }

  const auto batches = random_batches({4, 3}, 11);
  auto model = nn::load_bert_for_classification(kTinyBert, kLabels);
  peft::LoraComposer composer(*model, modules, peft::CompositionMode::lorahub);
  CHECK(composer.config().lora_r == 4);
  CHECK(composer.config().lora_alpha == 8.0);
  composer.set_weights(w);
  const Tensor logits = logits_of(*model, batches);

  auto cross = explicit_model([&](const std::string& layer, int64_t d_out, int64_t d_in) {
    std::vector<double> delta(d_out * d_in, 0.0);
    for (size_t i = 0; i < 3; ++i)
      for (size_t j = 0; j < 3; ++j) {
        const auto p = product(modules[i], modules[j], layer, d_out, d_in);
        for (size_t e = 0; e < delta.size(); ++e) delta[e] += s * w[i] * w[j] * p[e];
      }
    return delta;
  });
  copy_head(*model, *cross);
  CHECK(max_relative_error(logits, logits_of(*cross, batches)) <= 1e-5);
  // Without the cross terms (Σ wᵢ² BᵢAᵢ) the logits are far off: the rule is not linear in w.
  auto diagonal = explicit_model([&](const std::string& layer, int64_t d_out, int64_t d_in) {
    std::vector<double> delta(d_out * d_in, 0.0);
    for (size_t i = 0; i < 3; ++i) {
      const auto p = product(modules[i], modules[i], layer, d_out, d_in);
      for (size_t e = 0; e < delta.size(); ++e) delta[e] += s * w[i] * w[i] * p[e];
    }
    return delta;
  });
  copy_head(*model, *diagonal);
  CHECK(max_relative_error(logits, logits_of(*diagonal, batches)) > 1e-3);
}

TEST_CASE("lorahub: linear mode is Σ wᵢ sᵢ BᵢAᵢ as a rank-concatenated LoRA (rank N·r, scaling 1)") {
  Modules m(3);
  const auto modules = m.read();
  const std::vector<double> w{0.9, -0.5, 1.3};
  const double s = 2.0;
  auto model = nn::load_bert_for_classification(kTinyBert, kLabels);
  peft::LoraComposer composer(*model, modules, peft::CompositionMode::linear);
  CHECK(composer.config().lora_r == 12);
  CHECK(composer.config().lora_alpha == 12.0);
  CHECK(!composer.config().rslora);
  composer.set_weights(w);
  const auto batches = random_batches({6}, 12);
  auto linear = explicit_model([&](const std::string& layer, int64_t d_out, int64_t d_in) {
    std::vector<double> delta(d_out * d_in, 0.0);
    for (size_t i = 0; i < 3; ++i) {
      const auto p = product(modules[i], modules[i], layer, d_out, d_in);
      for (size_t e = 0; e < delta.size(); ++e) delta[e] += w[i] * s * p[e];
    }
    return delta;
  });
  copy_head(*model, *linear);
  CHECK(max_relative_error(logits_of(*model, batches), logits_of(*linear, batches)) <= 1e-5);
}

TEST_CASE("lorahub: the composed adapter merges and saves like any LoRA adapter") {
  Modules m(2);
  const auto batches = random_batches({5}, 13);
  for (auto mode : {peft::CompositionMode::lorahub, peft::CompositionMode::linear}) {
    CAPTURE(peft::composition_mode_name(mode));
    test::TempDir out;
    auto model = nn::load_bert_for_classification(kTinyBert, kLabels);
    peft::LoraComposer composer(*model, m.read(), mode);
    composer.set_weights({0.8, -0.6});
    const Tensor before = logits_of(*model, batches);
    peft::merge_adapters(*model);
    CHECK(max_relative_error(logits_of(*model, batches), before) <= 1e-5);
    CHECK_THROWS_WITH_AS(composer.set_weights({0.1, 0.1}), doctest::Contains("merged"), Error);
    peft::save_adapter(*model, composer.config(), out.file("adapter"), kTinyBert);
    auto reloaded = nn::load_bert_for_classification(kTinyBert, kLabels);
    peft::load_adapter(*reloaded, out.file("adapter"));
    CHECK(logits_of(*reloaded, batches).to_vector<float>() == before.to_vector<float>());
  }
}

TEST_CASE("lorahub head: closed-form leave-one-out equals k explicit refits (1e-8), fit equals the primal") {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  struct Case { int64_t k, d; bool regression; };
  for (Case cs : {Case{9, 7, false}, Case{6, 20, false}, Case{8, 12, true}, Case{12, 3, true}}) {
    CAPTURE(cs.k);
    CAPTURE(cs.d);
    std::vector<double> f(cs.k * cs.d);
    for (double& v : f) v = u(rng);
    peft::HeadTargets t;
    t.regression = cs.regression;
    t.num_outputs = cs.regression ? 1 : kLabels;
    for (int64_t i = 0; i < cs.k; ++i) {
      if (cs.regression) t.scores.push_back(2.5 + 2.5 * u(rng));
      else t.classes.push_back(i % kLabels);
    }
    for (double lambda : {0.3, 1.0}) {
      const peft::RidgeHeadOptions o{.lambda = lambda, .temperature = 0.25};
      std::vector<double> refit_predictions;
      const double refit = refit_loo_loss(f, cs.d, t, o, &refit_predictions);
      const peft::LooResult closed = peft::ridge_leave_one_out(f, cs.d, t, o);
      CHECK(std::abs(closed.loss - refit) <= 1e-8 * std::max(1.0, std::abs(refit)));
      REQUIRE(closed.predictions.size() == refit_predictions.size());
      for (size_t e = 0; e < refit_predictions.size(); ++e)
        CHECK(std::abs(closed.predictions[e] - refit_predictions[e]) <= 1e-8);
      // The head on all k is the primal ridge.
      std::vector<int64_t> all(cs.k);
      std::iota(all.begin(), all.end(), 0);
      const auto y = t.matrix();
      const auto coef = primal_ridge(f, y, cs.d, t.num_outputs, all, lambda);
      const peft::RidgeFit fit = peft::fit_ridge_head(f, cs.d, t, o);
      for (int64_t j = 0; j < t.num_outputs; ++j) {
        CHECK(std::abs(fit.bias[j] - coef[j]) <= 1e-8);
        for (int64_t p = 0; p < cs.d; ++p)
          CHECK(std::abs(fit.weight[j * cs.d + p] - coef[(p + 1) * t.num_outputs + j]) <= 1e-8);
      }
    }
  }
}

TEST_CASE("lorahub objective: LOO loss of the composed model's features + α·mean|w|, recomputed independently") {
  Modules m(3);
  const auto modules = m.read();
  const auto batches = random_batches({6, 4}, 21);  // two batches: features are concatenated
  const std::vector<int64_t> classes{0, 1, 2, 2, 1, 0, 0, 1, 2, 1};
  const std::vector<double> w{0.6, -0.9, 0.25};
  const double alpha = 0.05;
  const peft::RidgeHeadOptions head;
  auto model = nn::load_bert_for_classification(kTinyBert, kLabels);
  peft::LoraComposer composer(*model, modules, peft::CompositionMode::lorahub);
  peft::LorahubObjective objective(*model, &composer, batches, class_targets(classes), head, alpha);
  const double value = objective(w);
  CHECK(objective.evaluations() == 1);

  // The features the objective saw are the composed model's pooled [CLS] outputs ...
  const std::vector<double> features = peft::pooled_features(*model, batches);
  REQUIRE(features.size() == 10 * 64);
  auto explicit_delta = explicit_model([&](const std::string& layer, int64_t d_out, int64_t d_in) {
    std::vector<double> delta(d_out * d_in, 0.0);
    for (size_t i = 0; i < 3; ++i)
      for (size_t j = 0; j < 3; ++j) {
        const auto p = product(modules[i], modules[j], layer, d_out, d_in);
        for (size_t e = 0; e < delta.size(); ++e) delta[e] += 2.0 * w[i] * w[j] * p[e];
      }
    return delta;
  });
  const std::vector<double> expected_features = peft::pooled_features(*explicit_delta, batches);
  double worst = 0;
  for (size_t e = 0; e < features.size(); ++e) worst = std::max(worst, std::abs(features[e] - expected_features[e]));
  CHECK(worst <= 1e-5);
  // ... and the value is their refit leave-one-out loss plus the L1 term.
  const double refit = refit_loo_loss(features, 64, class_targets(classes), head);
  const double l1 = alpha * (0.6 + 0.9 + 0.25) / 3.0;
  CHECK(std::abs(value - (refit + l1)) <= 1e-8);
  CHECK(std::abs(objective.last_loss() - refit) <= 1e-8);
  // w = 0 is the base model: the objective equals the base-model baseline's.
  auto base = nn::load_bert_for_classification(kTinyBert, kLabels);
  peft::LorahubObjective baseline(*base, nullptr, batches, class_targets(classes), head, alpha);
  CHECK(objective({0.0, 0.0, 0.0}) == baseline({}));

  // finalize writes the ridge fit on all k into the classifier: its logits are F Wᵀ + b.
  const peft::RidgeFit fit = objective.finalize(w);
  const Tensor logits = logits_of(*model, batches);
  const auto got = values(logits);
  for (int64_t i = 0; i < 10; ++i)
    for (int64_t j = 0; j < kLabels; ++j) {
      double expected = fit.bias[j];
      for (int64_t p = 0; p < 64; ++p) expected += fit.weight[j * 64 + p] * features[i * 64 + p];
      CHECK(std::abs(got[i * kLabels + j] - expected) <= 1e-4);
    }
}

TEST_CASE("lorahub search: the same seed gives the same w bit for bit, the best point is kept") {
  Modules m(3);
  const auto batches = random_batches({8}, 31);
  const std::vector<int64_t> classes{0, 1, 2, 0, 1, 2, 0, 1};
  auto run = [&](peft::LorahubOptimizer optimizer, uint64_t seed) {
    auto model = nn::load_bert_for_classification(kTinyBert, kLabels);
    peft::LoraComposer composer(*model, m.read(), peft::CompositionMode::lorahub);
    peft::LorahubObjective objective(*model, &composer, batches, class_targets(classes), {}, 0.05);
    peft::SearchOptions o;
    o.optimizer = optimizer;
    o.budget = 10;
    o.seed = seed;
    return peft::search_weights([&](const std::vector<double>& w) { return objective(w); }, 3, o);
  };
  for (auto optimizer : {peft::LorahubOptimizer::cobyla, peft::LorahubOptimizer::esch}) {
    CAPTURE(peft::lorahub_optimizer_name(optimizer));
    const peft::SearchResult a = run(optimizer, 3), b = run(optimizer, 3);
    CHECK(a.weights == b.weights);
    CHECK(a.values == b.values);
    CHECK(a.evaluations == 10);
    CHECK(a.values.size() == 10);
    CHECK(a.value == *std::min_element(a.values.begin(), a.values.end()));
    for (double v : a.weights) CHECK(std::abs(v) <= 1.5);
  }
  // COBYLA starts at w = 0 (the base model) and never returns anything worse.
  const peft::SearchResult c = run(peft::LorahubOptimizer::cobyla, 1);
  auto base = nn::load_bert_for_classification(kTinyBert, kLabels);
  peft::LorahubObjective at_zero(*base, nullptr, batches, class_targets(classes), {}, 0.05);
  CHECK(c.values[0] == at_zero({}));
  CHECK(c.value <= c.values[0]);
}

TEST_CASE("lorahub search: every optimizer minimises a bounded quadratic, objective errors propagate") {
  const std::vector<double> target{0.4, -0.8, 2.0};  // the last one lies beyond the bound 1.5
  auto quadratic = [&](const std::vector<double>& w) {
    double s = 0;
    for (size_t i = 0; i < w.size(); ++i) s += (w[i] - target[i]) * (w[i] - target[i]);
    return s;
  };
  for (const char* name : {"cobyla", "bobyqa", "sbplx", "esch"}) {
    CAPTURE(name);
    peft::SearchOptions o;
    o.optimizer = peft::parse_lorahub_optimizer(name);
    o.budget = std::string(name) == "esch" ? 4000 : 400;
    const peft::SearchResult r = peft::search_weights(quadratic, 3, o);
    CHECK(r.evaluations <= o.budget);
    CHECK(r.value <= quadratic({0, 0, 0}));
    const double tolerance = std::string(name) == "esch" ? 0.1 : 1e-3;
    CHECK(std::abs(r.weights[0] - 0.4) <= tolerance);
    CHECK(std::abs(r.weights[1] + 0.8) <= tolerance);
    CHECK(std::abs(r.weights[2] - 1.5) <= tolerance);
  }
  int calls = 0;
  test::check_error(
      [&] {
        peft::search_weights(
            [&](const std::vector<double>&) -> double {
              if (++calls == 3) throw Error("objective broke at call 3");
              return 1.0;
            },
            2, {});
      },
      {"objective broke at call 3"});
  CHECK(calls == 3);
}

TEST_CASE("lorahub: the few-shot draw is seeded, distinct and shared with --train-limit") {
  data::GlueSplit split;
  split.path = "train.tsv";
  for (int i = 0; i < 50; ++i) {
    data::GlueExample e;
    e.text_a = std::to_string(i);
    e.label = i % 2;
    split.examples.push_back(e);
  }
  const auto a = train::few_shot_indices(split, 16, 7, "--shots");
  CHECK(a == train::few_shot_indices(split, 16, 7, "--shots"));
  CHECK(a != train::few_shot_indices(split, 16, 8, "--shots"));
  CHECK(std::set<int64_t>(a.begin(), a.end()).size() == 16);
  // A larger k extends a smaller one: k = 8 and k = 16 share their first 8 examples.
  const auto b = train::few_shot_indices(split, 8, 7, "--shots");
  CHECK(std::equal(b.begin(), b.end(), a.begin()));
  const data::GlueSplit subset = train::few_shot_subset(split, 16, 7, "--train-limit");
  REQUIRE(subset.examples.size() == 16);
  for (size_t i = 0; i < 16; ++i) CHECK(subset.examples[i].text_a == split.examples[a[i]].text_a);
  test::check_error([&] { train::few_shot_indices(split, 51, 7, "--shots"); },
                    {"--shots", "51", "train.tsv", "has 50"});
}

TEST_CASE("lorahub: bad inputs are errors naming the module, the tensor and both values") {
  test::TempDir tmp;
  const std::string a = tmp.file("a"), b = tmp.file("b");
  make_module(a, 1);
  SUBCASE("an empty module list") {
    test::check_error([] { peft::check_same_architecture({}); }, {"--modules", "empty", "--baseline base"});
  }
  SUBCASE("another rank") {
    make_module(b, 2, module_config(2));
    test::check_error([&] { peft::check_same_architecture({peft::read_lora_module(a), peft::read_lora_module(b)}); },
                      {b, "differs from", a, "in r", "2 vs 4"});
  }
  SUBCASE("another alpha") {
    make_module(b, 2, module_config(4, 16.0));
    test::check_error([&] { peft::check_same_architecture({peft::read_lora_module(a), peft::read_lora_module(b)}); },
                      {b, "lora_alpha", "16 vs 8"});
  }
  SUBCASE("other targets") {
    peft::PeftConfig c = module_config();
    c.target_modules = {"query", "key"};
    make_module(b, 2, c);
    test::check_error([&] { peft::check_same_architecture({peft::read_lora_module(a), peft::read_lora_module(b)}); },
                      {b, "target_modules", "[query, key] vs [query, value]"});
  }
  SUBCASE("a factor of another shape") {
    make_module(b, 2);
    const std::string file = b + "/adapter_model.safetensors";
    auto tensors = io::load_safetensors(file);
    const std::string name = "base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight";
    REQUIRE(tensors.count(name));
    tensors[name] = zeros({4, 32});
    io::save_safetensors(file, tensors, {{"format", "pt"}});
    test::check_error([&] { peft::check_same_architecture({peft::read_lora_module(a), peft::read_lora_module(b)}); },
                      {b, "the shape of bert.encoder.layer.1.attention.self.value.lora_A.weight", "[4, 32] vs [4, 64]"});
  }
  SUBCASE("another base model") {
    make_module(b, 2);
    json config = json::parse(std::ifstream(b + "/adapter_config.json"));
    config["base_model_name_or_path"] = "google-bert/bert-large-uncased";
    std::ofstream(b + "/adapter_config.json") << config.dump(2);
    test::check_error([&] { peft::check_same_architecture({peft::read_lora_module(a), peft::read_lora_module(b)}); },
                      {b, "base model", "google-bert/bert-large-uncased"});
  }
  SUBCASE("modules that agree with each other but not with the model") {
    auto wide = nn::load_bert_for_classification(kTinyBert, kLabels);
    auto modules = std::vector<peft::LoraModule>{peft::read_lora_module(a)};
    for (auto& [name, t] : modules[0].factors)
      t = name.find("lora_A") != std::string::npos ? zeros({4, 48}) : zeros({48, 4});
    test::check_error([&] { peft::LoraComposer(*wide, modules, peft::CompositionMode::lorahub); },
                      {a, "has shape [", "48", "the model's layer needs"});
  }
  SUBCASE("a module of another family") {
    peft::PeftConfig c;
    c.method = "c3a";
    c.c3a_block_size = 16;
    auto model = nn::load_bert_for_classification(kTinyBert, kLabels);
    peft::apply_peft(*model, c, {"classifier."});
    peft::save_adapter(*model, c, b, kTinyBert);
    test::check_error([&] { peft::read_lora_module(b); }, {b, "c3a adapter", "LoRA modules"});
  }
  SUBCASE("a directory that is not an adapter") {
    test::check_error([&] { peft::read_lora_module(tmp.file("nowhere")); }, {"nowhere", "not a directory"});
  }
  SUBCASE("wrong numbers of weights, targets and shots") {
    auto model = nn::load_bert_for_classification(kTinyBert, kLabels);
    peft::LoraComposer composer(*model, {peft::read_lora_module(a)}, peft::CompositionMode::lorahub);
    test::check_error([&] { composer.set_weights({0.1, 0.2}); }, {"2 weights for 1 modules"});
    test::check_error([&] { peft::LorahubObjective(*model, &composer, random_batches({3}, 1), class_targets({0, 1}), {}, 0.05); },
                      {"3 encoded examples for 2 targets"});
    test::check_error([&] { peft::LorahubObjective(*model, &composer, random_batches({1}, 1), class_targets({0}), {}, 0.05); },
                      {"--shots", "at least 2"});
    test::check_error([&] { peft::LorahubObjective(*model, &composer, random_batches({2}, 1), class_targets({0, 3}), {}, 0.05); },
                      {"class id 3", "[0, 3)"});
    test::check_error([&] { peft::LorahubObjective(*model, &composer, random_batches({2}, 1), class_targets({0, 1}), {}, -1); },
                      {"--alpha"});
    test::check_error([&] { peft::LorahubObjective(*model, &composer, random_batches({2}, 1), class_targets({0, 1}), {.lambda = 0}, 0.05); },
                      {"--ridge-lambda"});
    test::check_error([] { peft::parse_lorahub_optimizer("cma"); }, {"--optimizer", "cobyla", "esch", "'cma'"});
    test::check_error([] { peft::parse_composition_mode("svd"); }, {"--mode", "lorahub or linear", "'svd'"});
    peft::SearchOptions o;
    o.budget = 0;
    test::check_error([&] { peft::search_weights([](const std::vector<double>&) { return 0.0; }, 2, o); }, {"--budget"});
  }
}

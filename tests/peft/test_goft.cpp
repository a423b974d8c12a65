// GOFT and qGOFT on the tiny HF BERT fixture (hidden 64): identity at step 0, names and counts,
// merge / unmerge / the inverse rule, exact orthogonality of GOFT, the soft-orthogonality
// regulariser, float64 gradchecks through the adapters, and a few AdamW steps that learn.
#include <algorithm>

#include "tinytune/core/io/safetensors.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/peft/goft.h"
#include "tinytune/peft/peft.h"
#include "tests/test_util.h"
#include "tinytune/train/adamw.h"

using namespace tt;
using Inputs = std::vector<Tensor>;

static const std::string kTinyBert = std::string(TINYTUNE_FIXTURE_DIR) + "/tiny_bert";

static nn::BertInputs fixture_inputs() {
  auto e = io::load_safetensors(std::string(TINYTUNE_FIXTURE_DIR) + "/tiny_bert_expected.safetensors");
  return {e["input_ids"], e["token_type_ids"], e["attention_mask"]};
}

// Moves every adapter away from the identity: random angles (GOFT), identity + noise (qGOFT).
static void randomise_adapters(nn::Module& model, uint64_t seed) {
  Generator gen(seed);
  for (auto& [name, p] : model.named_parameters()) {
    if (name.find(".givens_hard") != std::string::npos)
      copy_into(p, uniform(p.shape(), -1.0, 1.0, p.dtype(), gen));
    if (name.find(".givens_soft") != std::string::npos)
      copy_into(p, add(p.detach(), uniform(p.shape(), -0.3, 0.3, p.dtype(), gen)));
  }
}

static Tensor identity_matrix(int64_t d, DType dtype) {
  Tensor eye = zeros({d, d}, dtype);
  for (int64_t i = 0; i < d; ++i) eye.set(i * d + i, 1.0);
  return eye;
}

static double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_vector<double>()) m = std::max(m, std::abs(v));
  return m;
}

TEST_CASE("goft/qgoft: the adapted model equals the base model at step 0, bit for bit") {
  for (const char* method : {"goft", "qgoft"}) {
    CAPTURE(method);
    auto model = nn::load_bert_for_classification(kTinyBert, 3);
    model->eval();
    NoGradGuard no_grad;
    Tensor before = model->forward(fixture_inputs());
    auto adapted = peft::apply_peft(*model, peft::PeftConfig{.method = method}, {"classifier."});
    CHECK(adapted.size() == 4);  // 2 layers x {query, value}
    CHECK(peft::adapters_of(*model).front().second->family() == method);
    CHECK(model->forward(fixture_inputs()).to_vector<float>() == before.to_vector<float>());
  }
  const auto& families = peft::peft_families();
  CHECK(std::find(families.begin(), families.end(), "goft") != families.end());
  CHECK(std::find(families.begin(), families.end(), "qgoft") != families.end());
}

TEST_CASE("goft/qgoft: names, d_in - 1 and 4 (d_in - 1) parameters per layer, frozen base") {
  const int64_t d_in = 64, layers = 4, head = 64 * 3 + 3;
  struct Case {
    const char* method;
    const char* name;
    Shape shape;
    int64_t per_layer;
  };
  for (const Case& c : {Case{"goft", "givens_hard", {d_in - 1}, d_in - 1},
                        Case{"qgoft", "givens_soft", {d_in - 1, 2, 2}, 4 * (d_in - 1)}}) {
    CAPTURE(c.method);
    auto model = nn::load_bert_for_classification(kTinyBert, 3);
    const int64_t total_before = model->num_parameters();
    peft::apply_peft(*model, peft::PeftConfig{.method = c.method}, {"classifier."});
    auto params = model->state_dict();
    const std::string q = "bert.encoder.layer.0.attention.self.query.";
    REQUIRE(params.count(q + c.name));
    CHECK(params.count(std::string("bert.encoder.layer.1.attention.self.value.") + c.name));
    CHECK(params.at(q + c.name).shape() == c.shape);
    CHECK(peft::adapter_parameter_count(*model) == layers * c.per_layer);
    CHECK(model->num_parameters() == total_before + layers * c.per_layer);
    CHECK(model->num_trainable_parameters() == layers * c.per_layer + head);
    CHECK(!params.at(q + "weight").requires_grad());
    CHECK(params.at(q + c.name).requires_grad());
    CHECK(params.at("classifier.weight").requires_grad());
  }
  // docs/families.md's BERT-base q+v counts: 24·767 and 24·4·767.
  CHECK(24 * (768 - 1) == 18408);
  CHECK(24 * 4 * (768 - 1) == 73632);
}

TEST_CASE("goft/qgoft: a backward step reaches the adapters and the head only") {
  for (const char* method : {"goft", "qgoft"}) {
    CAPTURE(method);
    auto model = nn::load_bert_for_classification(kTinyBert, 3);
    peft::apply_peft(*model, peft::PeftConfig{.method = method}, {"classifier."});
    model->train();
    Tensor loss = cross_entropy(model->forward(fixture_inputs()), from_vector(std::vector<int64_t>{0, 2, 1}, {3}));
    loss.backward();
    for (auto& [name, p] : model->named_parameters()) {
      CAPTURE(name);
      CHECK(p.grad().defined() == p.requires_grad());
      // At the identity the adapters' gradients are not zero (unlike LoRA's A): rotations move y.
      if (name.find(".givens_") != std::string::npos) CHECK(max_abs(p.grad()) > 0.0);
    }
  }
}

TEST_CASE("goft/qgoft: merge gives the adapted outputs, the inverse rule and unmerge give W0 back") {
  for (const char* method : {"goft", "qgoft"}) {
    CAPTURE(method);
    auto model = nn::load_bert_for_classification(kTinyBert, 3);
    peft::apply_peft(*model, peft::PeftConfig{.method = method}, {"classifier."});
    randomise_adapters(*model, 11);
    model->eval();
    NoGradGuard no_grad;
    const std::string w_name = "bert.encoder.layer.1.attention.self.value.weight";
    const auto w0 = model->state_dict().at(w_name).to_vector<float>();
    Tensor adapted = model->forward(fixture_inputs());
    peft::merge_adapters(*model);
    CHECK(test::max_relative_error(model->forward(fixture_inputs()), adapted) <= 1e-5);
    CHECK(model->state_dict().at(w_name).to_vector<float>() != w0);
    for (auto& [name, adapter] : peft::adapters_of(*model)) {
      CAPTURE(name);
      Tensor recovered = adapter->unmerged_weight(model->state_dict().at(name + ".weight"));
      CHECK(test::max_relative_error(recovered, adapter->kept_weight) <= 1e-5);
    }
    peft::unmerge_adapters(*model);
    CHECK(model->state_dict().at(w_name).to_vector<float>() == w0);
    CHECK(test::max_relative_error(model->forward(fixture_inputs()), adapted) == 0.0);
  }
}

TEST_CASE("goft/qgoft: merged_weight is W0 R^T with R from the op on the identity") {
  for (bool quasi : {false, true}) {
    CAPTURE(quasi);
    nn::Linear base(13, 7);
    Generator gen(5);
    base.weight = base.weight.to(DType::f64).detach();
    base.bias = uniform({7}, -1, 1, DType::f64, gen);
    std::shared_ptr<peft::GivensAdapter> adapter;
    if (quasi) {
      auto q = std::make_shared<peft::QgoftAdapter>(base);
      q->givens_soft = uniform({12, 2, 2}, -1, 1, DType::f64, gen);
      adapter = q;
    } else {
      auto g = std::make_shared<peft::GoftAdapter>(base);
      g->givens_hard = uniform({12}, -1, 1, DType::f64, gen);
      adapter = g;
    }
    NoGradGuard no_grad;
    Tensor r = givens_rotate(identity_matrix(13, DType::f64), adapter->blocks());  // rows of I R
    Tensor expected = matmul(base.weight, r.transpose(0, 1));
    CHECK(max_abs(sub(adapter->merged_weight(base), expected)) <= 1e-13);
    // And the adapted forward is x (W0 Rᵀ)ᵀ + b.
    Tensor x = uniform({4, 13}, -1, 1, DType::f64, gen);
    CHECK(max_abs(sub(adapter->forward(base, x), add(matmul(x, expected.transpose(0, 1)), base.bias))) <= 1e-13);
  }
}

TEST_CASE("goft: R is orthogonal after random angles, |R^T R - I| <= 1e-6 in float32") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  peft::apply_peft(*model, peft::PeftConfig{.method = "goft"}, {"classifier."});
  randomise_adapters(*model, 3);
  NoGradGuard no_grad;
  for (auto& [name, adapter] : peft::adapters_of(*model)) {
    CAPTURE(name);
    auto* goft = dynamic_cast<peft::GoftAdapter*>(adapter);
    REQUIRE(goft);
    Tensor blocks = goft->blocks();
    CHECK(blocks.dtype() == DType::f32);
    Tensor r = givens_rotate(identity_matrix(64, DType::f32), blocks);
    CHECK(max_abs(sub(matmul(r.transpose(0, 1), r), identity_matrix(64, DType::f32))) <= 1e-6);
    CHECK(max_abs(sub(r, identity_matrix(64, DType::f32))) > 0.1);  // the angles did move R
  }
}

TEST_CASE("goft/qgoft: float64 gradient checks through the adapters and of the regulariser") {
  nn::Linear base(6, 5);
  base.weight = base.weight.to(DType::f64).detach();
  base.bias = test::leaf({5}, 3).detach();
  peft::GoftAdapter goft(base);
  CHECK_GRADCHECK(
      [&](const Inputs& in) {
        goft.givens_hard = in[1];
        return goft.forward(base, in[0]);
      },
      {test::strided_leaf({4, 6}, 1), test::leaf({5}, 2)});
  peft::QgoftAdapter qgoft(base);
  CHECK_GRADCHECK(
      [&](const Inputs& in) {
        qgoft.givens_soft = in[1];
        return qgoft.forward(base, in[0]);
      },
      {test::strided_leaf({3, 2, 6}, 4), test::leaf({5, 2, 2}, 5, -1.5, 1.5)});
  CHECK_GRADCHECK(
      [&](const Inputs& in) {
        qgoft.givens_soft = in[0];
        return qgoft.regularization();
      },
      {test::leaf({5, 2, 2}, 6, -1.5, 1.5)});
}

TEST_CASE("qgoft: the regulariser is sum <alpha, beta>^2 over the blocks' columns: 0 for rotations, > 0 perturbed") {
  nn::Linear base(9, 4);
  base.weight = base.weight.to(DType::f64).detach();
  peft::QgoftAdapter adapter(base);
  CHECK(adapter.regularization().item() == 0.0);  // identity init
  Generator gen(2);
  adapter.givens_soft = givens_rotation_blocks(uniform({8}, -3, 3, DType::f64, gen));
  CHECK(std::abs(adapter.regularization().item()) <= 1e-15);
  // Scaled columns keep them orthogonal ("adjustable norm"): still 0.
  adapter.givens_soft = mul(adapter.givens_soft, 1.7);
  CHECK(std::abs(adapter.regularization().item()) <= 1e-15);
  // One perturbed block [[1, 0.5], [0.2, 1]]: <(1, 0.2), (0.5, 1)> = 0.7, squared 0.49.
  std::vector<double> values(32, 0.0);
  for (int k = 0; k < 8; ++k) values[4 * k] = values[4 * k + 3] = 1.0;
  values[4 * 3 + 1] = 0.5;
  values[4 * 3 + 2] = 0.2;
  adapter.givens_soft = from_vector(values, {8, 2, 2}, DType::f64);
  CHECK(adapter.regularization().item() == doctest::Approx(0.49).epsilon(1e-14));
  // peft_regularization sums over layers: zero on a fresh model, positive once perturbed.
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  peft::apply_peft(*model, peft::PeftConfig{.method = "qgoft"}, {"classifier."});
  CHECK(peft::peft_regularization(*model).item() == 0.0);
  randomise_adapters(*model, 4);
  CHECK(peft::peft_regularization(*model).item() > 0.0);
}

TEST_CASE("goft/qgoft: a singular qGOFT block, a layer without pairs and an unknown family are clear errors") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  peft::apply_peft(*model, peft::PeftConfig{.method = "qgoft"}, {"classifier."});
  auto [name, adapter] = peft::adapters_of(*model).front();
  auto* q = dynamic_cast<peft::QgoftAdapter*>(adapter);
  REQUIRE(q);
  NoGradGuard no_grad;
  std::vector<float> values = q->givens_soft.to_vector<float>();
  const std::vector<float> singular{2.0f, 1.0f, 4.0f, 2.0f};  // det 2·2 − 1·4 = 0
  std::copy(singular.begin(), singular.end(), values.begin() + 4 * 5);
  copy_into(q->givens_soft, from_vector(values, q->givens_soft.shape()));
  Tensor w = model->state_dict().at(name + ".weight");
  test::check_error([&] { q->unmerged_weight(w); }, {"qgoft", name, "block 5", "singular"});
  nn::Linear narrow(1, 3);
  test::check_error([&] { peft::GoftAdapter a(narrow); }, {"goft", "in_features = 1"});
  test::check_error([&] { peft::QgoftAdapter a(narrow); }, {"qgoft", "in_features = 1"});
}

TEST_CASE("qgoft: a few AdamW steps on the tiny model with the lambda-weighted regulariser reduce the loss") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  peft::apply_peft(*model, peft::PeftConfig{.method = "qgoft"}, {"classifier."});
  model->eval();  // dropout off: the loss curve is deterministic
  std::vector<Tensor> trainable;
  for (auto& [name, p] : model->named_parameters())
    if (p.requires_grad()) trainable.push_back(p);
  train::AdamW optimizer({{trainable, 0.0}}, {.lr = 1e-2});
  const Tensor labels = from_vector(std::vector<int64_t>{0, 2, 1}, {3});
  const double lambda = 0.01;
  auto loss_now = [&] {
    Tensor task = cross_entropy(model->forward(fixture_inputs()), labels);
    Tensor reg = peft::peft_regularization(*model);
    REQUIRE(reg.defined());
    return add(task, mul(reg, lambda));
  };
  double first = 0, last = 0;
  for (int step = 0; step < 8; ++step) {
    optimizer.zero_grad();
    Tensor loss = loss_now();
    if (step == 0) first = loss.item();
    loss.backward();
    optimizer.step();
  }
  {
    NoGradGuard no_grad;
    last = loss_now().item();
  }
  INFO("loss ", first, " -> ", last);
  CHECK(last < first);
  CHECK(std::isfinite(last));
  // The blocks moved off the identity (the adapters learned, not only the head).
  auto params = model->state_dict();
  Tensor soft = params.at("bert.encoder.layer.0.attention.self.query.givens_soft");
  std::vector<double> identity(soft.numel(), 0.0);
  for (int64_t k = 0; k < soft.size(0); ++k) identity[4 * k] = identity[4 * k + 3] = 1.0;
  CHECK(max_abs(sub(soft, from_vector(identity, soft.shape(), soft.dtype()))) > 1e-3);
}

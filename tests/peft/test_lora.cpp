// LoRA on the tiny HF BERT fixture: identity at step 0, HF PEFT's names and counts, freezing,
// gradients reaching only the adapters and the head, and bad arguments.
#include "tinytune/core/io/safetensors.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/peft/lora.h"
#include "tinytune/peft/peft.h"
#include "tests/test_util.h"

using namespace tt;

static const std::string kTinyBert = std::string(TINYTUNE_FIXTURE_DIR) + "/tiny_bert";

static nn::BertInputs fixture_inputs() {
  auto e = io::load_safetensors(std::string(TINYTUNE_FIXTURE_DIR) + "/tiny_bert_expected.safetensors");
  return {e["input_ids"], e["token_type_ids"], e["attention_mask"]};
}

TEST_CASE("lora: the adapted model equals the base model at step 0 (B = 0), bit for bit") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  model->eval();
  NoGradGuard no_grad;
  Tensor before = model->forward(fixture_inputs());
  auto adapted = peft::inject_lora(*model, {"query", "value"}, {8, 16.0, 0.1}, {"classifier."});
  CHECK(adapted.size() == 4);  // 2 layers x {query, value}
  Tensor after = model->forward(fixture_inputs());
  CHECK(after.to_vector<float>() == before.to_vector<float>());
}

TEST_CASE("lora: names, trainable count r(d_in + d_out) per layer, frozen base") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  const int64_t total_before = model->num_parameters();
  peft::inject_lora(*model, {"query", "value"}, {4, 8.0, 0.0}, {"classifier."});
  auto params = model->state_dict();
  CHECK(params.count("bert.encoder.layer.0.attention.self.query.lora_A.weight"));
  CHECK(params.count("bert.encoder.layer.1.attention.self.value.lora_B.weight"));
  CHECK(params.at("bert.encoder.layer.0.attention.self.query.lora_A.weight").shape() == Shape{4, 64});
  CHECK(params.at("bert.encoder.layer.0.attention.self.query.lora_B.weight").shape() == Shape{64, 4});
  const int64_t lora = 4 * 4 * (64 + 64), head = 64 * 3 + 3;
  CHECK(model->num_parameters() == total_before + lora);
  CHECK(model->num_trainable_parameters() == lora + head);
  CHECK(!params.at("bert.encoder.layer.0.attention.self.query.weight").requires_grad());
  CHECK(params.at("classifier.weight").requires_grad());
}

TEST_CASE("lora: a backward step reaches the adapters and the head only") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  peft::inject_lora(*model, {"value"}, {2, 4.0, 0.0}, {"classifier."});
  model->train();
  Tensor loss = cross_entropy(model->forward(fixture_inputs()),
                              from_vector(std::vector<int64_t>{0, 2, 1}, {3}));
  loss.backward();
  for (auto& [name, p] : model->named_parameters()) {
    CAPTURE(name);
    CHECK(p.grad().defined() == p.requires_grad());
  }
  // With B = 0, dL/dA = 0 and dL/dB != 0 at step 0.
  auto params = model->state_dict();
  CHECK(sum(mul(params.at("bert.encoder.layer.0.attention.self.value.lora_A.weight").grad(),
                params.at("bert.encoder.layer.0.attention.self.value.lora_A.weight").grad())).item() == 0.0);
  CHECK(sum(mul(params.at("bert.encoder.layer.0.attention.self.value.lora_B.weight").grad(),
                params.at("bert.encoder.layer.0.attention.self.value.lora_B.weight").grad())).item() > 0.0);
}

TEST_CASE("lora: an unknown target module and a rank above min(d_in, d_out) are clear errors") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  CHECK_THROWS_WITH_AS(peft::inject_lora(*model, {"querry"}, {}, {}),
                       doctest::Contains("'querry' matches no Linear"), Error);
  auto fresh = nn::load_bert_for_classification(kTinyBert, 3);
  CHECK_THROWS_WITH_AS(peft::inject_lora(*fresh, {"query"}, {65, 16.0, 0.0}, {}),
                       doctest::Contains("rank 65"), Error);
}

TEST_CASE("lora: init b (A = 0, B random) and gaussian are identities at step 0, rsLoRA scales by alpha/sqrt(r)") {
  for (const char* init : {"b", "gaussian"}) {
    CAPTURE(init);
    auto model = nn::load_bert_for_classification(kTinyBert, 3);
    model->eval();
    NoGradGuard no_grad;
    Tensor before = model->forward(fixture_inputs());
    peft::PeftConfig c{.lora_r = 4, .lora_init = init};
    peft::apply_peft(*model, c, {"classifier."});
    CHECK(model->forward(fixture_inputs()).to_vector<float>() == before.to_vector<float>());
    auto params = model->state_dict();
    Tensor a = params.at("bert.encoder.layer.0.attention.self.query.lora_A.weight");
    Tensor b = params.at("bert.encoder.layer.0.attention.self.query.lora_B.weight");
    const double a_norm = sum(mul(a, a)).item(), b_norm = sum(mul(b, b)).item();
    if (std::string(init) == "b") {
      CHECK(a_norm == 0.0);
      CHECK(b_norm > 0.0);
      auto values = b.to_vector<double>();  // U(±1/sqrt(r))
      for (double v : values) CHECK(std::abs(v) <= 1.0 / std::sqrt(4.0));
    } else {
      CHECK(b_norm == 0.0);
      // N(0, (1/r)²) over 4 x 64 draws: the sample std is within 20% of 1/r = 0.25.
      CHECK(std::sqrt(a_norm / a.numel()) == doctest::Approx(0.25).epsilon(0.2));
    }
  }
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  auto adapted = peft::inject_lora(*model, {"query"}, {.r = 4, .alpha = 8.0, .rslora = true}, {});
  auto* adapter = peft::adapters_of(*model).front().second;
  CHECK(dynamic_cast<peft::LoraAdapter*>(adapter)->scaling == doctest::Approx(8.0 / 2.0));
}

TEST_CASE("lora: merge gives the adapted outputs, unmerge restores W0 bit for bit") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  // Init b makes B random and A = 0; A is randomised below so that ΔW is not zero.
  peft::PeftConfig c{.lora_r = 4, .lora_init = "b"};
  peft::apply_peft(*model, c, {"classifier."});
  Generator gen(7);
  for (auto& [name, p] : model->named_parameters())
    if (name.find(".lora_A.") != std::string::npos) copy_into(p, uniform(p.shape(), -0.5, 0.5, p.dtype(), gen));
  model->eval();
  NoGradGuard no_grad;
  const auto w0 = model->state_dict().at("bert.encoder.layer.1.attention.self.value.weight").to_vector<float>();
  Tensor adapted = model->forward(fixture_inputs());
  peft::merge_adapters(*model);
  Tensor merged = model->forward(fixture_inputs());
  CHECK(test::max_relative_error(merged, adapted) <= 1e-5);
  CHECK(model->state_dict().at("bert.encoder.layer.1.attention.self.value.weight").to_vector<float>() != w0);
  // The inverse rule (W - s·BA) recovers W0 to f32 rounding; the kept copy restores it exactly.
  for (auto& [name, adapter] : peft::adapters_of(*model)) {
    Tensor recovered = adapter->unmerged_weight(model->state_dict().at(name + ".weight"));
    CHECK(test::max_relative_error(recovered, adapter->kept_weight) <= 1e-5);
  }
  peft::unmerge_adapters(*model);
  CHECK(model->state_dict().at("bert.encoder.layer.1.attention.self.value.weight").to_vector<float>() == w0);
  CHECK(test::max_relative_error(model->forward(fixture_inputs()), adapted) == 0.0);
}

TEST_CASE("lora: float64 gradient check through the adapter (A and B random, dropout off)") {
  nn::Linear base(6, 5);
  base.weight = base.weight.to(DType::f64).detach();
  base.bias = test::leaf({5}, 3).detach();
  peft::LoraAdapter adapter(base, {.r = 2, .alpha = 3.0, .dropout = 0.0});
  auto fn = [&](const std::vector<Tensor>& in) {
    adapter.lora_A = in[1];
    adapter.lora_B = in[2];
    return adapter.forward(base, in[0]);
  };
  CHECK_GRADCHECK(fn, {test::strided_leaf({4, 6}, 1), test::leaf({2, 6}, 2), test::leaf({5, 2}, 4)});
}

// LoRA on the tiny HF BERT fixture: identity at step 0, HF PEFT's names and counts, freezing,
// gradients reaching only the adapters and the head, and bad arguments.
#include "core/io/safetensors.h"
#include "nn/hf_checkpoint.h"
#include "peft/lora.h"
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

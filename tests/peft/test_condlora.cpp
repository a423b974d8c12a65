// CondLoRA on the tiny HF BERT fixture (2 layers, hidden 64): identity at step 0, one shared
// pair per module type listed once, the parameter count of docs/families.md §2.1, float64 gradients
// through Θ (shared by two layers), merge/unmerge, the rectangular-layer error, and the exact
// export as an HF LoRA adapter.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tinytune/core/io/safetensors.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/peft/adapter_io.h"
#include "tinytune/peft/condlora.h"
#include "tests/test_util.h"

using namespace tt;

namespace {

const std::string kTinyBert = std::string(TINYTUNE_FIXTURE_DIR) + "/tiny_bert";

nn::BertInputs fixture_inputs() {
  auto e = io::load_safetensors(std::string(TINYTUNE_FIXTURE_DIR) + "/tiny_bert_expected.safetensors");
  return {e["input_ids"], e["token_type_ids"], e["attention_mask"]};
}

peft::PeftConfig condlora_config(int64_t r = 4) {
  peft::PeftConfig c;
  c.method = "condlora";
  c.lora_r = r;
  c.lora_alpha = 8.0;
  c.lora_dropout = 0.0;
  return c;
}

// Θ_B = 0 at init makes ΔW = 0; give both factors random values so the tests see ΔW.
void randomize_thetas(nn::Module& model, uint64_t seed) {
  Generator gen(seed);
  NoGradGuard no_grad;
  for (auto& [name, p] : model.named_parameters())
    if (name.find(".condlora_theta_") != std::string::npos)
      copy_into(p, uniform(p.shape(), -0.3, 0.3, p.dtype(), gen));
}

}  // namespace

TEST_CASE("condlora: the adapted model equals the base model at step 0 (Θ_B = 0), bit for bit") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  model->eval();
  NoGradGuard no_grad;
  Tensor before = model->forward(fixture_inputs());
  auto adapted = peft::apply_peft(*model, condlora_config(), {"classifier."});
  CHECK(adapted.size() == 4);
  CHECK(model->forward(fixture_inputs()).to_vector<float>() == before.to_vector<float>());
  auto params = model->state_dict();
  Tensor theta_a = params.at("bert.encoder.layer.0.attention.self.query.condlora_theta_A.weight");
  Tensor theta_b = params.at("bert.encoder.layer.0.attention.self.query.condlora_theta_B.weight");
  CHECK(sum(mul(theta_b, theta_b)).item() == 0.0);
  CHECK(sum(mul(theta_a, theta_a)).item() > 0.0);
  for (float v : theta_a.to_vector<float>()) CHECK(std::abs(v) <= 1.0 / std::sqrt(64.0));  // U(±1/sqrt(d_in))
}

TEST_CASE("condlora: one Θ pair per module type, listed once, count 2·r·d·k independent of depth") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  const int64_t total_before = model->num_parameters();
  const int64_t r = 4, d = 64, k = 2, layers = 2;
  peft::apply_peft(*model, condlora_config(r), {"classifier."});

  // Exactly one registered copy of each Θ, owned by the first layer of its type.
  std::vector<std::string> theta_names;
  for (auto& [name, p] : model->named_parameters())
    if (name.find("condlora_theta") != std::string::npos) theta_names.push_back(name);
  CHECK(theta_names == std::vector<std::string>{
                           "bert.encoder.layer.0.attention.self.query.condlora_theta_A.weight",
                           "bert.encoder.layer.0.attention.self.query.condlora_theta_B.weight",
                           "bert.encoder.layer.0.attention.self.value.condlora_theta_A.weight",
                           "bert.encoder.layer.0.attention.self.value.condlora_theta_B.weight"});

  // docs/families.md §2.1: (d1·r + d2·r)·k, vs LoRA's r(d_in + d_out) per layer.
  const int64_t expected = (d * r + d * r) * k;
  CHECK(expected == 1024);
  CHECK(peft::adapter_parameter_count(*model) == expected);
  CHECK(model->num_parameters() == total_before + expected);
  CHECK(model->num_trainable_parameters() == expected + 64 * 3 + 3);
  const int64_t lora_count = r * (d + d) * k * layers;
  CHECK(lora_count == expected * layers);  // CondLoRA saves a factor of the depth

  // Layer 1's adapters hold layer 0's tensors (the same storage), as shared_parameters().
  auto adapters = peft::adapters_of(*model);
  REQUIRE(adapters.size() == 4);
  std::map<std::string, peft::CondLoraAdapter*> by_name;
  for (auto& [name, a] : adapters) by_name[name] = dynamic_cast<peft::CondLoraAdapter*>(a);
  auto* q0 = by_name.at("bert.encoder.layer.0.attention.self.query");
  auto* q1 = by_name.at("bert.encoder.layer.1.attention.self.query");
  auto* v1 = by_name.at("bert.encoder.layer.1.attention.self.value");
  CHECK(q0->owns_theta);
  CHECK(!q1->owns_theta);
  CHECK(q0->shared_parameters().empty());
  REQUIRE(q1->shared_parameters().size() == 2);
  CHECK(q1->shared_parameters()[0].impl_ptr() == q0->theta_A.impl_ptr());
  CHECK(q1->shared_parameters()[1].impl_ptr() == q0->theta_B.impl_ptr());
  CHECK(v1->theta_A.impl_ptr() != q0->theta_A.impl_ptr());
  CHECK(q1->parameters().empty());
  CHECK(q0->theta_A.requires_grad());
  CHECK(!model->state_dict().at("bert.encoder.layer.1.attention.self.query.weight").requires_grad());
}

TEST_CASE("condlora: a backward step reaches Θ from every layer of its type, and nothing frozen") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  peft::apply_peft(*model, condlora_config(), {"classifier."});
  randomize_thetas(*model, 5);
  model->eval();
  Tensor loss = cross_entropy(model->forward(fixture_inputs()), from_vector(std::vector<int64_t>{0, 2, 1}, {3}));
  loss.backward();
  for (auto& [name, p] : model->named_parameters()) {
    CAPTURE(name);
    CHECK(p.grad().defined() == p.requires_grad());
  }
  // dL/dΘ is the sum of both layers' contributions: recompute it with layer 1's adapter off the
  // graph (Θ detached there) and check the difference is layer 1's share, not zero.
  auto params = model->state_dict();
  Tensor theta_b = params.at("bert.encoder.layer.0.attention.self.query.condlora_theta_B.weight");
  const std::vector<double> both = theta_b.grad().to_vector<double>();
  model->zero_grad();
  auto* q1 = dynamic_cast<peft::CondLoraAdapter*>(peft::adapters_of(*model)[2].second);
  REQUIRE(q1 != nullptr);
  REQUIRE(!q1->owns_theta);
  const Tensor shared_a = q1->theta_A, shared_b = q1->theta_B;
  q1->theta_A = shared_a.detach();
  q1->theta_B = shared_b.detach();
  cross_entropy(model->forward(fixture_inputs()), from_vector(std::vector<int64_t>{0, 2, 1}, {3})).backward();
  q1->theta_A = shared_a;
  q1->theta_B = shared_b;
  const std::vector<double> layer0_only = theta_b.grad().to_vector<double>();
  double diff = 0, scale = 0;
  for (size_t i = 0; i < both.size(); ++i) {
    diff = std::max(diff, std::abs(both[i] - layer0_only[i]));
    scale = std::max(scale, std::abs(both[i]));
  }
  INFO("max |dL/dΘ_B| = ", scale, ", layer 1's share up to ", diff);
  CHECK(scale > 0);
  CHECK(diff > 0.01 * scale);
}

TEST_CASE("condlora: float64 gradient check through Θ_A, Θ_B shared by two stacked layers, and x") {
  // Two square layers of one type: y = L2(tanh(L1(x))), both adapted from the same Θ pair.
  nn::Linear l1(6, 6), l2(6, 6);
  for (nn::Linear* l : {&l1, &l2}) {
    l->weight = test::leaf({6, 6}, l == &l1 ? 1 : 2, -0.5, 0.5).detach();
    l->bias = test::leaf({6}, l == &l1 ? 3 : 4, -0.5, 0.5).detach();
  }
  Tensor theta_a = test::leaf({3, 6}, 5), theta_b = test::leaf({3, 6}, 6);
  Tensor x = test::strided_leaf({4, 6}, 7);
  const peft::CondLoraOptions options{.r = 3, .alpha = 6.0, .dropout = 0.0};
  auto a1 = std::make_shared<peft::CondLoraAdapter>(l1, options, theta_a, theta_b, false);
  auto a2 = std::make_shared<peft::CondLoraAdapter>(l2, options, theta_a, theta_b, false);
  CHECK(a1->scaling == 2.0);
  CHECK_GRADCHECK(
      [&](const std::vector<Tensor>& in) {
        a1->theta_A = a2->theta_A = in[0];
        a1->theta_B = a2->theta_B = in[1];
        return a2->forward(l2, tanh(a1->forward(l1, in[2])));
      },
      {theta_a, theta_b, x});
  // With rsLoRA the scale is alpha / sqrt(r).
  peft::CondLoraAdapter rs(l1, {.r = 4, .alpha = 6.0, .dropout = 0.0, .rslora = true},
                           test::leaf({4, 6}, 8), test::leaf({4, 6}, 9), false);
  CHECK(rs.scaling == doctest::Approx(3.0));
}

TEST_CASE("condlora: merge gives the adapted outputs (W0 + s·W0 Θ_Bᵀ Θ_A W0ᵀ), unmerge restores W0 exactly") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  peft::apply_peft(*model, condlora_config(), {"classifier."});
  randomize_thetas(*model, 9);
  model->eval();
  NoGradGuard no_grad;
  const std::string w_name = "bert.encoder.layer.1.attention.self.value.weight";
  const Tensor w0 = model->state_dict().at(w_name).clone();
  Tensor adapted = model->forward(fixture_inputs());
  Tensor before = [&] {  // the base model's logits, for contrast
    auto base = nn::load_bert_for_classification(kTinyBert, 3);
    base->eval();
    return base->forward(fixture_inputs());
  }();
  CHECK(test::max_relative_error(adapted, before) > 1e-3);

  peft::merge_adapters(*model);
  CHECK(test::max_relative_error(model->forward(fixture_inputs()), adapted) <= 1e-5);
  // The merged weight is the formula of docs/families.md §2.1, written out.
  auto* v1 = dynamic_cast<peft::CondLoraAdapter*>(peft::adapters_of(*model)[3].second);
  REQUIRE(v1 != nullptr);
  Tensor expected = add(w0, mul(matmul(matmul(matmul(w0, v1->theta_B.transpose(0, 1)), v1->theta_A),
                                       w0.transpose(0, 1)),
                                v1->scaling));
  CHECK(test::max_relative_error(model->state_dict().at(w_name), expected) <= 1e-6);
  // No inverse rule: ΔW depends on W0.
  CHECK(!v1->unmerged_weight(model->state_dict().at(w_name)).defined());

  peft::unmerge_adapters(*model);
  CHECK(model->state_dict().at(w_name).to_vector<float>() == w0.to_vector<float>());
  CHECK(model->forward(fixture_inputs()).to_vector<float>() == adapted.to_vector<float>());
}

TEST_CASE("condlora: a rectangular layer, a rank above d and a LoRA init are errors naming the layer or flag") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  peft::PeftConfig c = condlora_config();
  c.target_modules = {"query", "intermediate.dense"};  // 64 -> 128
  test::check_error([&] { peft::apply_peft(*model, c, {}); },
                    {"bert.encoder.layer.0.intermediate.dense", "128x64", "square"});
  auto fresh = nn::load_bert_for_classification(kTinyBert, 3);
  test::check_error([&] { peft::apply_peft(*fresh, condlora_config(65), {}); },
                    {"--lora-r", "65", "bert.encoder.layer.0.attention.self.query"});
  auto third = nn::load_bert_for_classification(kTinyBert, 3);
  peft::PeftConfig b = condlora_config();
  b.lora_init = "b";
  test::check_error([&] { peft::apply_peft(*third, b, {}); }, {"--lora-init", "CondLoRA"});
}

TEST_CASE("condlora: export as an HF LoRA adapter (lora_A = Θ_A W0ᵀ, lora_B = W0 Θ_Bᵀ) gives the same logits") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  const peft::PeftConfig c = condlora_config();
  peft::apply_peft(*model, c, {"classifier."});
  randomize_thetas(*model, 13);
  {  // a trained head, so the export must carry it
    Generator gen(14);
    NoGradGuard no_grad;
    Tensor head = model->state_dict().at("classifier.weight");
    copy_into(head, uniform(head.shape(), -0.5, 0.5, head.dtype(), gen));
  }
  model->eval();
  Tensor adapted;
  {
    NoGradGuard no_grad;
    adapted = model->forward(fixture_inputs());
  }
  test::TempDir tmp;
  const std::string dir = tmp.file("as_lora");
  peft::export_condlora_as_lora(*model, c, dir, kTinyBert);

  auto config = nlohmann::json::parse(std::ifstream(dir + "/adapter_config.json"));
  CHECK(config["peft_type"] == "LORA");
  CHECK(config["r"] == 4);
  CHECK(config["lora_alpha"] == 8);
  auto stored = io::load_safetensors(dir + "/adapter_model.safetensors");
  CHECK(stored.size() == 4 * 2 + 2);  // lora_A, lora_B per layer; classifier weight and bias
  CHECK(stored.at("base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight").shape() == Shape{4, 64});
  CHECK(stored.at("base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight").shape() == Shape{64, 4});

  auto fresh = nn::load_bert_for_classification(kTinyBert, 3);
  auto loaded = peft::load_adapter(*fresh, dir);
  CHECK(loaded.config.method == "lora");
  fresh->eval();
  NoGradGuard no_grad;
  CHECK(test::max_relative_error(fresh->forward(fixture_inputs()), adapted) <= 1e-5);
  // Merged in the exporting model, the export still uses the unmerged W0.
  peft::merge_adapters(*model);
  const std::string dir2 = tmp.file("as_lora_merged");
  peft::export_condlora_as_lora(*model, c, dir2, kTinyBert);
  auto stored2 = io::load_safetensors(dir2 + "/adapter_model.safetensors");
  for (auto& [name, t] : stored) CHECK(stored2.at(name).to_vector<float>() == t.to_vector<float>());
}

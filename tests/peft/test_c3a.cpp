// C3A on the tiny HF BERT fixture and on small layers: identity with zero kernels, the FFT path
// against the explicit block-circulant ΔW, merge/unmerge, float64 gradients, HF PEFT's names,
// counts and inits, bad block sizes, and agreement with HF PEFT's own C3A
// (tests/reference/make_c3a_fixture.py).
#include <algorithm>
#include <cmath>
#include <string>

#include "tinytune/core/io/safetensors.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/peft/c3a.h"
#include "tinytune/peft/peft.h"
#include "tests/test_util.h"

using namespace tt;

static const std::string kTinyBert = std::string(TINYTUNE_FIXTURE_DIR) + "/tiny_bert";

static nn::BertInputs c3a_fixture_inputs() {
  auto e = io::load_safetensors(std::string(TINYTUNE_FIXTURE_DIR) + "/tiny_bert_expected.safetensors");
  return {e["input_ids"], e["token_type_ids"], e["attention_mask"]};
}

// C_blk(w) / d_in written out entry by entry from the definition C(w)[p, q] = w[(q - p) mod b],
// independently of C3aAdapter::delta_weight.
static Tensor explicit_delta(const Tensor& kernel, int64_t d_out, int64_t d_in) {
  const int64_t b = kernel.size(2);
  Tensor delta = zeros({d_out, d_in}, DType::f64);
  for (int64_t i = 0; i < d_out / b; ++i)
    for (int64_t j = 0; j < d_in / b; ++j)
      for (int64_t p = 0; p < b; ++p)
        for (int64_t q = 0; q < b; ++q) {
          const int64_t k = ((q - p) % b + b) % b;
          delta.set((i * b + p) * d_in + j * b + q, kernel.get((i * (d_in / b) + j) * b + k) / d_in);
        }
  return delta;
}

static void randomize_kernels(nn::Module& model, double stddev, uint64_t seed) {
  Generator gen(seed);
  for (auto& [name, p] : model.named_parameters())
    if (name.find(".c3a_kernel") != std::string::npos)
      copy_into(p, normal(p.shape(), 0.0, stddev, p.dtype(), gen));
}

TEST_CASE("c3a: zero kernels leave the model equal to the base model, bit for bit") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  model->eval();
  NoGradGuard no_grad;
  Tensor before = model->forward(c3a_fixture_inputs());
  peft::PeftConfig c;
  c.method = "c3a";
  c.c3a_block_size = 16;
  c.c3a_init = "zeros";
  auto adapted = peft::apply_peft(*model, c, {"classifier."});
  CHECK(adapted.size() == 4);
  CHECK(model->forward(c3a_fixture_inputs()).to_vector<float>() == before.to_vector<float>());
}

TEST_CASE("c3a: the FFT forward equals x ΔWᵀ with the explicit block-circulant ΔW") {
  struct Case { int64_t d_in, d_out, b; };
  for (Case k : {Case{64, 64, 16}, Case{64, 64, 64}, Case{96, 48, 16}, Case{48, 96, 12},
                 Case{30, 60, 15}, Case{36, 24, 1}}) {
    CAPTURE(k.d_in);
    CAPTURE(k.d_out);
    CAPTURE(k.b);
    for (DType dtype : {DType::f64, DType::f32}) {
      nn::Linear base(k.d_in, k.d_out);
      base.weight = base.weight.to(dtype).detach();
      base.bias = base.bias.to(dtype).detach();
      peft::C3aAdapter adapter(base, {k.b, peft::C3aInit::gaussian});
      Generator gen(k.d_in + k.b);
      Tensor x = uniform({2, 5, k.d_in}, -1.0, 1.0, dtype, gen);
      Tensor reference = matmul(x.to(DType::f64), explicit_delta(adapter.c3a_kernel, k.d_out, k.d_in).transpose(0, 1));
      Tensor fft_path = adapter.delta_forward(x);
      REQUIRE(fft_path.shape() == Shape{2, 5, k.d_out});
      CHECK(test::max_relative_error(fft_path, reference) <= (dtype == DType::f64 ? 1e-12 : 1e-5));
      // delta_weight's direct fill is the same matrix
      CHECK(test::max_relative_error(adapter.delta_weight(DType::f64),
                                     explicit_delta(adapter.c3a_kernel, k.d_out, k.d_in)) <= 1e-15);
      // and forward = base + delta
      CHECK(test::max_relative_error(adapter.forward(base, x),
                                     add(base.base_forward(x), fft_path)) == 0.0);
    }
  }
}

TEST_CASE("c3a: merged forward equals the adapted forward, unmerge restores W0 bit for bit") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  peft::PeftConfig c;
  c.method = "c3a";
  c.c3a_block_size = 16;
  peft::apply_peft(*model, c, {"classifier."});
  randomize_kernels(*model, 1.0, 5);  // ΔW as large as W0, so merging visibly changes W
  model->eval();
  NoGradGuard no_grad;
  const std::string w_name = "bert.encoder.layer.1.attention.self.value.weight";
  const auto w0 = model->state_dict().at(w_name).to_vector<float>();
  Tensor adapted = model->forward(c3a_fixture_inputs());
  peft::merge_adapters(*model);
  CHECK(model->state_dict().at(w_name).to_vector<float>() != w0);
  CHECK(test::max_relative_error(model->forward(c3a_fixture_inputs()), adapted) <= 1e-5);
  for (auto& [name, adapter] : peft::adapters_of(*model)) {
    CAPTURE(name);
    CHECK(adapter->family() == "c3a");
    Tensor recovered = adapter->unmerged_weight(model->state_dict().at(name + ".weight"));
    CHECK(test::max_relative_error(recovered, adapter->kept_weight) <= 1e-6);
  }
  peft::unmerge_adapters(*model);
  CHECK(model->state_dict().at(w_name).to_vector<float>() == w0);
  CHECK(test::max_relative_error(model->forward(c3a_fixture_inputs()), adapted) == 0.0);
}

TEST_CASE("c3a: float64 gradient check through the adapter (random kernel and input)") {
  struct Case { int64_t d_in, d_out, b; };
  for (Case k : {Case{12, 8, 4}, Case{6, 12, 6}, Case{10, 5, 5}}) {
    CAPTURE(k.b);
    nn::Linear base(k.d_in, k.d_out);
    base.weight = test::leaf({k.d_out, k.d_in}, 7).detach();
    base.bias = test::leaf({k.d_out}, 8).detach();
    peft::C3aAdapter adapter(base, {k.b, peft::C3aInit::zeros});
    REQUIRE(adapter.c3a_kernel.dtype() == DType::f64);  // the kernel follows the model's dtype
    auto fn = [&](const std::vector<Tensor>& in) {
      adapter.c3a_kernel = in[1];
      return adapter.forward(base, in[0]);
    };
    CHECK_GRADCHECK(fn, {test::strided_leaf({3, k.d_in}, 1), test::leaf({k.d_out / k.b, k.d_in / k.b, k.b}, 2)});
    CHECK_GRADCHECK(fn, {test::leaf({2, 2, k.d_in}, 3), test::leaf({k.d_out / k.b, k.d_in / k.b, k.b}, 4)});
  }
}

TEST_CASE("c3a: HF PEFT's names and shapes, d_in d_out / b parameters per layer, frozen base") {
  for (int64_t b : {16, 64, 8}) {
    CAPTURE(b);
    auto model = nn::load_bert_for_classification(kTinyBert, 3);
    const int64_t total_before = model->num_parameters();
    peft::PeftConfig c;
    c.method = "c3a";
    c.c3a_block_size = b;
    c.target_modules = {"query", "value", "intermediate.dense"};  // 64x64, 64x64, 128x64
    auto adapted = peft::apply_peft(*model, c, {"classifier."});
    CHECK(adapted.size() == 6);
    auto params = model->state_dict();
    REQUIRE(params.count("bert.encoder.layer.0.attention.self.query.c3a_kernel"));
    CHECK(params.at("bert.encoder.layer.0.attention.self.query.c3a_kernel").shape() == Shape{64 / b, 64 / b, b});
    CHECK(params.at("bert.encoder.layer.1.intermediate.dense.c3a_kernel").shape() == Shape{128 / b, 64 / b, b});
    const int64_t per_layer_sum = 2 * (64 * 64 / b + 64 * 64 / b + 64 * 128 / b);  // 2 encoder layers
    int64_t formula = 0;
    for (auto& [name, adapter] : peft::adapters_of(*model)) {
      auto* c3a = dynamic_cast<peft::C3aAdapter*>(adapter);
      REQUIRE(c3a);
      formula += c3a->in_features * c3a->out_features / b;
    }
    CHECK(formula == per_layer_sum);
    CHECK(peft::adapter_parameter_count(*model) == per_layer_sum);
    CHECK(model->num_parameters() == total_before + per_layer_sum);
    CHECK(model->num_trainable_parameters() == per_layer_sum + 64 * 3 + 3);
    CHECK(!params.at("bert.encoder.layer.0.attention.self.query.weight").requires_grad());
    CHECK(params.at("bert.encoder.layer.0.attention.self.query.c3a_kernel").requires_grad());
    CHECK(params.at("classifier.weight").requires_grad());
  }
  CHECK(std::find(peft::peft_families().begin(), peft::peft_families().end(), "c3a") !=
        peft::peft_families().end());
}

TEST_CASE("c3a: inits follow HF (xavier_uniform of the whole layer, kaiming_uniform, gaussian)") {
  nn::Linear base(96, 48);
  auto stats = [](const Tensor& t) {
    std::vector<double> v = t.to_vector<double>();
    double max_abs = 0, sq = 0;
    for (double e : v) max_abs = std::max(max_abs, std::abs(e)), sq += e * e;
    return std::pair<double, double>{max_abs, std::sqrt(sq / v.size())};
  };
  // 48 x 96 / 4 = 1152 draws: the sample std is within 10% of the distribution's.
  const double xavier = std::sqrt(6.0 / (96 + 48)), kaiming = 1.0 / std::sqrt(96.0);
  auto [x_max, x_std] = stats(peft::C3aAdapter(base, {4, peft::C3aInit::xavier_uniform}).c3a_kernel);
  CHECK(x_max <= xavier);
  CHECK(x_max >= 0.9 * xavier);
  CHECK(x_std == doctest::Approx(xavier / std::sqrt(3.0)).epsilon(0.1));
  auto [k_max, k_std] = stats(peft::C3aAdapter(base, {4, peft::C3aInit::kaiming_uniform}).c3a_kernel);
  CHECK(k_max <= kaiming);
  CHECK(k_std == doctest::Approx(kaiming / std::sqrt(3.0)).epsilon(0.1));
  auto [g_max, g_std] = stats(peft::C3aAdapter(base, {4, peft::C3aInit::gaussian}).c3a_kernel);
  CHECK(g_std == doctest::Approx(1.0).epsilon(0.1));
  CHECK(g_max > 2.0);
  CHECK(stats(peft::C3aAdapter(base, {4, peft::C3aInit::zeros}).c3a_kernel).first == 0.0);
  CHECK(peft::parse_c3a_init("kaiming_uniform") == peft::C3aInit::kaiming_uniform);
}

TEST_CASE("c3a: a backward step reaches the kernels and the head only") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  peft::PeftConfig c;
  c.method = "c3a";
  c.c3a_block_size = 32;
  peft::apply_peft(*model, c, {"classifier."});
  model->eval();
  Tensor loss = cross_entropy(model->forward(c3a_fixture_inputs()),
                              from_vector(std::vector<int64_t>{0, 2, 1}, {3}));
  loss.backward();
  int kernels = 0;
  for (auto& [name, p] : model->named_parameters()) {
    CAPTURE(name);
    CHECK(p.grad().defined() == p.requires_grad());
    if (name.find(".c3a_kernel") != std::string::npos) {
      ++kernels;
      CHECK(sum(mul(p.grad(), p.grad())).item() > 0.0);
    }
  }
  CHECK(kernels == 4);
}

TEST_CASE("c3a: a block size that does not divide a layer, or that the FFT cannot take, is a clear error") {
  auto model = nn::load_bert_for_classification(kTinyBert, 3);
  peft::PeftConfig c;
  c.method = "c3a";
  c.c3a_block_size = 48;
  test::check_error([&] { peft::apply_peft(*model, c, {}); },
                    {"--c3a-block-size", "48", "bert.encoder.layer.0.attention.self.query", "64x64",
                     "d_in = 64"});
  c.c3a_block_size = 0;
  test::check_error([&] { peft::apply_peft(*model, c, {}); }, {"--c3a-block-size", "got 0"});
  c.c3a_block_size = 16;
  c.c3a_init = "xavier";
  test::check_error([&] { peft::apply_peft(*model, c, {}); }, {"--c3a-init", "'xavier'"});
  nn::Linear odd(14, 7);
  test::check_error([&] { peft::C3aAdapter(odd, {7, peft::C3aInit::zeros}, "odd"); },
                    {"--c3a-block-size", "7", "FFT", "layer 'odd'", "7x14"});
  nn::Linear rect(96, 48);
  test::check_error([&] { peft::C3aAdapter(rect, {32, peft::C3aInit::zeros}, "rect"); },
                    {"--c3a-block-size", "32", "layer 'rect'", "48x96", "d_out = 48", "d_in = 96"});
}

TEST_CASE("c3a: logits, loss and gradients match HF PEFT's C3A on the same kernels") {
  auto fx = io::load_safetensors(std::string(TINYTUNE_FIXTURE_DIR) + "/c3a_hf_tiny_bert.safetensors");
  const std::string hf_prefix = "base_model.model.";
  for (const std::string init : {"xavier_uniform", "gaussian"}) {
    CAPTURE(init);
    auto model = nn::load_bert_for_classification(kTinyBert, 3);
    peft::PeftConfig c;
    c.method = "c3a";
    c.c3a_block_size = 16;
    c.c3a_init = "zeros";
    peft::apply_peft(*model, c, {"classifier."});
    model->eval();
    auto params = model->state_dict();
    int loaded = 0;
    for (auto& [key, value] : fx) {
      if (key.rfind(init + "/" + hf_prefix, 0) != 0) continue;
      const std::string name = key.substr(init.size() + 1 + hf_prefix.size());
      REQUIRE_MESSAGE(params.count(name), name);
      copy_into(params.at(name), value);
      loaded += name.find(".c3a_kernel") != std::string::npos;
    }
    REQUIRE(loaded == 4);
    Tensor logits = model->forward(c3a_fixture_inputs());
    CHECK(test::max_relative_error(logits, fx.at(init + "/logits")) <= 1e-5);
    // The adapter's own contribution, which is small next to the logits: to f32 rounding.
    Tensor ours = sub(logits.detach(), fx.at("logits_base"));
    Tensor theirs = sub(fx.at(init + "/logits"), fx.at("logits_base"));
    CHECK(test::max_relative_error(ours, theirs) <= 3e-3);
    Tensor loss = cross_entropy(logits, fx.at("labels"));
    CHECK(loss.item() == doctest::Approx(fx.at(init + "/loss").item()).epsilon(1e-5));
    loss.backward();
    // grad_autograd: the exact gradient of HF's forward; grad: HF's custom backward, whose
    // input gradient is wrong (see the fixture script), so only the gradients it cannot reach
    // (the top layer's kernels and the classifier) are compared with it.
    int grads = 0, as_shipped = 0;
    for (auto& [key, value] : fx) {
      const std::string grad_prefix = init + "/grad_autograd." + hf_prefix;
      if (key.rfind(grad_prefix, 0) != 0) continue;
      const std::string name = key.substr(grad_prefix.size());
      CAPTURE(name);
      REQUIRE(params.at(name).grad().defined());
      CHECK(test::max_relative_error(params.at(name).grad(), value) <= 1e-5);
      ++grads;
      if (name.find("encoder.layer.0.") != std::string::npos) continue;
      CHECK(test::max_relative_error(params.at(name).grad(),
                                     fx.at(init + "/grad." + hf_prefix + name)) <= 1e-5);
      ++as_shipped;
    }
    CHECK(as_shipped == 4);  // layer 1's query and value kernels, classifier weight and bias
    CHECK(grads == 6);  // 4 kernels + classifier weight and bias
  }
}

// End to end against PyTorch: the tiny HF BERT fixture, its padded batch, cross-entropy loss
// (and, with a regression head, MSE), every parameter gradient, and 10 AdamW steps with
// clipping (fixtures written by tests/reference/make_tiny_bert_train.py; dropout off on both
// sides). Then the training-mode gradients, dropout on, against finite differences in f64.
#include <functional>

#include "tinytune/core/io/safetensors.h"
#include "tinytune/core/random.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/peft/peft.h"
#include "tests/peft/random_adapter.h"
#include "tests/test_util.h"
#include "tinytune/train/adamw.h"
#include "tinytune/train/clip_grad.h"

using namespace tt;
using tt::test::max_relative_error;

namespace {

bool is_key_bias(const std::string& name) {
  return name.find("attention.self.key.bias") != std::string::npos;
}

// Replays tests/reference/make_tiny_bert_train.py's 10 steps from `fixture` with `loss_of`
// (logits, labels) and checks the losses, the first gradients and the final parameters.
void check_against_pytorch(const std::string& fixture, int64_t num_labels,
                           const std::function<Tensor(const Tensor&, const Tensor&)>& loss_of) {
  const std::string fixtures = TINYTUNE_FIXTURE_DIR;
  auto ref = io::load_safetensors(fixtures + "/" + fixture);
  auto batch = io::load_safetensors(fixtures + "/tiny_bert_expected.safetensors");
  auto model = nn::load_bert_for_classification(fixtures + "/tiny_bert", num_labels);
  if (ref.count("init.classifier.weight")) {  // a new head: start from PyTorch's initial values
    copy_into(model->classifier->weight, ref["init.classifier.weight"]);
    copy_into(model->classifier->bias, ref["init.classifier.bias"]);
  }
  model->eval();  // dropout off: the same function as the reference
  nn::BertInputs in{batch["input_ids"], batch["token_type_ids"], batch["attention_mask"]};
  auto named = model->named_parameters();
  std::vector<Tensor> params;
  for (auto& [name, p] : named) params.push_back(p);
  train::AdamW optimizer(train::decay_groups(named, 0.01), {.lr = 1e-3});
  double worst_grad = 0;
  for (int64_t step = 0; step < 10; ++step) {
    CAPTURE(step);
    Tensor loss = loss_of(model->forward(in), ref["labels"]);
    CHECK(loss.item() == doctest::Approx(ref["losses"].get(step)).epsilon(1e-5));
    optimizer.zero_grad();
    loss.backward();
    if (step == 0) {
      for (auto& [name, p] : named) {
        CAPTURE(name);
        // The key bias adds a constant to every score of a row, which softmax ignores: its
        // gradient is zero up to rounding, so it is held to an absolute bound instead.
        if (is_key_bias(name)) {
          CHECK(std::sqrt(sum(mul(p.grad(), p.grad())).item()) <= 1e-6);
          continue;
        }
        const double err = max_relative_error(p.grad(), ref["grad." + name]);
        worst_grad = std::max(worst_grad, err);
        CHECK(err <= 1e-4);
      }
    }
    train::clip_grad_norm(params, 1.0);
    optimizer.step();
  }
  MESSAGE(fixture, " vs PyTorch: worst gradient relative error ", worst_grad);
  // After 10 steps of lr 1e-3 every parameter has moved by up to ~1e-2; the bound is 1% of that.
  double worst_param = 0;
  for (auto& [name, p] : named) {
    if (is_key_bias(name)) continue;  // Adam normalises its rounding noise into ±lr steps
    CAPTURE(name);
    std::vector<double> a = p.to_vector<double>(), e = ref["after." + name].to_vector<double>();
    double diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff = std::max(diff, std::abs(a[i] - e[i]));
    worst_param = std::max(worst_param, diff);
    CHECK(diff <= 1e-4);
  }
  MESSAGE(fixture, " after 10 AdamW steps: worst |parameter difference| ", worst_param);
}

}  // namespace

TEST_CASE("tiny BERT: loss, every gradient and 10 AdamW steps match PyTorch") {
  check_against_pytorch("tiny_bert_train.safetensors", 3,
                        [](const Tensor& logits, const Tensor& y) { return cross_entropy(logits, y); });
}

// GLUE's STS-B: one output, MSE against a score (train_glue's regression loss).
TEST_CASE("tiny BERT regression head: MSE loss, every gradient and 10 AdamW steps match PyTorch") {
  check_against_pytorch("tiny_bert_regression_train.safetensors", 1, [](const Tensor& logits, const Tensor& y) {
    return mse_loss(logits.squeeze(-1), y.to(logits.dtype()));
  });
}

// The golden tests above run with dropout off, as PyTorch's masks cannot be reproduced. Here the
// model trains as train_glue trains it: dropout at every site (embeddings, attention
// probabilities, both residual outputs, the classifier; LoRA's input too). With the generator
// reset before each forward the masks are fixed, so the loss is a smooth function of the
// parameters, and each trainable tensor's gradient must give its directional derivative along a
// random direction, to central differences in f64.
TEST_CASE("tiny BERT in training mode, dropout on: every gradient matches finite differences (f64)") {
  const std::string fixtures = TINYTUNE_FIXTURE_DIR;
  auto batch = io::load_safetensors(fixtures + "/tiny_bert_expected.safetensors");
  nn::BertInputs in{batch["input_ids"], batch["token_type_ids"], batch["attention_mask"]};
  Generator score_gen(3);
  const Tensor scores = uniform({batch["input_ids"].size(0)}, 0.0, 5.0, DType::f64, score_gen);
  for (const std::string method : {"full", "lora"}) {
    CAPTURE(method);
    // The new head is drawn from the default generator: seeded here, the test does not depend on
    // which tests ran before it (unseeded, one order of tests drew a head whose three-point
    // difference was off by 1.3e-6).
    manual_seed(1);
    auto model = nn::load_bert_for_classification(fixtures + "/tiny_bert", 1);  // STS-B's head
    if (method == "lora") {
      peft::PeftConfig config;  // r 8, dropout 0.1 on query and value
      peft::apply_peft(*model, config, {"classifier."});
      test::randomize_adapter(*model, 11);  // B != 0: A, and the dropout on its input, get gradients
    }
    model->to(DType::f64);
    model->train();
    auto loss_with_fixed_masks = [&] {
      manual_seed(77);
      return mse_loss(model->forward(in).squeeze(-1), scores);
    };
    {  // dropout is on: the training loss differs from the evaluation loss
      NoGradGuard no_grad;
      const double train_loss = loss_with_fixed_masks().item();
      model->eval();
      const double eval_loss = loss_with_fixed_masks().item();
      model->train();
      CHECK(std::abs(train_loss - eval_loss) > 1e-3);
    }
    model->zero_grad();
    loss_with_fixed_masks().backward();
    Generator directions(5);
    int64_t checked = 0;
    double worst = 0;  // |analytic - numeric| / (1e-2 + |numeric|), reported
    for (auto& [name, p] : model->named_parameters()) {
      if (!p.requires_grad()) continue;
      CAPTURE(name);
      REQUIRE(p.grad().defined());
      const Tensor d = normal(p.shape(), 0.0, 1.0, DType::f64, directions);
      const double analytic = sum(mul(p.grad(), d)).item();
      const Tensor original = p.detach().clone();
      // Five-point central difference: truncation ~eps⁴·L⁽⁵⁾, round-off ~1e-16·|L|/eps.
      const double eps = 1e-4;
      auto loss_at = [&](double t) {
        NoGradGuard no_grad;
        copy_into(p, add(original, mul(d, t)));
        return loss_with_fixed_masks().item();
      };
      const double numeric =
          (8 * (loss_at(eps) - loss_at(-eps)) - (loss_at(2 * eps) - loss_at(-2 * eps))) / (12 * eps);
      copy_into(p, original);
      CHECK(analytic == doctest::Approx(numeric).epsilon(1e-7).scale(1e-2));  // |error| < 1e-9 + 1e-7·|g|
      worst = std::max(worst, std::abs(analytic - numeric) / (1e-2 + std::abs(numeric)));
      ++checked;
    }
    MESSAGE(method, ": worst finite-difference error ", worst, " (bound 1e-7)");
    CHECK(checked == (method == "full" ? 41 : 2 * 2 * 2 + 2));
  }
}

// AdamW, the linear warmup/decay schedule and global-norm clipping against PyTorch: 20 steps
// replayed from tests/fixtures/optim_reference.safetensors (tests/reference/make_optim.py).
#include <cmath>

#include "tinytune/core/io/safetensors.h"
#include "tinytune/core/random.h"
#include "tests/test_util.h"
#include "tinytune/train/adamw.h"
#include "tinytune/train/clip_grad.h"
#include "tinytune/train/lr_schedule.h"

using namespace tt;
using tt::test::max_relative_error;

TEST_CASE("optim: AdamW + linear schedule + clipping match PyTorch over 20 steps (f64)") {
  auto ref = io::load_safetensors(std::string(TINYTUNE_FIXTURE_DIR) + "/optim_reference.safetensors");
  Tensor decay = ref["init.decay"].clone().set_requires_grad(true);
  Tensor no_decay = ref["init.no_decay"].clone().set_requires_grad(true);
  const double base_lr = 1e-2;
  train::AdamW optimizer({{{decay}, 0.1}, {{no_decay}, 0.0}}, {.lr = base_lr});
  train::LrSchedule schedule(train::ScheduleKind::linear, 3, 20);
  for (int64_t step = 0; step < 20; ++step) {
    CAPTURE(step);
    const std::string s = std::to_string(step);
    decay.impl().grad = ref["grad" + s + ".decay"].clone().impl_ptr();
    no_decay.impl().grad = ref["grad" + s + ".no_decay"].clone().impl_ptr();
    const double norm = train::clip_grad_norm({decay, no_decay}, 1.0);
    CHECK(norm == doctest::Approx(ref["grad_norm"].get(step)).epsilon(1e-12));
    optimizer.set_lr(base_lr * schedule.factor(step));
    CHECK(optimizer.lr() == doctest::Approx(ref["lr"].get(step)).epsilon(1e-12));
    optimizer.step();
    CHECK(max_relative_error(decay, ref["after" + s + ".decay"]) <= 1e-12);
    CHECK(max_relative_error(no_decay, ref["after" + s + ".no_decay"]) <= 1e-12);
  }
}

TEST_CASE("optim: schedules") {
  train::LrSchedule linear(train::ScheduleKind::linear, 10, 110);
  CHECK(linear.factor(0) == 0.0);
  CHECK(linear.factor(5) == 0.5);
  CHECK(linear.factor(10) == 1.0);
  CHECK(linear.factor(60) == 0.5);
  CHECK(linear.factor(110) == 0.0);
  CHECK(linear.factor(200) == 0.0);
  train::LrSchedule constant(train::ScheduleKind::constant, 4, 100);
  CHECK(constant.factor(2) == 0.5);
  CHECK(constant.factor(50) == 1.0);
  CHECK_THROWS_AS(train::parse_schedule("cosine_restarts"), Error);
}

TEST_CASE("optim: clipping leaves small gradients alone and scales large ones to max_norm") {
  Tensor a = ones({4}, DType::f64).set_requires_grad(true);
  a.impl().grad = from_vector(std::vector<double>{0.1, 0.0, 0.0, 0.0}, {4}, DType::f64).impl_ptr();
  CHECK(train::clip_grad_norm({a}, 1.0) == doctest::Approx(0.1));
  CHECK(a.grad().get(0) == 0.1);
  a.impl().grad = from_vector(std::vector<double>{3.0, 4.0, 0.0, 0.0}, {4}, DType::f64).impl_ptr();
  CHECK(train::clip_grad_norm({a}, 1.0) == doctest::Approx(5.0));
  CHECK(a.grad().get(0) == doctest::Approx(0.6).epsilon(1e-6));
  CHECK(a.grad().get(1) == doctest::Approx(0.8).epsilon(1e-6));
}

// The norm is a fixed-order double sum (every run and every resume clips alike): each tensor's
// sum in element order, those sums in parameter order. Fails if a sum is split into lanes or
// kept in float, or if the order changes.
TEST_CASE("optim: clipping's norm is the element-order double sum, bit for bit, and its scaling too") {
  Generator gen(7);
  std::vector<Tensor> params;
  std::vector<Tensor> grads;
  for (int64_t n : {1000003, 4097, 1}) {
    params.push_back(zeros({n}).set_requires_grad(true));
    grads.push_back(uniform({n}, -1.0, 1.0, DType::f32, gen));
    params.back().impl().grad = grads.back().clone().impl_ptr();
  }
  double sum_sq = 0.0;
  for (const Tensor& g : grads) {
    double tensor_sum = 0.0;
    for (const float x : g.to_vector<float>()) tensor_sum += static_cast<double>(x) * x;
    sum_sq += tensor_sum;
  }
  const double norm = train::clip_grad_norm(params, 1.0);
  CHECK(norm == std::sqrt(sum_sq));
  const double coef = 1.0 / (std::sqrt(sum_sq) + 1e-6);
  for (size_t t = 0; t < grads.size(); ++t) {
    const std::vector<float> before = grads[t].to_vector<float>(),
                             after = params[t].grad().to_vector<float>();
    int64_t differ = 0;
    for (size_t i = 0; i < before.size(); ++i)
      differ += after[i] != static_cast<float>(before[i] * coef);
    CHECK(differ == 0);
  }
}

TEST_CASE("optim: decay groups exclude biases and LayerNorm weights, and frozen parameters") {
  Tensor w = ones({2, 2}).set_requires_grad(true), b = ones({2}).set_requires_grad(true);
  Tensor ln = ones({2}).set_requires_grad(true), frozen = ones({2});
  auto groups = train::decay_groups({{"layer.dense.weight", w}, {"layer.dense.bias", b},
                                     {"layer.LayerNorm.weight", ln}, {"other.weight", frozen}},
                                    0.01);
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].weight_decay == 0.01);
  CHECK(groups[0].params.size() == 1);
  CHECK(groups[0].params[0].storage() == w.storage());
  CHECK(groups[1].weight_decay == 0.0);
  CHECK(groups[1].params.size() == 2);
}

TEST_CASE("optim: bad hyper-parameters are clear errors") {
  Tensor w = ones({2}).set_requires_grad(true);
  CHECK_THROWS_WITH_AS(train::AdamW({{{w}, 0.0}}, {.lr = -1.0}), doctest::Contains("lr"), Error);
  CHECK_THROWS_WITH_AS(train::AdamW({{{w}, -0.1}}, {}), doctest::Contains("weight_decay"), Error);
  CHECK_THROWS_WITH_AS(train::AdamW({{{ones({2})}, 0.0}}, {}), doctest::Contains("require grad"), Error);
  CHECK_THROWS_WITH_AS(train::clip_grad_norm({w}, 0.0), doctest::Contains("max_norm"), Error);
}

// cross_entropy's fused CUDA kernels against the CPU: 2 to 30522 classes (warp rows and block
// rows), ignored rows (the default -100 and a class-valued ignore_index), i32 and i64
// targets on either device, every row ignored (NaN), and a loss with the same bits on every
// run. Tolerances: f32 1e-5, f64 1e-12 relative (per-tensor floor the same fraction of the
// tensor's largest value).
#include <cmath>
#include <random>

#include "tests/cuda/cuda_test_util.h"

using namespace tt;
using namespace tt::test;

namespace {

// Targets in [0, classes), about one in five replaced by ignore_index.
Tensor random_targets(int64_t n, int64_t classes, int64_t ignore_index, uint64_t seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::uniform_int_distribution<int64_t> cls(0, classes - 1);
  std::uniform_int_distribution<int> coin(0, 4);
  std::vector<int64_t> t(n);
  for (auto& v : t) v = coin(rng) == 0 ? ignore_index : cls(rng);
  return from_vector(t, {n});
}

}  // namespace

TEST_CASE("cuda cross_entropy: loss and logit gradients against the CPU") {
  TT_SKIP_WITHOUT_CUDA();
  const std::pair<int64_t, int64_t> shapes[] = {{33, 2}, {64, 97}, {17, 1000}, {9, 1024},
                                                {5, 30522}, {1, 1}};
  for (DType dtype : {DType::f32, DType::f64}) {
    const double rel = default_rel(dtype);
    uint64_t seed = 1;
    for (auto [n, c] : shapes) {
      for (int64_t ignore : {int64_t{-100}, int64_t{1}}) {
        if (ignore >= c) continue;
        INFO(dtype_name(dtype), " ", n, " x ", c, ", ignore_index ", ignore);
        Tensor target = random_targets(n, c, ignore, seed++);
        target.set(0, 0);  // at least one counted row (class 0 is never the ignored 1)
        check_op_on_cuda(
            [ignore](const std::vector<Tensor>& x) { return cross_entropy(x[0], x[1], ignore); },
            {{random_signed({n, c}, dtype, seed++, 0.1, 5.0)}, {target, {}, false}}, rel, rel);
      }
    }
    INFO(dtype_name(dtype), " i32 targets kept on the CPU, a transposed logits view");
    Tensor logits = random_signed({97, 40}, dtype, 77, 0.1, 5.0);
    Tensor target32 = random_targets(40, 97, -100, 78).to(DType::i32);
    Tensor cpu = cross_entropy(logits.transpose(0, 1), target32);
    Tensor gpu = cross_entropy(logits.to(Device::cuda()).transpose(0, 1), target32);
    CHECK(gpu.device() == Device::cuda());
    check_close(gpu, cpu, rel, 0.0);
  }
}

TEST_CASE("cuda cross_entropy: every row ignored gives NaN and no graph, as on the CPU") {
  TT_SKIP_WITHOUT_CUDA();
  Tensor logits = random_signed({4, 3}, DType::f32, 5).to(Device::cuda()).set_requires_grad(true);
  Tensor target = from_vector(std::vector<int64_t>{-100, -100, -100, -100}, {4});
  Tensor loss = cross_entropy(logits, target.to(Device::cuda()));
  CHECK(std::isnan(loss.item()));
  CHECK(!loss.requires_grad());
}

TEST_CASE("cuda cross_entropy: the same loss and gradient bits on every run") {
  TT_SKIP_WITHOUT_CUDA();
  Tensor logits = random_signed({512, 30522}, DType::f32, 81, 0.1, 5.0).to(Device::cuda());
  Tensor target = random_targets(512, 30522, -100, 82).to(Device::cuda());
  Tensor first, first_grad;
  for (int run = 0; run < 2; ++run) {
    Tensor leaf = logits.detach().set_requires_grad(true);
    Tensor loss = cross_entropy(leaf, target);
    loss.backward();
    if (run == 0) {
      first = loss.detach();
      first_grad = leaf.grad();
    } else {
      check_equal(loss, first);
      check_equal(leaf.grad(), first_grad);
    }
  }
}

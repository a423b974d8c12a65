// tinytune's autograd in one page: tensors, ops, backward, a gradient check, and a two-layer
// network fitted to y = sin(3x) with AdamW.  Run: build/bin/example_autograd
#include <cmath>
#include <cstdio>

#include <tinytune/tinytune.h>

using namespace tt;

int main() {
  manual_seed(0);

  // 1. Ops build a graph as they run; backward() walks it and fills .grad of the leaves.
  Tensor a = from_vector(std::vector<double>{1, 2, 3}, {3}, DType::f64).set_requires_grad(true);
  Tensor loss = sum(tanh(a) * a);  // d/da = tanh(a) + a (1 - tanh²(a))
  loss.backward();
  std::printf("d sum(tanh(a) a)/da = %s\n", a.grad().str().c_str());

  // 2. Every backward rule can be checked against finite differences (in float64).
  Tensor u = normal({2, 3}, 0.0, 1.0, DType::f64).set_requires_grad(true);
  Tensor w = normal({3, 4}, 0.0, 1.0, DType::f64).set_requires_grad(true);
  GradcheckResult check = gradcheck(
      [](const std::vector<Tensor>& in) { return gelu(matmul(in[0], in[1])); }, {u, w});
  std::printf("gradcheck of gelu(u w): %s (max error %.1e)\n", check.ok ? "ok" : check.message.c_str(),
              check.max_abs_error);
  if (!check.ok) return 1;

  // 3. A tiny MLP, 1 -> 32 -> 1, fitted to 64 points of sin(3x) on [-1, 1].
  Tensor x = arange(-1.0, 1.0, 2.0 / 64).view({64, 1});
  Tensor y = from_vector(std::vector<double>(64), {64, 1});
  for (int64_t i = 0; i < 64; ++i) y.set(i, std::sin(3.0 * x.get(i)));
  Tensor w1 = normal({1, 32}, 0.0, 1.0).set_requires_grad(true);
  Tensor b1 = zeros({32}).set_requires_grad(true);
  Tensor w2 = normal({32, 1}, 0.0, 0.1).set_requires_grad(true);
  Tensor b2 = zeros({1}).set_requires_grad(true);
  train::AdamW optimizer({{.params = {w1, b1, w2, b2}}}, {.lr = 1e-2});

  double first = 0, last = 0;
  for (int step = 0; step <= 1000; ++step) {
    Tensor prediction = matmul(tanh(matmul(x, w1) + b1), w2) + b2;
    Tensor mse = mse_loss(prediction, y);
    optimizer.zero_grad();
    mse.backward();
    optimizer.step();
    last = mse.item();
    if (step == 0) first = last;
    if (step % 200 == 0) std::printf("step %4d  loss %.6f\n", step, last);
  }
  std::printf("final loss is %.4f%% of the first\n", 100.0 * last / first);
  return last < 0.01 * first ? 0 : 1;  // the claim this example makes
}

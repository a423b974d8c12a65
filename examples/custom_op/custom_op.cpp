// A new differentiable op written outside tinytune: softplus(x) = log(1 + e^x), with its own
// CPU kernel and backward Node, gradient-checked and then used as a network's activation.
//   build/bin/example_custom_op
// The recipe is the library's own (README "How to add an op"): the forward checks its input,
// computes, and when a gradient is wanted connects a Node that saves what backward needs.
#include <cmath>
#include <cstdio>

#include <tinytune/tinytune.h>

using namespace tt;

namespace {

// d softplus(x)/dx = sigmoid(x) = 1 / (1 + e^-x)
struct SoftplusBackward : Node {
  Tensor x;  // saved detached, so the graph holds no cycle through it
  explicit SoftplusBackward(Tensor x_) : x(std::move(x_)) {}
  const char* name() const override { return "SoftplusBackward"; }
  std::vector<Tensor> backward(const Tensor& grad_output) override {
    Tensor g = grad_output.contiguous();
    Tensor grad_x = empty(x.shape(), x.dtype());
    dispatch_floating(x.dtype(), "softplus backward", [&](auto zero) {
      using T = decltype(zero);
      const T *xs = x.data<T>(), *gs = g.data<T>();
      T* out = grad_x.data<T>();
      for (int64_t i = 0; i < x.numel(); ++i) out[i] = gs[i] / (T(1) + std::exp(-xs[i]));
    });
    return {grad_x};
  }
  void release() override { x = Tensor(); }
};

Tensor softplus(const Tensor& input) {
  TT_CHECK(input.device().is_cpu(), "softplus: this example op has a CPU kernel only");
  Tensor x = input.contiguous();
  Tensor y = empty(x.shape(), x.dtype());
  dispatch_floating(x.dtype(), "softplus", [&](auto zero) {
    using T = decltype(zero);
    const T* xs = x.data<T>();
    T* ys = y.data<T>();
    // log1p(e^x) overflows for large x, where softplus(x) = x + log1p(e^-x) does not.
    for (int64_t i = 0; i < x.numel(); ++i)
      ys[i] = xs[i] > 0 ? xs[i] + std::log1p(std::exp(-xs[i])) : std::log1p(std::exp(xs[i]));
  });
  if (needs_grad(input)) connect(y, std::make_shared<SoftplusBackward>(x.detach()), {input});
  return y;
}

}  // namespace

int main() {
  manual_seed(0);
  // 1. The backward rule against central differences, on a non-contiguous float64 input.
  Tensor x = normal({4, 5}, 0.0, 3.0, DType::f64).transpose(0, 1).set_requires_grad(true);
  GradcheckResult check = gradcheck([](const std::vector<Tensor>& in) { return softplus(in[0]); }, {x});
  std::printf("gradcheck softplus: %s (max error %.1e)\n", check.ok ? "ok" : check.message.c_str(),
              check.max_abs_error);

  // 2. As the activation of a 2 -> 16 -> 1 network fitted to y = |x0| + |x1|.
  Tensor inputs = uniform({128, 2}, -1.0, 1.0);
  Tensor targets = sum(relu(inputs) + relu(neg(inputs)), {1}, true);
  Tensor w1 = normal({2, 16}).set_requires_grad(true), b1 = zeros({16}).set_requires_grad(true);
  Tensor w2 = normal({16, 1}, 0.0, 0.1).set_requires_grad(true), b2 = zeros({1}).set_requires_grad(true);
  train::AdamW optimizer({{.params = {w1, b1, w2, b2}}}, {.lr = 1e-2});
  double first = 0, last = 0;
  for (int step = 0; step <= 500; ++step) {
    Tensor loss = mse_loss(matmul(softplus(matmul(inputs, w1) + b1), w2) + b2, targets);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    last = loss.item();
    if (step == 0) first = last;
    if (step % 100 == 0) std::printf("step %3d  loss %.5f\n", step, last);
  }
  return check.ok && last < 0.05 * first ? 0 : 1;
}

// A consumer of the tensor core alone: tensors, an op, backward.
#include <cstdio>

#include <tinytune/core/ops.h>

int main() {
  tt::Tensor x = tt::full({3}, 2.0).set_requires_grad(true);
  tt::Tensor y = tt::sum(tt::mul(x, x));  // d/dx = 2x = 4
  y.backward();
  std::printf("y = %.1f, dy/dx[0] = %.1f\n", y.item(), x.grad().get(0));
  return y.item() == 12.0 && x.grad().get(0) == 4.0 ? 0 : 1;
}

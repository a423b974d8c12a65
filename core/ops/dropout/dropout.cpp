// dropout.
//
// Forward:  y = x * m / (1 - p),  m ~ Bernoulli(1 - p) from the counter-based generator
// Backward: dx = g * m / (1 - p)
// The op is defined as the composite mul(x, mul(bernoulli(1 - p), 1 / (1 - p))); both
// devices' kernels (dropout_kernels.h) compute that product from the same counters in one
// pass without storing the mask, and the backward regenerates it from the generator's seed and
// first counter. Both devices give the composite's bits (tests/ops/test_fused_ops.cpp,
// tests/cuda/test_cuda_ops.cpp).
#include "tinytune/core/ops/dropout/dropout.h"

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/binary/binary.h"
#include "tinytune/core/ops/dropout/dropout_kernels.h"

namespace tt {

namespace {

struct DropoutBackward : Node {
  double p;
  uint64_t seed, start;
  DropoutBackward(double p_, uint64_t seed_, uint64_t start_) : p(p_), seed(seed_), start(start_) {}
  const char* name() const override { return "DropoutBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = empty(g.shape(), g.dtype(), g.device());
    apply(g, dx, p, seed, start);
    return {dx};
  }

  // out = in * mask / (1 - p) on in's device.
  static void apply(const Tensor& in, const Tensor& out, double p, uint64_t seed, uint64_t start) {
    switch (in.device().type) {
      case DeviceType::cpu: cpu::dropout_apply(in, out, p, seed, start); break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::dropout_apply(in, out, p, seed, start);
        break;
#else
        cuda::built_without_cuda("dropout");
#endif
    }
  }
};

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  TT_CHECK(p >= 0.0 && p <= 1.0, "dropout: p must be in [0, 1], got ", p);
  TT_CHECK(is_floating(x.dtype()), "dropout: expected a floating dtype, got ",
           dtype_name(x.dtype()), " tensor of shape ", shape_str(x.shape()));
  if (!training || p == 0.0) return x;
  if (p == 1.0) return mul(x, 0.0);
  // The counters bernoulli(x.shape()) would take: one per pair of elements.
  const uint64_t start = gen.advance(static_cast<uint64_t>((x.numel() + 1) / 2));
  Tensor y = empty(x.shape(), x.dtype(), x.device());
  DropoutBackward::apply(x, y, p, gen.seed(), start);
  if (needs_grad(x)) connect(y, std::make_shared<DropoutBackward>(p, gen.seed(), start), {x});
  return y;
}

}  // namespace tt

// dropout.
//
// Forward:  y = x * m / (1 - p),  m ~ Bernoulli(1 - p) from the counter-based generator
// Backward: dx = g * m / (1 - p)
// On the CPU it is written as a product with a constant mask tensor (bernoulli, then mul), so
// the backward is mul's: that composite defines the op. On CUDA one fused kernel computes the
// same product from the same counters (element i keeps when its uniform < 1 - p, exactly as
// bernoulli draws it) without storing a mask; the backward regenerates the mask from the
// generator's seed and first counter. Both devices give the same bits.
#include "core/ops/dropout/dropout.h"

#include "core/autograd/node.h"
#include "core/cuda/runtime.h"
#include "core/ops/binary/binary.h"
#include "core/ops/dropout/dropout_kernels.h"

namespace tt {

namespace {

struct DropoutBackward : Node {
  double p;
  uint64_t seed, start;
  DropoutBackward(double p_, uint64_t seed_, uint64_t start_) : p(p_), seed(seed_), start(start_) {}
  const char* name() const override { return "DropoutBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = empty(g.shape(), g.dtype(), g.device());
    switch (g.device().type) {
      case DeviceType::cpu:  // the CPU forward records mul's node, never this one
        throw Error("dropout: DropoutBackward reached with a CPU gradient");
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::dropout_apply(g, dx, p, seed, start);
        break;
#else
        cuda::built_without_cuda("dropout");
#endif
    }
    return {dx};
  }
};

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  TT_CHECK(p >= 0.0 && p <= 1.0, "dropout: p must be in [0, 1], got ", p);
  TT_CHECK(is_floating(x.dtype()), "dropout: expected a floating dtype, got ",
           dtype_name(x.dtype()), " tensor of shape ", shape_str(x.shape()));
  if (!training || p == 0.0) return x;
  if (p == 1.0) return mul(x, 0.0);
  switch (x.device().type) {
    case DeviceType::cpu: {
      Tensor keep_scaled =
          mul(bernoulli(x.shape(), 1.0 - p, x.dtype(), gen), 1.0 / (1.0 - p));
      return mul(x, keep_scaled);
    }
    case DeviceType::cuda: {
#ifdef TINYTUNE_WITH_CUDA
      // The counters bernoulli(x.shape()) would take: one per pair of elements.
      const uint64_t start = gen.advance(static_cast<uint64_t>((x.numel() + 1) / 2));
      Tensor y = empty(x.shape(), x.dtype(), x.device());
      cuda::dropout_apply(x, y, p, gen.seed(), start);
      if (needs_grad(x)) connect(y, std::make_shared<DropoutBackward>(p, gen.seed(), start), {x});
      return y;
#else
      cuda::built_without_cuda("dropout");
#endif
    }
  }
  return x;
}

}  // namespace tt

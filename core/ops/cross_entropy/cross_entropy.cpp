// cross_entropy.
//
// Forward:  L = (1/M) Σ_{n counted} (logsumexp(x_n) - x_n[t_n]),  M = #rows with t_n != ignore
// Backward: dx_n = g/M * (softmax(x_n) - onehot(t_n)) for counted rows, 0 for ignored ones.
// The softmax is recomputed in the backward rather than stored (N×C floats saved per step).
// CUDA: fused per row (cross_entropy_cuda.cu); the targets are checked and counted on the host
// (one small copy of the [N] targets per call), and the loss stays on the device.
#include "tinytune/core/ops/cross_entropy/cross_entropy.h"

#include <limits>

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/cross_entropy/cross_entropy_kernels.h"

namespace tt {

namespace {

struct CrossEntropyBackward : Node {
  Tensor logits, target;
  int64_t ignore_index, count;
  CrossEntropyBackward(Tensor l, Tensor t, int64_t ig, int64_t c)
      : logits(std::move(l)), target(std::move(t)), ignore_index(ig), count(c) {}
  const char* name() const override { return "CrossEntropyBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = empty(logits.shape(), logits.dtype(), logits.device());
    switch (logits.device().type) {
      case DeviceType::cpu:
        cpu::cross_entropy_backward(logits, target, ignore_index,
                                    g.item() / static_cast<double>(count), dx);
        break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::cross_entropy_backward(logits, target, ignore_index, count,
                                     g.to(logits.device()).to(logits.dtype()), dx);
        break;
#else
        cuda::built_without_cuda("cross_entropy");
#endif
    }
    return {dx, Tensor()};
  }
  void release() override { logits = target = Tensor(); }
};

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index) {
  TT_CHECK(logits.dim() == 2, "cross_entropy: logits must be 2-D [N, C], got shape ",
           shape_str(logits.shape()));
  TT_CHECK(is_floating(logits.dtype()), "cross_entropy: logits must be floating, got ",
           dtype_name(logits.dtype()));
  TT_CHECK(target.dtype() == DType::i64 || target.dtype() == DType::i32,
           "cross_entropy: target must be i32 or i64 class indices, got ",
           dtype_name(target.dtype()));
  TT_CHECK(target.dim() == 1 && target.shape()[0] == logits.shape()[0],
           "cross_entropy: target of shape ", shape_str(target.shape()),
           " does not match logits of shape ", shape_str(logits.shape()), " (expected [",
           logits.shape()[0], "])");
  const int64_t classes = logits.shape()[1];
  // Targets are checked and counted on the host; the kernels read them on the logits' device.
  Tensor t = target.detach().contiguous().to(DType::i64);
  Tensor t_host = t.to(Device::cpu());
  int64_t count = 0;
  const int64_t* pt = t_host.data<int64_t>();
  for (int64_t n = 0; n < t_host.numel(); ++n) {
    if (pt[n] == ignore_index) continue;
    TT_CHECK(pt[n] >= 0 && pt[n] < classes, "cross_entropy: target ", pt[n], " at row ", n,
             " is out of range [0, ", classes, ")");
    ++count;
  }
  t = t.to(logits.device());
  Tensor x = logits.detach().contiguous();
  Tensor out;
  switch (x.device().type) {
    case DeviceType::cpu: {
      const double total = cpu::cross_entropy_sum(x, t, ignore_index);
      out = scalar_tensor(count > 0 ? total / static_cast<double>(count)
                                    : std::numeric_limits<double>::quiet_NaN(),
                          x.dtype());
      break;
    }
    case DeviceType::cuda:
      if (count == 0) {  // every row ignored: NaN, as PyTorch
        out = scalar_tensor(std::numeric_limits<double>::quiet_NaN(), x.dtype(), x.device());
        break;
      }
#ifdef TINYTUNE_WITH_CUDA
      out = empty({}, x.dtype(), x.device());
      cuda::cross_entropy_forward(x, t, ignore_index, count, out);
      break;
#else
      cuda::built_without_cuda("cross_entropy");
#endif
  }
  if (needs_grad(logits) && count > 0)
    connect(out, std::make_shared<CrossEntropyBackward>(x, t, ignore_index, count),
            {logits, target});
  return out;
}

}  // namespace tt

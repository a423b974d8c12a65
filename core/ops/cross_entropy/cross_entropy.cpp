// cross_entropy.
//
// Forward:  L = (1/M) Σ_{n counted} (logsumexp(x_n) - x_n[t_n]),  M = #rows with t_n != ignore
// Backward: dx_n = g/M * (softmax(x_n) - onehot(t_n)) for counted rows, 0 for ignored ones.
// The softmax is recomputed in the backward rather than stored (N×C floats saved per step).
#include "core/ops/cross_entropy/cross_entropy.h"

#include <limits>

#include "core/autograd/node.h"
#include "core/ops/cross_entropy/cross_entropy_kernels.h"

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
    const double scale = g.item() / static_cast<double>(count);
    cpu::cross_entropy_backward(logits, target, ignore_index, scale, dx);
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
  Tensor t = target.detach().contiguous().to(DType::i64);
  int64_t count = 0;
  const int64_t* pt = t.data<int64_t>();
  for (int64_t n = 0; n < t.numel(); ++n) {
    if (pt[n] == ignore_index) continue;
    TT_CHECK(pt[n] >= 0 && pt[n] < classes, "cross_entropy: target ", pt[n], " at row ", n,
             " is out of range [0, ", classes, ")");
    ++count;
  }
  Tensor x = logits.detach().contiguous();
  double total = 0.0;
  switch (x.device().type) {
    case DeviceType::cpu: total = cpu::cross_entropy_sum(x, t, ignore_index); break;
    case DeviceType::cuda: throw Error("cross_entropy: built without CUDA");
  }
  const double loss = count > 0 ? total / static_cast<double>(count)
                                : std::numeric_limits<double>::quiet_NaN();
  Tensor out = scalar_tensor(loss, x.dtype());
  if (needs_grad(logits) && count > 0)
    connect(out, std::make_shared<CrossEntropyBackward>(x, t, ignore_index, count),
            {logits, target});
  return out;
}

}  // namespace tt

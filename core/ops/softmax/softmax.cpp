// softmax and log_softmax.
//
// Forward (along dim, m = max x):
//   softmax:     y_i = exp(x_i - m) / Σ_j exp(x_j - m)
//   log_softmax: y_i = x_i - m - log Σ_j exp(x_j - m)
// Backward:
//   softmax:     dx_i = y_i * (g_i - Σ_j g_j y_j)
//   log_softmax: dx_i = g_i - exp(y_i) * Σ_j g_j
#include "tinytune/core/ops/softmax/softmax.h"

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/softmax/softmax_kernels.h"

namespace tt {

namespace {

struct Layout {
  int64_t outer = 1, n = 1, inner = 1;
};

Layout layout_of(const Tensor& x, int64_t dim, const char* op) {
  int64_t d = wrap_dim(dim, x.dim(), op);
  Layout l;
  if (x.dim() == 0) return l;
  l.n = x.shape()[d];
  for (int64_t k = 0; k < d; ++k) l.outer *= x.shape()[k];
  for (int64_t k = d + 1; k < x.dim(); ++k) l.inner *= x.shape()[k];
  return l;
}

struct SoftmaxBackward : Node {
  Tensor y;
  Layout layout;
  bool log;
  SoftmaxBackward(Tensor y_, Layout l, bool lg) : y(std::move(y_)), layout(l), log(lg) {}
  const char* name() const override { return log ? "LogSoftmaxBackward" : "SoftmaxBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = empty(y.shape(), y.dtype(), y.device());
    switch (y.device().type) {
      case DeviceType::cpu:
        cpu::softmax_backward(y, g.contiguous(), dx, layout.outer, layout.n, layout.inner, log);
        break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::softmax_backward(y, g.contiguous(), dx, layout.outer, layout.n, layout.inner, log);
        break;
#else
        cuda::built_without_cuda(log ? "log_softmax" : "softmax");
#endif
    }
    return {dx};
  }
  void release() override { y = Tensor(); }
};

Tensor softmax_impl(const Tensor& input, int64_t dim, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  TT_CHECK(is_floating(input.dtype()), op, ": expected a floating dtype (f32 or f64), got ",
           dtype_name(input.dtype()), " tensor of shape ", shape_str(input.shape()));
  Layout l = layout_of(input, dim, op);
  Tensor x = input.detach().contiguous();
  Tensor y = empty(x.shape(), x.dtype(), x.device());
  switch (x.device().type) {
    case DeviceType::cpu: cpu::softmax_forward(x, y, l.outer, l.n, l.inner, log); break;
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      cuda::softmax_forward(x, y, l.outer, l.n, l.inner, log);
      break;
#else
      cuda::built_without_cuda(op);
#endif
  }
  if (needs_grad(input)) connect(y, std::make_shared<SoftmaxBackward>(y.detach(), l, log), {input});
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_impl(x, dim, false); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_impl(x, dim, true); }

}  // namespace tt

// sum, mean, max over dims; sum_to.
//
//   sum:   y = Σ_dims x             dx = expand(g, x.shape)
//   mean:  y = Σ_dims x / count     dx = expand(g, x.shape) / count
//   max:   y = max_dim x            dx = g at the first argmax along dim, 0 elsewhere
// The kernels read x with the reduced dims moved last and made contiguous, so one kernel
// serves any set of dims; on the CPU, leading dims of a contiguous x are summed in place.
#include "tinytune/core/ops/reduce/reduce.h"

#include <algorithm>
#include <functional>

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/binary/binary.h"
#include "tinytune/core/ops/reduce/reduce_kernels.h"

namespace tt {

namespace {

struct ReducePlan {
  std::vector<bool> reduced;  // per dim of x
  Shape keep_shape;           // x's shape with reduced dims set to 1
  Shape out_shape;            // keep_shape without those dims unless keepdim
  int64_t count = 1;          // elements folded into each output
};

ReducePlan plan_reduce(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim,
                       const char* op) {
  ReducePlan plan;
  plan.reduced.assign(x.dim(), dims.empty());
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, x.dim(), op);
    if (x.dim() == 0) continue;
    TT_CHECK(!plan.reduced[w], op, ": dim ", d, " appears twice in the reduced dims");
    plan.reduced[w] = true;
  }
  for (int64_t d = 0; d < x.dim(); ++d) {
    plan.keep_shape.push_back(plan.reduced[d] ? 1 : x.shape()[d]);
    if (plan.reduced[d]) plan.count *= x.shape()[d];
    if (!plan.reduced[d] || keepdim) plan.out_shape.push_back(plan.keep_shape.back());
  }
  return plan;
}

struct SumBackward : Node {
  Shape input_shape, keep_shape;
  double scale;  // 1 for sum, 1/count for mean
  SumBackward(Shape in, Shape keep, double s)
      : input_shape(std::move(in)), keep_shape(std::move(keep)), scale(s) {}
  const char* name() const override { return scale == 1.0 ? "SumBackward" : "MeanBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = g.reshape(keep_shape).expand(input_shape).contiguous();
    if (scale != 1.0) dx = mul(dx, scale);
    return {dx};
  }
};

Tensor reduce_sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim, bool average) {
  const char* op = average ? "mean" : "sum";
  TT_CHECK(is_floating(x.dtype()), op, ": expected a floating dtype (f32 or f64), got ",
           dtype_name(x.dtype()), " tensor of shape ", shape_str(x.shape()));
  ReducePlan plan = plan_reduce(x, dims, keepdim, op);
  std::vector<int64_t> order;  // kept dims first, reduced dims last
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!plan.reduced[d]) order.push_back(d);
  for (int64_t d = 0; d < x.dim(); ++d)
    if (plan.reduced[d]) order.push_back(d);
  Tensor out = empty(plan.out_shape, x.dtype(), x.device());
  const int64_t rows = out.numel();
  // Leading dims of a contiguous x (a bias gradient: [B, S, d] summed to [d]) are summed in
  // place on the CPU: moving them last would be a transposing copy of the whole gradient.
  const bool leading = x.dim() > 1 && plan.reduced.front() && !plan.reduced.back() &&
                       std::is_sorted(plan.reduced.begin(), plan.reduced.end(), std::greater<>());
  if (leading && x.device().type == DeviceType::cpu && x.is_contiguous()) {
    cpu::sum_columns(x.detach(), out, plan.count, rows);
  } else {
    Tensor xc = x.detach().permute(order).contiguous();
    switch (x.device().type) {
      case DeviceType::cpu: cpu::sum_rows(xc, out, rows, plan.count); break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::sum_rows(xc, out, rows, plan.count);
        break;
#else
        cuda::built_without_cuda(op);
#endif
    }
  }
  const double scale = average ? 1.0 / static_cast<double>(plan.count) : 1.0;
  if (average) out = mul(out.detach(), scale);
  if (needs_grad(x))
    connect(out, std::make_shared<SumBackward>(x.shape(), plan.keep_shape, scale), {x});
  return out;
}

struct MaxBackward : Node {
  Shape input_shape;
  Tensor indices;
  int64_t outer, n, inner;
  MaxBackward(Shape s, Tensor idx, int64_t o, int64_t n_, int64_t i)
      : input_shape(std::move(s)), indices(std::move(idx)), outer(o), n(n_), inner(i) {}
  const char* name() const override { return "MaxBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = zeros(input_shape, g.dtype(), g.device());
    switch (g.device().type) {
      case DeviceType::cpu: cpu::max_backward(g.contiguous(), indices, dx, outer, n, inner); break;
      case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
        cuda::max_backward(g.contiguous(), indices, dx, outer, n, inner);
        break;
#else
        cuda::built_without_cuda("max");
#endif
    }
    return {dx};
  }
  void release() override { indices = Tensor(); }
};

struct MaxResult {
  Tensor values, indices;
  int64_t outer, n, inner;
};

MaxResult max_along(const Tensor& x, int64_t dim, bool keepdim, const char* op) {
  TT_CHECK(x.numel() > 0, op, ": cannot reduce an empty tensor of shape ", shape_str(x.shape()));
  int64_t d = wrap_dim(dim, x.dim(), op);
  MaxResult r{Tensor(), Tensor(), 1, x.dim() == 0 ? 1 : x.shape()[d], 1};
  for (int64_t k = 0; k < d; ++k) r.outer *= x.shape()[k];
  for (int64_t k = d + 1; k < x.dim(); ++k) r.inner *= x.shape()[k];
  Shape out_shape = x.shape();
  if (x.dim() > 0) {
    if (keepdim)
      out_shape[d] = 1;
    else
      out_shape.erase(out_shape.begin() + d);
  }
  r.values = empty(out_shape, x.dtype(), x.device());
  r.indices = empty(out_shape, DType::i64, x.device());
  switch (x.device().type) {
    case DeviceType::cpu:
      cpu::max_along(x.detach().contiguous(), r.values, r.indices, r.outer, r.n, r.inner);
      break;
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      cuda::max_along(x.detach().contiguous(), r.values, r.indices, r.outer, r.n, r.inner);
      break;
#else
      cuda::built_without_cuda(op);
#endif
  }
  return r;
}

}  // namespace

Tensor sum(const Tensor& x) { return reduce_sum(x, {}, false, false); }
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return reduce_sum(x, dims, keepdim, false);
}
Tensor mean(const Tensor& x) { return reduce_sum(x, {}, false, true); }
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return reduce_sum(x, dims, keepdim, true);
}

Tensor max(const Tensor& x, int64_t dim, bool keepdim) {
  MaxResult r = max_along(x, dim, keepdim, "max");
  if (needs_grad(x))
    connect(r.values,
            std::make_shared<MaxBackward>(x.shape(), r.indices, r.outer, r.n, r.inner), {x});
  return r.values;
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return max_along(x, dim, keepdim, "argmax").indices;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  TT_CHECK(static_cast<int64_t>(shape.size()) <= x.dim(), "sum_to: cannot sum shape ",
           shape_str(x.shape()), " down to ", shape_str(shape));
  const int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < lead) {
      dims.push_back(d);
      continue;
    }
    int64_t want = shape[d - lead];
    TT_CHECK(want == x.shape()[d] || want == 1, "sum_to: cannot sum shape ",
             shape_str(x.shape()), " down to ", shape_str(shape));
    if (want == 1 && x.shape()[d] != 1) dims.push_back(d);
  }
  if (dims.empty()) return x.reshape(shape);
  return sum(x, dims, true).reshape(shape);
}

}  // namespace tt

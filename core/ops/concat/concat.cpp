// concat.
//
// Forward:  each input is copied into its slice [start_i, start_i + n_i) of the output's dim.
// Backward: dx_i = g.narrow(dim, start_i, n_i).
// No kernel of its own: copy_into's strided copy (CPU loop or CUDA kernel) does both ways.
#include "tinytune/core/ops/concat/concat.h"

#include "tinytune/core/autograd/node.h"

namespace tt {

namespace {

struct ConcatBackward : Node {
  int64_t dim;
  std::vector<int64_t> sizes;
  ConcatBackward(int64_t d, std::vector<int64_t> s) : dim(d), sizes(std::move(s)) {}
  const char* name() const override { return "ConcatBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    std::vector<Tensor> grads;
    int64_t start = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      grads.push_back(input_needs_grad(i) ? g.narrow(dim, start, sizes[i]).contiguous() : Tensor());
      start += sizes[i];
    }
    return grads;
  }
};

}  // namespace

Tensor concat(const std::vector<Tensor>& tensors, int64_t dim) {
  TT_CHECK(!tensors.empty(), "concat: expected at least one tensor");
  const Tensor& first = tensors[0];
  TT_CHECK(first.dim() > 0, "concat: cannot concatenate 0-d tensors");
  const int64_t d = wrap_dim(dim, first.dim(), "concat");
  Shape out_shape = first.shape();
  out_shape[d] = 0;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    TT_CHECK(t.dtype() == first.dtype(), "concat: tensor ", i, " has dtype ",
             dtype_name(t.dtype()), ", tensor 0 has ", dtype_name(first.dtype()));
    bool compatible = t.dim() == first.dim();
    for (int64_t k = 0; compatible && k < t.dim(); ++k)
      compatible = k == d || t.shape()[k] == first.shape()[k];
    TT_CHECK(compatible, "concat: tensor ", i, " of shape ", shape_str(t.shape()),
             " does not match tensor 0 of shape ", shape_str(first.shape()),
             " in every dim but ", d);
    TT_CHECK(t.device() == first.device(), "concat: tensor ", i, " is on ", t.device().str(),
             ", tensor 0 on ", first.device().str());
    sizes.push_back(t.shape()[d]);
    out_shape[d] += t.shape()[d];
  }
  Tensor out = empty(out_shape, first.dtype(), first.device());
  int64_t start = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    copy_into(out.narrow(d, start, sizes[i]), tensors[i].detach());
    start += sizes[i];
  }
  if (needs_grad(tensors)) connect(out, std::make_shared<ConcatBackward>(d, sizes), tensors);
  return out;
}

}  // namespace tt

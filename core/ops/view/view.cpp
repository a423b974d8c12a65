// View ops: Tensor::view/reshape/permute/transpose/narrow/expand/unsqueeze/squeeze, and the
// copies contiguous/clone/to. Views share storage; only strides and offset change. On CUDA,
// the copies and narrow's backward run through copy_into's strided-copy kernel.
//
// Backward rules:
//   reshape-like (view, reshape, unsqueeze, squeeze):  dx = dy.reshape(x.shape)
//   permute(p):                                       dx = dy.permute(inverse(p))
//   narrow(dim, start, len):                          dx = zeros(x.shape); dx[start:start+len] = dy
//   expand(shape):                                    dx = sum_to(dy, x.shape)
//   contiguous, clone:                                dx = dy
//   to(dtype):                                        dx = dy.to(x.dtype)
//   to(device):                                       dx = dy.to(x.device)
#include <algorithm>
#include <numeric>
#include <optional>

#include "tinytune/core/autograd/node.h"
#include "tinytune/core/ops/reduce/reduce.h"

namespace tt {

namespace {

Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.storage();
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

// Resolves one -1 entry and checks the element count.
Shape infer_shape(const Shape& requested, int64_t numel, const Shape& from, const char* op) {
  Shape shape = requested;
  int64_t known = 1, infer_at = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      TT_CHECK(infer_at < 0, op, ": only one dimension can be -1 in ", shape_str(requested));
      infer_at = static_cast<int64_t>(i);
    } else {
      TT_CHECK(shape[i] >= 0, op, ": invalid size ", shape[i], " in ", shape_str(requested));
      known *= shape[i];
    }
  }
  if (infer_at >= 0) {
    TT_CHECK(known != 0 && numel % known == 0, op, ": cannot reshape ", shape_str(from), " (",
             numel, " elements) into ", shape_str(requested));
    shape[infer_at] = numel / known;
  }
  TT_CHECK(shape_numel(shape) == numel, op, ": cannot reshape ", shape_str(from), " (", numel,
           " elements) into ", shape_str(requested), " (", shape_numel(shape), " elements)");
  return shape;
}

// Strides that express `shape` over the same memory as (old_shape, old_strides), if any
// (the algorithm of PyTorch's computeStride: split or merge only dims that are contiguous
// with each other).
std::optional<Shape> view_strides(const Shape& old_shape, const Shape& old_strides,
                                  const Shape& shape) {
  if (shape_numel(old_shape) <= 1 || shape_numel(shape) == 0) return contiguous_strides(shape);
  Shape strides(shape.size(), 1);
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    if (d == 0 ||
        (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

struct ReshapeBackward : Node {
  Shape input_shape;
  explicit ReshapeBackward(Shape s) : input_shape(std::move(s)) {}
  const char* name() const override { return "ReshapeBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {g.reshape(input_shape)}; }
};

struct PermuteBackward : Node {
  std::vector<int64_t> inverse;
  explicit PermuteBackward(std::vector<int64_t> inv) : inverse(std::move(inv)) {}
  const char* name() const override { return "PermuteBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {g.permute(inverse)}; }
};

struct NarrowBackward : Node {
  Shape input_shape;
  int64_t dim, start;
  NarrowBackward(Shape s, int64_t d, int64_t st) : input_shape(std::move(s)), dim(d), start(st) {}
  const char* name() const override { return "NarrowBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = zeros(input_shape, g.dtype(), g.device());
    copy_into(dx.narrow(dim, start, g.shape()[dim]), g);
    return {dx};
  }
};

struct ExpandBackward : Node {
  Shape input_shape;
  explicit ExpandBackward(Shape s) : input_shape(std::move(s)) {}
  const char* name() const override { return "ExpandBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {sum_to(g, input_shape)}; }
};

struct IdentityBackward : Node {
  const char* op;
  explicit IdentityBackward(const char* o) : op(o) {}
  const char* name() const override { return op; }
  std::vector<Tensor> backward(const Tensor& g) override { return {g}; }
};

struct ToBackward : Node {
  DType input_dtype;
  explicit ToBackward(DType d) : input_dtype(d) {}
  const char* name() const override { return "ToBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {g.to(input_dtype)}; }
};

struct ToDeviceBackward : Node {
  Device input_device;
  explicit ToDeviceBackward(Device d) : input_device(d) {}
  const char* name() const override { return "ToDeviceBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {g.to(input_device)}; }
};

Tensor record_reshape(const Tensor& input, Tensor out) {
  if (needs_grad(input)) connect(out, std::make_shared<ReshapeBackward>(input.shape()), {input});
  return out;
}

}  // namespace

Tensor Tensor::view(const Shape& requested) const {
  Shape shape = infer_shape(requested, numel(), this->shape(), "view");
  auto strides = view_strides(this->shape(), this->strides(), shape);
  TT_CHECK(strides.has_value(), "view: a tensor of shape ", shape_str(this->shape()),
           " and strides ", shape_str(this->strides()), " cannot be viewed as ",
           shape_str(shape), " without a copy; use reshape()");
  return record_reshape(*this, make_view(*this, shape, *strides, offset()));
}

Tensor Tensor::reshape(const Shape& requested) const {
  Shape shape = infer_shape(requested, numel(), this->shape(), "reshape");
  if (auto strides = view_strides(this->shape(), this->strides(), shape))
    return record_reshape(*this, make_view(*this, shape, *strides, offset()));
  Tensor copy = contiguous();  // records its own (identity) node
  return record_reshape(copy, make_view(copy, shape, contiguous_strides(shape), copy.offset()));
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  TT_CHECK(static_cast<int64_t>(dims.size()) == dim(), "permute: got ", dims.size(),
           " dims for a tensor of shape ", shape_str(shape()));
  Shape new_shape(dims.size()), new_strides(dims.size());
  std::vector<int64_t> inverse(dims.size(), -1);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], dim(), "permute");
    TT_CHECK(inverse[d] < 0, "permute: dim ", d, " repeated in the permutation");
    inverse[d] = static_cast<int64_t>(i);
    new_shape[i] = shape()[d];
    new_strides[i] = strides()[d];
  }
  Tensor out = make_view(*this, new_shape, new_strides, offset());
  if (needs_grad(*this)) connect(out, std::make_shared<PermuteBackward>(inverse), {*this});
  return out;
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  std::vector<int64_t> dims(dim());
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[wrap_dim(dim0, dim(), "transpose")], dims[wrap_dim(dim1, dim(), "transpose")]);
  return permute(dims);
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  d = wrap_dim(d, dim(), "narrow");
  TT_CHECK(start >= 0 && length >= 0 && start + length <= shape()[d], "narrow: range [", start,
           ", ", start + length, ") is out of bounds for dim ", d, " of size ", shape()[d],
           " (shape ", shape_str(shape()), ")");
  Shape new_shape = shape();
  new_shape[d] = length;
  Tensor out = make_view(*this, new_shape, strides(), offset() + start * strides()[d]);
  if (needs_grad(*this))
    connect(out, std::make_shared<NarrowBackward>(shape(), d, start), {*this});
  return out;
}

Tensor Tensor::expand(const Shape& requested) const {
  TT_CHECK(static_cast<int64_t>(requested.size()) >= dim(), "expand: cannot expand shape ",
           shape_str(shape()), " to fewer dims ", shape_str(requested));
  size_t lead = requested.size() - shape().size();
  Shape new_shape(requested.size()), new_strides(requested.size(), 0);
  for (size_t i = 0; i < requested.size(); ++i) {
    if (i < lead) {
      TT_CHECK(requested[i] >= 0, "expand: size -1 is not allowed in a new leading dim (",
               shape_str(requested), ")");
      new_shape[i] = requested[i];
      continue;
    }
    int64_t old = shape()[i - lead];
    int64_t want = requested[i] == -1 ? old : requested[i];
    TT_CHECK(old == want || old == 1, "expand: shape ", shape_str(shape()),
             " cannot be expanded to ", shape_str(requested), " (dim ", i, ": ", old, " vs ",
             want, ")");
    new_shape[i] = want;
    new_strides[i] = old == want ? strides()[i - lead] : 0;
  }
  Tensor out = make_view(*this, new_shape, new_strides, offset());
  if (needs_grad(*this)) connect(out, std::make_shared<ExpandBackward>(shape()), {*this});
  return out;
}

Tensor Tensor::unsqueeze(int64_t d) const {
  d = wrap_dim(d, dim() + 1, "unsqueeze");
  Shape new_shape = shape(), new_strides = strides();
  int64_t stride = d < dim() ? shape()[d] * strides()[d] : 1;
  new_shape.insert(new_shape.begin() + d, 1);
  new_strides.insert(new_strides.begin() + d, stride);
  return record_reshape(*this, make_view(*this, new_shape, new_strides, offset()));
}

Tensor Tensor::squeeze(int64_t d) const {
  d = wrap_dim(d, dim(), "squeeze");
  if (dim() == 0 || shape()[d] != 1) return record_reshape(*this, make_view(*this, shape(), strides(), offset()));
  Shape new_shape = shape(), new_strides = strides();
  new_shape.erase(new_shape.begin() + d);
  new_strides.erase(new_strides.begin() + d);
  return record_reshape(*this, make_view(*this, new_shape, new_strides, offset()));
}

Tensor Tensor::squeeze() const {
  Shape new_shape, new_strides;
  for (int64_t d = 0; d < dim(); ++d) {
    if (shape()[d] == 1) continue;
    new_shape.push_back(shape()[d]);
    new_strides.push_back(strides()[d]);
  }
  return record_reshape(*this, make_view(*this, new_shape, new_strides, offset()));
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  copy_into(out, *this);
  if (needs_grad(*this)) connect(out, std::make_shared<IdentityBackward>("CloneBackward"), {*this});
  return out;
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor out = empty(shape(), dtype(), device());
  copy_into(out, *this);
  if (needs_grad(*this))
    connect(out, std::make_shared<IdentityBackward>("ContiguousBackward"), {*this});
  return out;
}

Tensor Tensor::to(DType target) const {
  if (target == dtype()) return *this;
  Tensor out = empty(shape(), target, device());
  copy_into(out, *this);
  if (needs_grad(*this)) {
    TT_CHECK(is_floating(target), "to: cannot convert a tensor that requires grad to ",
             dtype_name(target), " (gradients need a floating dtype)");
    connect(out, std::make_shared<ToBackward>(dtype()), {*this});
  }
  return out;
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
  Tensor out = empty(shape(), dtype(), target);
  copy_into(out, *this);
  if (needs_grad(*this)) connect(out, std::make_shared<ToDeviceBackward>(device()), {*this});
  return out;
}

}  // namespace tt

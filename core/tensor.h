// Tensor: a strided view (shape, strides, offset, dtype) of a shared Storage, plus the autograd
// fields (requires_grad, grad, grad_fn). A Tensor is a handle: copies share one TensorImpl, as
// a torch.Tensor does, so autograd can hang gradients on the very object the user holds.
//
// Views (view/reshape, permute, transpose, narrow, expand, unsqueeze, squeeze) share storage
// and never copy; reshape copies only when the strides cannot express the new shape.
// Every view is differentiable; its backward lives in core/ops/view/view.cpp.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "tinytune/core/device.h"
#include "tinytune/core/dtype.h"
#include "tinytune/core/shape.h"
#include "tinytune/core/storage.h"

namespace tt {

class Node;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;       // in elements
  int64_t offset = 0;  // in elements, into storage
  DType dtype = DType::f32;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // accumulated by backward() on leaves
  std::shared_ptr<Node> grad_fn;     // the op that produced this tensor (null on leaves)
};

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (no storage); defined() is false
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- metadata ---------------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  int64_t offset() const { return impl().offset; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t size(int64_t dim) const;  // negative dims count from the end
  int64_t numel() const { return shape_numel(impl().shape); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }

  // Typed pointer to element 0 (storage + offset); T must match dtype().
  template <typename T> T* data() const {
    check_data_type(dtype_of<T>());
    return static_cast<T*>(impl().storage->data()) + impl().offset;
  }
  void* raw_data() const;

  // ---- element access (slow; for tests, printing and scalars) ------------------------------
  // On a CUDA tensor each call is a transfer (and get/item/to_vector wait for the device).
  double item() const;                        // the value of a one-element tensor
  double get(int64_t flat_index) const;       // row-major logical index, through the strides
  void set(int64_t flat_index, double value);  // writes through the strides (no autograd)
  template <typename T> std::vector<T> to_vector() const;  // row-major, converted to T

  // ---- views and copies (differentiable) ---------------------------------------------------
  Tensor view(const Shape& shape) const;     // no copy; throws if strides cannot express it
  Tensor reshape(const Shape& shape) const;  // view when possible, else a contiguous copy
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor expand(const Shape& shape) const;  // broadcast view (stride 0); -1 keeps a size
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze(int64_t dim) const;  // drops dim if its size is 1
  Tensor squeeze() const;             // drops every size-1 dim
  Tensor contiguous() const;          // itself when already contiguous
  Tensor clone() const;               // always a fresh contiguous copy
  Tensor to(DType dtype) const;       // itself when already of that dtype
  // A contiguous copy on `device` (itself when already there). Differentiable: the gradient
  // is copied back to this tensor's device.
  Tensor to(Device device) const;
  // Moves this leaf's data to `device` in place (a contiguous copy there; the old storage is
  // released when no view holds it). Every handle to this tensor sees the move, which is how
  // Module::to moves parameters that optimizers, adapters and other layers share. Drops the
  // gradient. A no-op when already there.
  void move_to(Device device);
  // The same for a dtype: converts this leaf's data in place (Module::to(DType), PyTorch's
  // model.double()).
  void move_to(DType dtype);

  // ---- autograd -----------------------------------------------------------------------------
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& set_requires_grad(bool requires_grad);  // only on leaves
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  const std::shared_ptr<Node>& grad_fn() const { return impl().grad_fn; }
  Tensor grad() const { return Tensor(impl().grad); }  // undefined until a backward reaches it
  void zero_grad() { impl().grad.reset(); }
  Tensor detach() const;  // same storage, cut from the graph
  // Backpropagates from this tensor. `grad` may be omitted only for a one-element tensor.
  // retain_graph keeps saved tensors so the graph can be walked again.
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false) const;

  std::string str() const;  // values, shape and dtype, abbreviated past 6 entries a dim

  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  void check_data_type(DType requested) const;
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& out, const Tensor& tensor);

// ---- creation ---------------------------------------------------------------------------------
Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
Tensor ones(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
Tensor full(const Shape& shape, double value, DType dtype = DType::f32,
            Device device = Device::cpu());
Tensor scalar_tensor(double value, DType dtype = DType::f32,
                     Device device = Device::cpu());  // 0-d
Tensor arange(double start, double end, double step = 1.0, DType dtype = DType::f32);
// Copies `values` (row-major) into a new tensor of the given shape and dtype.
Tensor from_vector(const std::vector<double>& values, const Shape& shape,
                   DType dtype = DType::f32);
Tensor from_vector(const std::vector<float>& values, const Shape& shape);
Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape);
// Writes src's values into dst (same shape; dst may be a strided view; dtypes may differ;
// devices may differ: CPU <-> CUDA transfers, strided CUDA copies by kernel).
// Not differentiable: a kernel-level helper for ops and optimizers.
void copy_into(const Tensor& dst, const Tensor& src);

}  // namespace tt

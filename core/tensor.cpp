#include "tinytune/core/tensor.h"

#include <cmath>
#include <cstring>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "tinytune/core/autograd/engine.h"
#include "tinytune/core/cuda/copy.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/iterate.h"

namespace tt {

TensorImpl& Tensor::impl() const {
  TT_CHECK(impl_ != nullptr, "Tensor: use of an undefined tensor");
  return *impl_;
}

int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t d = dim() - 1; d >= 0; --d) {
    if (shape()[d] != 1 && strides()[d] != expected) return false;
    expected *= shape()[d];
  }
  return true;
}

void Tensor::check_data_type(DType requested) const {
  TT_CHECK(requested == dtype(), "Tensor::data: requested ", dtype_name(requested),
           " from a tensor of dtype ", dtype_name(dtype()));
  TT_CHECK(device().is_cpu(), "Tensor::data: the tensor is on ", device().str(),
           "; host access needs a CPU tensor");
}

void* Tensor::raw_data() const {
  return static_cast<char*>(impl().storage->data()) + impl().offset * dtype_size(dtype());
}

static int64_t element_offset(const Tensor& t, int64_t flat_index) {
  TT_CHECK(flat_index >= 0 && flat_index < t.numel(), "Tensor: element index ", flat_index,
           " is out of range for shape ", shape_str(t.shape()));
  int64_t offset = 0;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    offset += (flat_index % t.shape()[d]) * t.strides()[d];
    flat_index /= t.shape()[d];
  }
  return offset;
}

// The address of the element `offset` elements past element 0 (host or device memory).
// Unused in a build without CUDA.
[[maybe_unused]] static void* element_address(const Tensor& t, int64_t offset) {
  return static_cast<char*>(t.raw_data()) + offset * static_cast<int64_t>(dtype_size(t.dtype()));
}

double Tensor::get(int64_t flat_index) const {
  int64_t offset = element_offset(*this, flat_index);
  return dispatch_storage(dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (device().is_cpu()) return static_cast<double>(data<T>()[offset]);
    T value{};
#ifdef TINYTUNE_WITH_CUDA
    cuda::copy_device_to_host(&value, element_address(*this, offset), sizeof(T));
#else
    cuda::built_without_cuda("Tensor::get");
#endif
    return static_cast<double>(value);
  });
}

void Tensor::set(int64_t flat_index, double value) {
  int64_t offset = element_offset(*this, flat_index);
  dispatch_storage(dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (device().is_cpu()) {
      data<T>()[offset] = static_cast<T>(value);
      return;
    }
    const T converted = static_cast<T>(value);
#ifdef TINYTUNE_WITH_CUDA
    cuda::copy_host_to_device(element_address(*this, offset), &converted, sizeof(T));
#else
    (void)converted;
    cuda::built_without_cuda("Tensor::set");
#endif
  });
}

double Tensor::item() const {
  TT_CHECK(numel() == 1, "item: expected a one-element tensor, got shape ", shape_str(shape()));
  return get(0);
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  Tensor c = device().is_cpu() ? detach().contiguous() : detach().to(Device::cpu());
  std::vector<T> out(c.numel());
  dispatch_storage(c.dtype(), [&](auto tag) {
    using S = decltype(tag);
    const S* src = c.data<S>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(src[i]);
  });
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int32_t> Tensor::to_vector<int32_t>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;

Tensor& Tensor::set_requires_grad(bool requires_grad) {
  TT_CHECK(is_leaf(), "set_requires_grad: only leaf tensors can change requires_grad; "
           "use detach() to make a leaf from an op's output");
  TT_CHECK(!requires_grad || is_floating(dtype()), "set_requires_grad: only floating tensors "
           "can require grad, got ", dtype_name(dtype()));
  impl().requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::detach() const {
  auto out = std::make_shared<TensorImpl>();
  out->storage = impl().storage;
  out->shape = impl().shape;
  out->strides = impl().strides;
  out->offset = impl().offset;
  out->dtype = impl().dtype;
  return Tensor(std::move(out));
}

void Tensor::move_to(Device target) {
  if (target == device()) return;
  TT_CHECK(is_leaf(), "move_to: only a leaf tensor can move in place (this one has a grad_fn)");
  Tensor moved = detach().to(target);
  impl().storage = moved.storage();
  impl().strides = moved.strides();
  impl().offset = moved.offset();
  impl().grad.reset();
}

void Tensor::move_to(DType target) {
  if (target == dtype()) return;
  TT_CHECK(is_leaf(), "move_to: only a leaf tensor can change dtype in place (this one has a grad_fn)");
  TT_CHECK(!requires_grad() || is_floating(target), "move_to: a tensor that requires grad cannot "
           "become ", dtype_name(target), " (gradients need a floating dtype)");
  Tensor converted = detach().to(target);
  impl().storage = converted.storage();
  impl().strides = converted.strides();
  impl().offset = converted.offset();
  impl().dtype = target;
  impl().grad.reset();
}

void Tensor::backward(const Tensor& grad, bool retain_graph) const {
  run_backward(*this, grad, retain_graph);
}

// ---- printing -----------------------------------------------------------------------------

static void print_values(std::ostream& out, const Tensor& t, int64_t d, int64_t base) {
  constexpr int64_t kEdge = 3;  // entries shown at each end of a long dim
  if (t.dim() == 0) {
    out << t.get(0);
    return;
  }
  int64_t n = t.shape()[d];
  int64_t inner = 1;
  for (int64_t k = d + 1; k < t.dim(); ++k) inner *= t.shape()[k];
  out << '[';
  for (int64_t i = 0; i < n; ++i) {
    if (n > 2 * kEdge && i == kEdge) {
      out << "..., ";
      i = n - kEdge;
    }
    if (d == t.dim() - 1)
      out << t.get(base + i);
    else
      print_values(out, t, d + 1, base + i * inner);
    if (i + 1 < n) out << ", ";
  }
  out << ']';
}

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  std::ostringstream out;
  out << std::setprecision(6) << "tensor(";
  // One transfer for the whole tensor rather than one per printed element.
  print_values(out, device().is_cpu() ? *this : detach().to(Device::cpu()), 0, 0);
  out << ", shape=" << shape_str(shape()) << ", dtype=" << dtype_name(dtype());
  if (!device().is_cpu()) out << ", device=" << device().str();
  if (requires_grad()) out << ", requires_grad";
  out << ')';
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Tensor& tensor) { return out << tensor.str(); }

// ---- creation -----------------------------------------------------------------------------

Tensor empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t s : shape)
    TT_CHECK(s >= 0, "empty: negative size in shape ", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(shape_numel(shape) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor out = empty(shape, dtype, device);
  if (device.type == DeviceType::cuda) {
#ifdef TINYTUNE_WITH_CUDA
    cuda::fill(out, value);
    return out;
#else
    cuda::built_without_cuda("full");
#endif
  }
  dispatch_storage(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data<T>();
    const T v = static_cast<T>(value);
    const int64_t n = out.numel();
    for (int64_t i = 0; i < n; ++i) p[i] = v;
  });
  return out;
}

Tensor zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0.0, dtype, device);
}
Tensor ones(const Shape& shape, DType dtype, Device device) {
  return full(shape, 1.0, dtype, device);
}
Tensor scalar_tensor(double value, DType dtype, Device device) {
  return full({}, value, dtype, device);
}

Tensor arange(double start, double end, double step, DType dtype) {
  TT_CHECK(step != 0.0, "arange: step must be non-zero");
  int64_t n = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((end - start) / step)));
  Tensor out = empty({n}, dtype);
  for (int64_t i = 0; i < n; ++i) out.set(i, start + static_cast<double>(i) * step);
  return out;
}

template <typename V>
static Tensor from_values(const std::vector<V>& values, const Shape& shape, DType dtype) {
  TT_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape), "from_vector: ",
           values.size(), " values do not fill shape ", shape_str(shape), " (",
           shape_numel(shape), " elements)");
  Tensor out = empty(shape, dtype);
  dispatch_all(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data<T>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
  });
  return out;
}

Tensor from_vector(const std::vector<double>& values, const Shape& shape, DType dtype) {
  return from_values(values, shape, dtype);
}
Tensor from_vector(const std::vector<float>& values, const Shape& shape) {
  return from_values(values, shape, DType::f32);
}
Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape) {
  return from_values(values, shape, DType::i64);
}

// Both tensors on the CPU: memcpy when the layouts agree, else the strided iterator.
static void copy_on_cpu(const Tensor& dst, const Tensor& src) {
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous()) {
    std::memcpy(dst.raw_data(), src.raw_data(), dst.numel() * dtype_size(dst.dtype()));
    return;
  }
  dispatch_storage(dst.dtype(), [&](auto dst_tag) {
    using D = decltype(dst_tag);
    dispatch_storage(src.dtype(), [&](auto src_tag) {
      using S = decltype(src_tag);
      D* out = dst.data<D>();
      const S* in = src.data<S>();
      for_each_offset<2>(dst.shape(), {&dst.strides(), &src.strides()},
                         [&](const std::array<int64_t, 2>& o) {
                           out[o[0]] = static_cast<D>(in[o[1]]);
                         });
    });
  });
}

#ifdef TINYTUNE_WITH_CUDA
// At least one side on a CUDA device. Transfers move contiguous bytes of one dtype; strides
// and dtype conversion are done on the side that has them (a CUDA kernel or the CPU loop),
// through a contiguous staging tensor where needed.
static void copy_with_cuda(const Tensor& dst, const Tensor& src) {
  const size_t src_bytes = static_cast<size_t>(src.numel()) * dtype_size(src.dtype());
  if (!dst.device().is_cpu() && !src.device().is_cpu()) {
    TT_CHECK(dst.device() == src.device(), "copy_into: source on ", src.device().str(),
             " and destination on ", dst.device().str(),
             "; copies between two CUDA devices are not supported");
    cuda::copy_strided(dst, src);
    return;
  }
  if (src.numel() == 0) return;
  const bool same_layout =
      dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous();
  if (src.device().is_cpu()) {  // host -> device
    if (same_layout) return cuda::copy_host_to_device(dst.raw_data(), src.raw_data(), src_bytes);
    Tensor host = src;
    if (!src.is_contiguous()) {
      host = empty(src.shape(), src.dtype());
      copy_on_cpu(host, src);
    }
    Tensor staged = empty(src.shape(), src.dtype(), dst.device());
    cuda::copy_host_to_device(staged.raw_data(), host.raw_data(), src_bytes);
    cuda::copy_strided(dst, staged);
    return;
  }
  // device -> host
  if (same_layout) return cuda::copy_device_to_host(dst.raw_data(), src.raw_data(), src_bytes);
  Tensor packed = src;
  if (!src.is_contiguous()) {
    packed = empty(src.shape(), src.dtype(), src.device());
    cuda::copy_strided(packed, src);
  }
  Tensor host = empty(src.shape(), src.dtype());
  cuda::copy_device_to_host(host.raw_data(), packed.raw_data(), src_bytes);
  copy_on_cpu(dst, host);
}
#endif

void copy_into(const Tensor& dst, const Tensor& src) {
  TT_CHECK(dst.shape() == src.shape(), "copy_into: destination shape ", shape_str(dst.shape()),
           " differs from source shape ", shape_str(src.shape()));
  if (dst.device().is_cpu() && src.device().is_cpu()) return copy_on_cpu(dst, src);
#ifdef TINYTUNE_WITH_CUDA
  copy_with_cuda(dst, src);
#else
  cuda::built_without_cuda("copy_into");
#endif
}

}  // namespace tt

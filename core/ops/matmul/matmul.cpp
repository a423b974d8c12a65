// matmul.
//
// Forward:  C = A · B over broadcast batch dims (core/blas/gemm.h does the work).
// Backward: dA = sum_to(G · Bᵀ, A.shape),   dB = sum_to(Aᵀ · G, B.shape)
// Bᵀ and Aᵀ are transposed views: GEMM reads them as transposes, nothing is copied.
//
// Precision: CPU always computes in the tensors' dtype (f32 or f64). On CUDA (f32 only), under
// bf16 autocast (core/autocast.h) both products round their inputs to bf16 and accumulate in
// fp32; the backward uses the precision its forward used, whatever the switch says then.
#include "tinytune/core/ops/matmul/matmul.h"

#include "tinytune/core/autocast.h"
#include "tinytune/core/autograd/node.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/matmul/matmul_kernels.h"
#include "tinytune/core/ops/reduce/reduce.h"

namespace tt {

namespace {

struct MatmulBackward : Node {
  Tensor a, b;
  bool autocast;  // the bf16 autocast switch at the forward
  MatmulBackward(Tensor a_, Tensor b_, bool autocast_)
      : a(std::move(a_)), b(std::move(b_)), autocast(autocast_) {}
  const char* name() const override { return "MatmulBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    AutocastBf16 same_precision(autocast);
    return {input_needs_grad(0) ? sum_to(matmul(g, b.transpose(-1, -2)), a.shape()) : Tensor(),
            input_needs_grad(1) ? sum_to(matmul(a.transpose(-1, -2), g), b.shape()) : Tensor()};
  }
  void release() override { a = b = Tensor(); }
};

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  TT_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: both operands need at least 1 dim, got ",
           shape_str(a.shape()), " and ", shape_str(b.shape()));
  TT_CHECK(a.dtype() == b.dtype(), "matmul: dtype mismatch: ", dtype_name(a.dtype()),
           " tensor of shape ", shape_str(a.shape()), " and ", dtype_name(b.dtype()),
           " tensor of shape ", shape_str(b.shape()));
  TT_CHECK(a.dtype() != DType::bf16, "matmul: bf16 tensors are storage-only; pass f32 tensors "
           "and switch on tt::AutocastBf16 (core/autocast.h) for bf16 tensor-core products");
  TT_CHECK(is_floating(a.dtype()), "matmul: expected floating tensors, got ",
           dtype_name(a.dtype()));
  TT_CHECK(a.device() == b.device(), "matmul: tensors on different devices (",
           a.device().str(), " tensor of shape ", shape_str(a.shape()), ", ", b.device().str(),
           " tensor of shape ", shape_str(b.shape()), ")");
  // Vectors become matrices through views (so autograd covers them) and the dim is dropped.
  if (a.dim() == 1) return matmul(a.unsqueeze(0), b).squeeze(-2);
  if (b.dim() == 1) return matmul(a, b.unsqueeze(1)).squeeze(-1);
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  TT_CHECK(b.size(-2) == K, "matmul: shapes ", shape_str(a.shape()), " and ",
           shape_str(b.shape()), " cannot be multiplied (a.size(-1) = ", K,
           " but b.size(-2) = ", b.size(-2), ")");
  // [..., M, K] · [K, N] is one GEMM of (batch·M) rows when a's rows are contiguous: this is
  // every Linear layer, and it keeps dB a single GEMM instead of a batch summed afterwards.
  if (b.dim() == 2 && a.dim() > 2 && a.is_contiguous()) {
    Shape out_shape(a.shape().begin(), a.shape().end() - 1);
    out_shape.push_back(N);
    return matmul(a.reshape({-1, K}), b).reshape(out_shape);
  }
  Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  Shape out_shape = broadcast_shapes(a_batch, b_batch, "matmul");
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor out = empty(out_shape, a.dtype(), a.device());
  switch (a.device().type) {
    case DeviceType::cpu: cpu::matmul_forward(a, b, out); break;
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      cuda::matmul_forward(a, b, out,
                           autocast_bf16() ? MatmulPrecision::bf16 : MatmulPrecision::f32);
      break;
#else
      cuda::built_without_cuda("matmul");
#endif
  }
  if (needs_grad(a, b))
    connect(out, std::make_shared<MatmulBackward>(a.detach(), b.detach(), autocast_bf16()),
            {a, b});
  return out;
}

}  // namespace tt

// matmul.
//
// Forward:  C = A · B over broadcast batch dims (core/blas/gemm.h does the work).
// Backward: dA = sum_to(G · Bᵀ, A.shape),   dB = sum_to(Aᵀ · G, B.shape)
// Bᵀ and Aᵀ are transposed views: GEMM reads them as transposes, nothing is copied.
#include "core/ops/matmul/matmul.h"

#include "core/autograd/node.h"
#include "core/ops/matmul/matmul_kernels.h"
#include "core/ops/reduce/reduce.h"

namespace tt {

namespace {

struct MatmulBackward : Node {
  Tensor a, b;
  MatmulBackward(Tensor a_, Tensor b_) : a(std::move(a_)), b(std::move(b_)) {}
  const char* name() const override { return "MatmulBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
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
  TT_CHECK(is_floating(a.dtype()), "matmul: expected floating tensors, got ",
           dtype_name(a.dtype()));
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
    case DeviceType::cuda: throw Error("matmul: built without CUDA");
  }
  if (needs_grad(a, b)) connect(out, std::make_shared<MatmulBackward>(a.detach(), b.detach()), {a, b});
  return out;
}

}  // namespace tt

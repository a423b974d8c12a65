// CPU matmul: one GEMM call per batch entry. Operands are passed to GEMM as they lie in memory
// when a row or a column stride is 1 (a transposed view is a transposed GEMM operand); any
// other layout is copied to contiguous first. Many small batched products (attention heads)
// are spread over threads, one single-threaded GEMM each; a lone large product is threaded
// inside GEMM.
#include <omp.h>

#include "tinytune/core/blas/gemm.h"
#include "tinytune/core/ops/matmul/matmul_kernels.h"

namespace tt::cpu {

namespace {

struct BlasOperand {
  Tensor tensor;       // the tensor whose memory GEMM reads (maybe a contiguous copy)
  bool trans = false;  // stored as the transpose of the logical [rows, cols]
  int64_t ld = 0;      // leading dim of the stored row-major matrix
};

BlasOperand as_blas_operand(const Tensor& t) {
  const int64_t rows = t.size(-2), cols = t.size(-1);
  const int64_t rs = t.strides()[t.dim() - 2], cs = t.strides()[t.dim() - 1];
  if ((cs == 1 || cols == 1) && (rows == 1 || rs >= std::max<int64_t>(cols, 1)))
    return {t, false, rows == 1 ? std::max<int64_t>(cols, 1) : rs};
  if ((rs == 1 || rows == 1) && (cols == 1 || cs >= std::max<int64_t>(rows, 1)))
    return {t, true, cols == 1 ? std::max<int64_t>(rows, 1) : cs};
  Tensor c = t.contiguous();
  return {c, false, std::max<int64_t>(cols, 1)};
}

}  // namespace

void matmul_forward(const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t M = out.size(-2), N = out.size(-1), K = a.size(-1);
  Shape batch_shape(out.shape().begin(), out.shape().end() - 2);
  const int64_t batch = shape_numel(batch_shape);
  BlasOperand A = as_blas_operand(a), B = as_blas_operand(b);
  Shape a_batch_shape(A.tensor.shape().begin(), A.tensor.shape().end() - 2);
  Shape a_batch_strides(A.tensor.strides().begin(), A.tensor.strides().end() - 2);
  Shape b_batch_shape(B.tensor.shape().begin(), B.tensor.shape().end() - 2);
  Shape b_batch_strides(B.tensor.strides().begin(), B.tensor.strides().end() - 2);
  Shape sa = broadcast_strides(a_batch_shape, a_batch_strides, batch_shape);
  Shape sb = broadcast_strides(b_batch_shape, b_batch_strides, batch_shape);
  auto batch_offset = [&](int64_t index, const Shape& strides) {
    int64_t offset = 0;
    for (int64_t d = static_cast<int64_t>(batch_shape.size()) - 1; d >= 0; --d) {
      offset += (index % batch_shape[d]) * strides[d];
      index /= batch_shape[d];
    }
    return offset;
  };
  // OpenBLAS is not called from inside our own parallel region (its threads are its own).
  const bool split_batch = batch >= omp_get_max_threads() &&
                           blas::gemm_backend() == blas::GemmBackend::own;
  dispatch_floating(out.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    const T* pa = A.tensor.template data<T>();
    const T* pb = B.tensor.template data<T>();
    T* pc = out.data<T>();
    auto one = [&](int64_t i) {
      blas::gemm(A.trans, B.trans, M, N, K, T(1), pa + batch_offset(i, sa), A.ld,
                 pb + batch_offset(i, sb), B.ld, T(0), pc + i * M * N, N);
    };
    // Two explicit branches, not `parallel for if (...)`: an inactive parallel region still
    // counts as a nesting level in libgomp, which then gives GEMM's own region one thread.
    if (split_batch) {
#pragma omp parallel for
      for (int64_t i = 0; i < batch; ++i) one(i);
    } else {
      for (int64_t i = 0; i < batch; ++i) one(i);
    }
  });
}

}  // namespace tt::cpu


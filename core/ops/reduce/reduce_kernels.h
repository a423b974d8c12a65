// Kernel entry points of the reductions, called by reduce.cpp.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

namespace cpu {
// out[r] = sum_c x[r, c] for x contiguous [rows, cols]; accumulation in double.
void sum_rows(const Tensor& x, const Tensor& out, int64_t rows, int64_t cols);
// out[c] = sum_r x[r, c] for x contiguous [rows, cols]: the same double sums, in the same order,
// as sum_rows over x's transpose, without making that transposed copy.
void sum_columns(const Tensor& x, const Tensor& out, int64_t rows, int64_t cols);
// x contiguous, read as [outer, n, inner]; values/indices [outer, inner].
void max_along(const Tensor& x, const Tensor& values, const Tensor& indices, int64_t outer,
               int64_t n, int64_t inner);
// grad_x (zeroed, [outer, n, inner]) receives grad[o, i] at (o, indices[o, i], i).
void max_backward(const Tensor& grad, const Tensor& indices, const Tensor& grad_x,
                  int64_t outer, int64_t n, int64_t inner);
}  // namespace cpu

namespace cuda {
// The same contracts on the current CUDA device (reduce_cuda.cu). Deterministic: every output
// is written by one thread after a fixed-order tree reduction (no atomics), so a shape gives
// the same bits on every run; the order differs from the CPU's sequential sum.
void sum_rows(const Tensor& x, const Tensor& out, int64_t rows, int64_t cols);
void max_along(const Tensor& x, const Tensor& values, const Tensor& indices, int64_t outer,
               int64_t n, int64_t inner);
void max_backward(const Tensor& grad, const Tensor& indices, const Tensor& grad_x,
                  int64_t outer, int64_t n, int64_t inner);
}  // namespace cuda

}  // namespace tt

// Reductions over dims: sum, mean, max (with argmax), and sum_to (the adjoint of broadcasting).
#pragma once
#include <vector>

#include "tinytune/core/tensor.h"

namespace tt {

Tensor sum(const Tensor& x);  // over every element, a 0-d tensor
// Over `dims` (negative counts from the end; empty means every dim).
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
// The largest value along `dim`; its gradient goes to the first position holding it.
Tensor max(const Tensor& x, int64_t dim, bool keepdim = false);
// Index (i64) of the first largest value along `dim`. Not differentiable.
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
// Sums a broadcast gradient back down to `shape` (which must broadcast to x's shape).
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace tt

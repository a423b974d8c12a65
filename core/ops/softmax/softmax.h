// softmax and log_softmax along one dim (numerically stable: the max is subtracted first).
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

// A line whose every entry is -inf (a fully masked attention row) gives softmax zeros and a
// zero gradient, where the plain formula gives 0/0 = NaN (PyTorch's softmax does): such a
// row attends to nothing. log_softmax of such a line stays NaN (log 0 - log 0). NaN inputs
// still give NaN.
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace tt

// softmax and log_softmax along one dim (numerically stable: the max is subtracted first).
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace tt

// Concatenation along an existing dim.
#pragma once
#include <vector>

#include "tinytune/core/tensor.h"

namespace tt {

Tensor concat(const std::vector<Tensor>& tensors, int64_t dim);

}  // namespace tt

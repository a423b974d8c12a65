// Inverted dropout: in training, zero each element with probability p and scale the rest by
// 1/(1-p); in eval mode, the identity.
#pragma once
#include "tinytune/core/random.h"
#include "tinytune/core/tensor.h"

namespace tt {

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen = default_generator());

}  // namespace tt

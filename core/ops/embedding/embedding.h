// Embedding lookup: rows of a [num_embeddings, dim] table picked by integer indices.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

// weight [V, D] (floating), indices i32/i64 of any shape -> [*indices.shape, D].
Tensor embedding(const Tensor& weight, const Tensor& indices);

}  // namespace tt

// Cross-entropy from logits (log_softmax + negative log-likelihood, fused), mean over the rows
// whose target is not ignore_index — PyTorch's F.cross_entropy with reduction='mean'.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt {

// logits [N, C] floating; target [N] i32/i64 with values in [0, C) or ignore_index.
// Returns a 0-d tensor; NaN when every row is ignored (as PyTorch).
Tensor cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index = -100);

}  // namespace tt

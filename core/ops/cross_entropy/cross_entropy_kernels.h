// Kernel entry points of cross_entropy. logits contiguous [N, C], target contiguous i64 [N].
#pragma once
#include "core/tensor.h"

namespace tt::cpu {

// Returns Σ over counted rows of (logsumexp(row) - row[target]).
double cross_entropy_sum(const Tensor& logits, const Tensor& target, int64_t ignore_index);
// grad_logits[n] = scale * (softmax(row n) - onehot(target n)), 0 on ignored rows.
void cross_entropy_backward(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                            double scale, const Tensor& grad_logits);

}  // namespace tt::cpu

// Kernel entry points of cross_entropy, one namespace per device (the cuda:: ones are defined
// in cross_entropy_cuda.cu, built only with CUDA). logits contiguous [N, C], target contiguous
// i64 [N] on the logits' device, already range-checked.
#pragma once
#include "tinytune/core/tensor.h"

namespace tt::cpu {

// Returns Σ over counted rows of (logsumexp(row) - row[target]).
double cross_entropy_sum(const Tensor& logits, const Tensor& target, int64_t ignore_index);
// grad_logits[n] = scale * (softmax(row n) - onehot(target n)), 0 on ignored rows.
void cross_entropy_backward(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                            double scale, const Tensor& grad_logits);

}  // namespace tt::cpu

namespace tt::cuda {

// Writes Σ over counted rows of (logsumexp(row) - row[target]), divided by count (> 0), into
// the 0-d `loss` (logits' dtype, on the device). Summed in a fixed order.
void cross_entropy_forward(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                           int64_t count, const Tensor& loss);
// grad_logits[n] = (grad_loss / count) * (softmax(row n) - onehot(target n)), 0 on ignored
// rows; grad_loss is the 0-d gradient of the loss, read on the device.
void cross_entropy_backward(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                            int64_t count, const Tensor& grad_loss, const Tensor& grad_logits);

}  // namespace tt::cuda

// Kernel entry points of dropout, one per device. Both compute the same function, so the
// devices agree bit for bit (and the backward regenerates the mask instead of storing it):
//   out[i] = in[i] * (u_i < 1 - p ? T(1 / (1 - p)) : 0)
// where u_i is the uniform of element i (row-major) of a draw from counter `start` under `seed`
// (core/random_math.h: element_uniform), i.e. exactly bernoulli(1 - p) times 1 / (1 - p).
// in: any strides; out: contiguous, same shape and dtype (f32 or f64), on in's device.
#pragma once
#include <cstdint>

#include "tinytune/core/tensor.h"

namespace tt::cpu {
void dropout_apply(const Tensor& in, const Tensor& out, double p, uint64_t seed, uint64_t start);
}  // namespace tt::cpu

namespace tt::cuda {
void dropout_apply(const Tensor& in, const Tensor& out, double p, uint64_t seed, uint64_t start);
}  // namespace tt::cuda

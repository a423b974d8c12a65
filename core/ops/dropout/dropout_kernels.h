// Kernel entry point of dropout's CUDA path (the CPU path is a composite of bernoulli and mul,
// see dropout.cpp).
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace tt::cuda {

// out[i] = in[i] * (u_i < 1 - p ? 1 / (1 - p) : 0), u_i the uniform of element i (row-major)
// of a draw from counter `start` under `seed` (core/random_math.h). in: any strides; out:
// contiguous, same shape and dtype (f32 or f64), on the current CUDA device.
void dropout_apply(const Tensor& in, const Tensor& out, double p, uint64_t seed, uint64_t start);

}  // namespace tt::cuda

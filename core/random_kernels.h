// Kernel entry point of the random draws (core/random.cpp), CUDA side; the CPU loop is in
// random.cpp itself.
#pragma once
#include <cstdint>

#include "tinytune/core/random_math.h"
#include "tinytune/core/tensor.h"

namespace tt::cuda {

// Fills `out` (contiguous, f32 or f64, on the current CUDA device) with the values of a draw
// whose first counter is `start` (transform in core/random_math.h).
void random_draw(const Tensor& out, random_math::Distribution dist, double a, double b,
                 uint64_t seed, uint64_t start);

}  // namespace tt::cuda

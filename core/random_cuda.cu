// CUDA random draws: one thread per counter (pair of elements), the arithmetic of
// core/random_math.h. This file is compiled with -fmad=false (CMakeLists.txt) so no FMA
// changes a rounding: the values equal the CPU draw's bit for bit.
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/random_kernels.h"

namespace tt::cuda {

namespace {

template <typename T>
__global__ void random_draw_kernel(T* out, int64_t n, int64_t pairs,
                                   random_math::Distribution dist, double a, double b,
                                   uint64_t seed, uint64_t start) {
  TT_GRID_STRIDE_LOOP(k, pairs) {
    const random_math::Pair v = random_math::draw_pair(dist, a, b, seed, start, k);
    out[2 * k] = static_cast<T>(v.first);
    if (2 * k + 1 < n) out[2 * k + 1] = static_cast<T>(v.second);
  }
}

}  // namespace

void random_draw(const Tensor& out, random_math::Distribution dist, double a, double b,
                 uint64_t seed, uint64_t start) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const int64_t pairs = (n + 1) / 2;
  dispatch_floating(out.dtype(), "random draw", [&](auto tag) {
    using T = decltype(tag);
    random_draw_kernel<T><<<blocks_for(pairs, kThreads), kThreads, 0, current_stream()>>>(
        device_data<T>(out), n, pairs, dist, a, b, seed, start);
    TT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace tt::cuda

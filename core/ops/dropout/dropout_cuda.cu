// CUDA dropout: the mask is recomputed from the Philox counters, never stored. The keep test
// (u < 1 - p in double) and the scale (1 / (1 - p) rounded to T) are bernoulli's and mul's on
// the CPU, so the output equals the CPU composite bit for bit.
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/ops/dropout/dropout_kernels.h"
#include "tinytune/core/random_math.h"

namespace tt::cuda {

namespace {

template <typename T>
__global__ void dropout_kernel(const T* in, StridedIndexer in_index, T* out, int64_t n,
                               double keep_prob, T scale, uint64_t seed, uint64_t start) {
  TT_GRID_STRIDE_LOOP(i, n) {
    const bool keep = random_math::element_uniform(seed, start, i) < keep_prob;
    out[i] = in[in_index(i)] * (keep ? scale : T(0));
  }
}

}  // namespace

void dropout_apply(const Tensor& in, const Tensor& out, double p, uint64_t seed,
                   uint64_t start) {
  const int64_t n = out.numel();
  if (n == 0) return;
  dispatch_floating(out.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    dropout_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, current_stream()>>>(
        device_data<T>(in), StridedIndexer(in.shape(), in.strides(), 0), device_data<T>(out), n,
        1.0 - p, static_cast<T>(1.0 / (1.0 - p)), seed, start);
    TT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace tt::cuda

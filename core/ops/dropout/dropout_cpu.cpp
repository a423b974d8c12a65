// CPU dropout: the keep mask is computed on the fly from the Philox counters, 16 counters (32
// elements) at a time, and never stored; the backward recomputes it. The keep test is done in
// integers (random_math::unit_bits < unit_threshold(1 - p)), which is exactly bernoulli's
// double test u < 1 - p, so the output equals bernoulli(1 - p) * (1 / (1 - p)) * x bit for bit
// (tests/ops/test_fused_ops.cpp holds that composite as the oracle).
#include <algorithm>

#include "core/ops/dropout/dropout_kernels.h"
#include "core/ops/iterate.h"
#include "core/random_math.h"

namespace tt::cpu {

void dropout_apply(const Tensor& in, const Tensor& out, double p, uint64_t seed, uint64_t start) {
  using random_math::kPhiloxLanes;
  const Tensor x = in.contiguous();
  const int64_t n = out.numel();
  const uint64_t threshold = random_math::unit_threshold(1.0 - p);
  constexpr int64_t kBlock = 2 * kPhiloxLanes;  // elements per block: two per counter
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  dispatch_floating(out.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    const T scale = static_cast<T>(1.0 / (1.0 - p));
    const T* src = x.data<T>();
    T* dst = out.data<T>();
#pragma omp parallel for if (n >= kParallelGrain)
    for (int64_t b = 0; b < blocks; ++b) {
      uint32_t words[4][kPhiloxLanes];
      random_math::philox4x32_lanes(start + static_cast<uint64_t>(b * kPhiloxLanes), seed, words);
      const int64_t first = b * kBlock, count = std::min(kBlock, n - first);
      for (int64_t j = 0; j < count; ++j) {
        // Element 2l takes words 0-1 of counter l, element 2l + 1 words 2-3 (element_uniform).
        const int64_t l = j / 2, w = 2 * (j % 2);
        const bool keep = random_math::unit_bits(words[w][l], words[w + 1][l]) < threshold;
        dst[first + j] = src[first + j] * (keep ? scale : T(0));
      }
    }
  });
}

}  // namespace tt::cpu

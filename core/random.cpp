// CPU draws, and the dispatch to the CUDA ones (core/random_cuda.cu). The arithmetic of both
// lives in core/random_math.h, so a CUDA draw equals the CPU draw bit for bit.
#include "tinytune/core/random.h"

#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/iterate.h"
#include "tinytune/core/random_kernels.h"
#include "tinytune/core/random_math.h"

namespace tt {

std::array<uint32_t, 4> philox4x32(uint64_t counter_lo, uint64_t counter_hi, uint64_t key) {
  const random_math::Words r = random_math::philox4x32(counter_lo, counter_hi, key);
  return {r.w[0], r.w[1], r.w[2], r.w[3]};
}

Generator& default_generator() {
  static Generator generator(0);
  return generator;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

namespace {

using random_math::Distribution;

// Fills a new contiguous tensor on `device` with element values that depend only on
// (seed, first counter, element index): one counter per pair of elements.
Tensor draw(const Shape& shape, DType dtype, Device device, Generator& gen, const char* op,
            Distribution dist, double a, double b) {
  TT_CHECK(is_floating(dtype), op, ": expected a floating dtype, got ", dtype_name(dtype));
  Tensor out = empty(shape, dtype, device);
  const int64_t n = out.numel();
  const int64_t pairs = (n + 1) / 2;
  const uint64_t start = gen.advance(static_cast<uint64_t>(pairs));
  switch (device.type) {
    case DeviceType::cpu:
      dispatch_floating(dtype, op, [&](auto tag) {
        using T = decltype(tag);
        T* p = out.data<T>();
#pragma omp parallel for if (n >= kParallelGrain)
        for (int64_t k = 0; k < pairs; ++k) {
          const random_math::Pair v = random_math::draw_pair(dist, a, b, gen.seed(), start, k);
          p[2 * k] = static_cast<T>(v.first);
          if (2 * k + 1 < n) p[2 * k + 1] = static_cast<T>(v.second);
        }
      });
      break;
    case DeviceType::cuda:
#ifdef TINYTUNE_WITH_CUDA
      cuda::random_draw(out, dist, a, b, gen.seed(), start);
      break;
#else
      cuda::built_without_cuda(op);
#endif
  }
  return out;
}

}  // namespace

Tensor uniform(const Shape& shape, double low, double high, DType dtype, Generator& gen,
               Device device) {
  TT_CHECK(low <= high, "uniform: low (", low, ") must not exceed high (", high, ")");
  return draw(shape, dtype, device, gen, "uniform", Distribution::uniform, low, high);
}

Tensor normal(const Shape& shape, double mean, double stddev, DType dtype, Generator& gen,
              Device device) {
  TT_CHECK(stddev >= 0, "normal: stddev must be >= 0, got ", stddev);
  return draw(shape, dtype, device, gen, "normal", Distribution::normal, mean, stddev);
}

Tensor bernoulli(const Shape& shape, double p, DType dtype, Generator& gen, Device device) {
  TT_CHECK(p >= 0.0 && p <= 1.0, "bernoulli: p must be in [0, 1], got ", p);
  return draw(shape, dtype, device, gen, "bernoulli", Distribution::bernoulli, p, 0.0);
}

}  // namespace tt

#include "core/random.h"

#include <cmath>

#include "core/ops/iterate.h"

namespace tt {

std::array<uint32_t, 4> philox4x32(uint64_t counter_lo, uint64_t counter_hi, uint64_t key) {
  constexpr uint32_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;
  constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;
  uint32_t c0 = static_cast<uint32_t>(counter_lo), c1 = static_cast<uint32_t>(counter_lo >> 32);
  uint32_t c2 = static_cast<uint32_t>(counter_hi), c3 = static_cast<uint32_t>(counter_hi >> 32);
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = static_cast<uint64_t>(kMul0) * c0;
    uint64_t p1 = static_cast<uint64_t>(kMul1) * c2;
    uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return {c0, c1, c2, c3};
}

Generator& default_generator() {
  static Generator generator(0);
  return generator;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

namespace {

// A uniform double in [0, 1) from two 32-bit words (53 random bits).
inline double unit_double(uint32_t hi, uint32_t lo) {
  uint64_t bits = (static_cast<uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(bits & ((1ULL << 53) - 1)) * (1.0 / 9007199254740992.0);
}

// Fills `out` (contiguous) with f(u0, u1) of two uniforms per element; one counter per pair of
// elements. `f` returns the two values for elements 2k and 2k+1 (Box-Muller needs pairs).
template <typename F>
Tensor draw(const Shape& shape, DType dtype, Generator& gen, const char* op, F f) {
  TT_CHECK(is_floating(dtype), op, ": expected a floating dtype, got ", dtype_name(dtype));
  Tensor out = empty(shape, dtype);
  const int64_t n = out.numel();
  const int64_t pairs = (n + 1) / 2;
  const uint64_t start = gen.advance(static_cast<uint64_t>(pairs));
  dispatch_floating(dtype, op, [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data<T>();
#pragma omp parallel for if (n >= kParallelGrain)
    for (int64_t k = 0; k < pairs; ++k) {
      auto w = philox4x32(start + static_cast<uint64_t>(k), 0, gen.seed());
      auto [a, b] = f(unit_double(w[0], w[1]), unit_double(w[2], w[3]));
      p[2 * k] = static_cast<T>(a);
      if (2 * k + 1 < n) p[2 * k + 1] = static_cast<T>(b);
    }
  });
  return out;
}

}  // namespace

Tensor uniform(const Shape& shape, double low, double high, DType dtype, Generator& gen) {
  TT_CHECK(low <= high, "uniform: low (", low, ") must not exceed high (", high, ")");
  return draw(shape, dtype, gen, "uniform", [&](double u0, double u1) {
    return std::pair{low + (high - low) * u0, low + (high - low) * u1};
  });
}

Tensor normal(const Shape& shape, double mean, double stddev, DType dtype, Generator& gen) {
  TT_CHECK(stddev >= 0, "normal: stddev must be >= 0, got ", stddev);
  return draw(shape, dtype, gen, "normal", [&](double u0, double u1) {
    // Box-Muller; 1 - u0 lies in (0, 1], so the log is finite.
    double radius = std::sqrt(-2.0 * std::log(1.0 - u0));
    double angle = 2.0 * M_PI * u1;
    return std::pair{mean + stddev * radius * std::cos(angle),
                     mean + stddev * radius * std::sin(angle)};
  });
}

Tensor bernoulli(const Shape& shape, double p, DType dtype, Generator& gen) {
  TT_CHECK(p >= 0.0 && p <= 1.0, "bernoulli: p must be in [0, 1], got ", p);
  return draw(shape, dtype, gen, "bernoulli", [&](double u0, double u1) {
    return std::pair{u0 < p ? 1.0 : 0.0, u1 < p ? 1.0 : 0.0};
  });
}

}  // namespace tt

// Vectorisable float exp and erf for the CPU kernels. libm's expf/erff are scalar calls that
// stop the compiler from vectorising a loop, which made softmax and gelu compute-bound.
// float64 keeps libm: it is the gradient-check precision and needs full accuracy.
//
//   fast_exp<float>: Cephes expf (range reduction by ln 2 in two parts, degree-6 polynomial),
//                    about 2 ulp; inputs clamped to [-87.3, 88.37], and 0 below -87.3 (where
//                    libm's expf gives subnormals down to -103.9), so a result is never
//                    subnormal (subnormal floats cost ~100 cycles an operation on many x86
//                    CPUs) and a masked score (the float's lowest) gives exactly 0, as in libm.
//                    A clamped 1e-38 there made every padded key's softmax probability
//                    subnormal, and 25% of the backward pass's values with it.
//   fast_erf<float>: Abramowitz & Stegun 7.1.26, |error| < 1.5e-7 — the formula of PyTorch's
//                    own vectorised CPU erf (ATen Vectorized<float>::erf).
#pragma once
#include <bit>
#include <cmath>
#include <cstdint>

namespace tt {

template <typename T> inline T fast_exp(T x) { return std::exp(x); }

template <> inline float fast_exp<float>(float input) {
  constexpr float kLowestInput = -87.3f;  // exp(-87.3) = 1.2e-38, just above FLT_MIN
  // Ternaries, not fmin/fmax/floor: GCC vectorises these without -ffast-math.
  float x = input < kLowestInput ? kLowestInput : input;
  x = x > 88.37f ? 88.37f : x;
  // Round to nearest by adding and removing 1.5·2^23 (the float's integer-precision limit).
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  const float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r2 + r + 1.0f;
  const float two_n = std::bit_cast<float>((static_cast<int32_t>(n) + 127) << 23);
  return input < kLowestInput ? 0.0f : e * two_n;  // NaN fails the test and stays NaN
}

template <typename T> inline T fast_erf(T x) { return std::erf(x); }

template <> inline float fast_erf<float>(float x) {
  const float ax = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const float y = 1.0f - p * t * fast_exp(-ax * ax);
  return std::copysign(y, x);
}

}  // namespace tt

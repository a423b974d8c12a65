// The arithmetic of a random draw, shared by the CPU (core/random.cpp) and CUDA
// (core/random_cuda.cu, core/ops/dropout/dropout_cuda.cu) so both give the same bits:
// Philox4x32-10, 53-bit uniform doubles, and Box-Muller with its own log, sin and cos.
//
// Why not libm/CUDA's log, sin, cos: they are different implementations (within 1-2 ulp of
// each other, not equal), so a normal draw would differ in the last bits between devices.
// The fdlibm kernels below (Sun's freely distributable e_log.c, k_sin.c, k_cos.c) use only
// +, -, *, / and bit tests, which IEEE 754 makes exact-rounded everywhere, provided the
// compiler fuses nothing into FMAs: every file that includes this header is compiled with
// -ffp-contract=off (g++) or -fmad=false (nvcc); CMakeLists.txt sets it per file.
#pragma once
#include <cmath>
#include <cstdint>

#if !defined(__CUDACC__)
#include <bit>
#endif
#ifndef TT_HOST_DEVICE  // also defined by core/dtype.h
#if defined(__CUDACC__)
#define TT_HOST_DEVICE __host__ __device__
#else
#define TT_HOST_DEVICE
#endif
#endif

namespace tt::random_math {

struct Words {
  uint32_t w[4];
};

// Philox4x32-10's round multipliers and key increments (Salmon et al. 2011); the CPU dropout's
// vector paths run the same rounds lane-wise.
constexpr uint32_t kPhiloxMul0 = 0xD2511F53, kPhiloxMul1 = 0xCD9E8D57;
constexpr uint32_t kPhiloxWeyl0 = 0x9E3779B9, kPhiloxWeyl1 = 0xBB67AE85;

// Four 32-bit random words for a 128-bit counter under a 64-bit key (Salmon et al. 2011).
TT_HOST_DEVICE inline Words philox4x32(uint64_t counter_lo, uint64_t counter_hi, uint64_t key) {
  uint32_t c0 = static_cast<uint32_t>(counter_lo), c1 = static_cast<uint32_t>(counter_lo >> 32);
  uint32_t c2 = static_cast<uint32_t>(counter_hi), c3 = static_cast<uint32_t>(counter_hi >> 32);
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kPhiloxMul0) * c0;
    const uint64_t p1 = static_cast<uint64_t>(kPhiloxMul1) * c2;
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += kPhiloxWeyl0;
    k1 += kPhiloxWeyl1;
  }
  return {{c0, c1, c2, c3}};
}

// A uniform double in [0, 1) from two 32-bit words (53 random bits); exact.
TT_HOST_DEVICE inline double unit_double(uint32_t hi, uint32_t lo) {
  const uint64_t bits = (static_cast<uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(bits & ((1ULL << 53) - 1)) * (1.0 / 9007199254740992.0);
}

// The uniform of element i of a draw that starts at counter `start`: one counter per pair of
// elements, words 0-1 for the even element, 2-3 for the odd one.
TT_HOST_DEVICE inline double element_uniform(uint64_t seed, uint64_t start, int64_t i) {
  const Words r = philox4x32(start + static_cast<uint64_t>(i / 2), 0, seed);
  return (i % 2 == 0) ? unit_double(r.w[0], r.w[1]) : unit_double(r.w[2], r.w[3]);
}

// unit_double's 53-bit integer: unit_double(hi, lo) == unit_bits(hi, lo) * 2^-53 exactly, so
// "u < q" is "unit_bits < unit_threshold(q)" in integers (the CPU dropout's keep test).
TT_HOST_DEVICE inline uint64_t unit_bits(uint32_t hi, uint32_t lo) {
  return ((static_cast<uint64_t>(hi) << 21) ^ (lo >> 11)) & ((1ULL << 53) - 1);
}
// The smallest integer t with (b < t  <=>  b * 2^-53 < q) for every integer b: ceil(q * 2^53)
// (the product is exact: a power-of-two scaling). q in [0, 1].
TT_HOST_DEVICE inline uint64_t unit_threshold(double q) {
  return static_cast<uint64_t>(ceil(q * 9007199254740992.0));
}

TT_HOST_DEVICE inline uint64_t double_bits(double x) {
#if defined(__CUDA_ARCH__)
  return static_cast<uint64_t>(__double_as_longlong(x));
#else
  return std::bit_cast<uint64_t>(x);
#endif
}

TT_HOST_DEVICE inline double bits_double(uint64_t bits) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(bits));
#else
  return std::bit_cast<double>(bits);
#endif
}

// ln x for x in (0, 1] with a normal exponent, as fdlibm's __ieee754_log (error < 1 ulp).
// Box-Muller passes 1 - u, u a multiple of 2^-53 in [0, 1), so zero, subnormals, negatives,
// infinities and NaN never reach it.
TT_HOST_DEVICE inline double log_unit(double x) {
  constexpr double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  constexpr double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01,
                   Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
                   Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                   Lg7 = 1.479819860511658591e-01;
  const uint64_t bits = double_bits(x);
  int32_t hx = static_cast<int32_t>(bits >> 32);
  int32_t k = (hx >> 20) - 1023;
  hx &= 0x000fffff;
  int32_t i = (hx + 0x95f64) & 0x100000;
  // Normalise x into [sqrt(2)/2, sqrt(2)): keep the mantissa, set the exponent to 0 or -1.
  x = bits_double((static_cast<uint64_t>(static_cast<uint32_t>(hx | (i ^ 0x3ff00000))) << 32) |
                  (bits & 0xffffffffULL));
  k += (i >> 20);
  const double f = x - 1.0;
  const double dk = static_cast<double>(k);
  if ((0x000fffff & (2 + hx)) < 3) {  // |f| < 2^-20
    if (f == 0.0) return k == 0 ? 0.0 : dk * ln2_hi + dk * ln2_lo;
    const double R = f * f * (0.5 - 0.33333333333333333 * f);
    return k == 0 ? f - R : dk * ln2_hi - ((R - dk * ln2_lo) - f);
  }
  const double s = f / (2.0 + f);
  const double z = s * s;
  i = hx - 0x6147a;
  const double w = z * z;
  const int32_t j = 0x6b851 - hx;
  const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  i |= j;
  const double R = t2 + t1;
  if (i > 0) {
    const double hfsq = 0.5 * f * f;
    return k == 0 ? f - (hfsq - s * (hfsq + R))
                  : dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
  }
  return k == 0 ? f - s * (f - R) : dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f);
}

// sin and cos of x for |x| <= pi/4 (fdlibm __kernel_sin / __kernel_cos with no tail).
TT_HOST_DEVICE inline double kernel_sin(double x) {
  constexpr double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03,
                   S3 = -1.98412698298579493134e-04, S4 = 2.75573137070700676789e-06,
                   S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
  const double z = x * x;
  const double v = z * x;
  const double r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  return x + v * (S1 + z * r);
}

TT_HOST_DEVICE inline double kernel_cos(double x) {
  constexpr double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03,
                   C3 = 2.48015872894767294178e-05, C4 = -2.75573143513906633035e-07,
                   C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
  const double z = x * x;
  const double r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  const double hz = 0.5 * z;
  const double w = 1.0 - hz;
  return w + (((1.0 - w) - hz) + z * r);
}

// (sin, cos) of 2*pi*u for u in [0, 1). The angle is reduced in turns, exactly: 4u = q + r
// with q an integer and r in [-1/2, 1/2], so 2*pi*u = q*pi/2 + r*pi/2 and |r*pi/2| <= pi/4.
TT_HOST_DEVICE inline void sincos_turn(double u, double* sin_out, double* cos_out) {
  const double t = 4.0 * u;                 // exact
  int q = static_cast<int>(t);              // floor, t >= 0
  double r = t - static_cast<double>(q);    // exact, in [0, 1)
  if (r > 0.5) {
    r -= 1.0;  // exact (Sterbenz)
    ++q;
  }
  const double x = r * 1.57079632679489661923;  // pi/2
  const double s = kernel_sin(x), c = kernel_cos(x);
  switch (q & 3) {
    case 0: *sin_out = s; *cos_out = c; break;
    case 1: *sin_out = c; *cos_out = -s; break;
    case 2: *sin_out = -s; *cos_out = -c; break;
    default: *sin_out = -c; *cos_out = s; break;
  }
}

// The distributions a draw can take, and the two values of one counter's pair of elements
// (the even element from u0, the odd one from u1; a normal pair comes from both).
enum class Distribution { uniform, normal, bernoulli };

struct Pair {
  double first, second;
};

// uniform: low + (high - low) u.  normal: Box-Muller, mean + stddev * (radius * cos|sin).
// bernoulli: 1 when u < p. (a, b) = (low, high), (mean, stddev) or (p, unused).
TT_HOST_DEVICE inline Pair transform_pair(Distribution dist, double a, double b, double u0,
                                          double u1) {
  switch (dist) {
    case Distribution::uniform: return {a + (b - a) * u0, a + (b - a) * u1};
    case Distribution::normal: {
      // 1 - u0 lies in (0, 1], so the log is finite; sqrt is exact-rounded on both devices.
      const double radius = sqrt(-2.0 * log_unit(1.0 - u0));
      double s, c;
      sincos_turn(u1, &s, &c);
      return {a + b * (radius * c), a + b * (radius * s)};
    }
    case Distribution::bernoulli: return {u0 < a ? 1.0 : 0.0, u1 < a ? 1.0 : 0.0};
  }
  return {0.0, 0.0};
}

// The pair of values of counter k of a draw that starts at counter `start`.
TT_HOST_DEVICE inline Pair draw_pair(Distribution dist, double a, double b, uint64_t seed,
                                     uint64_t start, int64_t k) {
  const Words r = philox4x32(start + static_cast<uint64_t>(k), 0, seed);
  return transform_pair(dist, a, b, unit_double(r.w[0], r.w[1]), unit_double(r.w[2], r.w[3]));
}

}  // namespace tt::random_math

// CPU dropout: the keep mask is computed on the fly from the Philox counters, 16 counters (32
// elements) a block, and never stored; the backward recomputes it. The keep test is done in
// integers (random_math::unit_bits < unit_threshold(1 - p)), which is exactly bernoulli's
// double test u < 1 - p, so the output equals bernoulli(1 - p) * (1 / (1 - p)) * x bit for bit
// (tests/ops/test_fused_ops.cpp holds that composite as the oracle).
//
// Why intrinsics: Philox-10 is 20 32x32->64-bit multiplies per counter, and a training step of
// MiniLM draws ~30M counters for its dropout masks (15% of the step when scalar). GCC does not
// find the vector form (it widens to 64x64 multiplies), so the block's 16 counters go through
// the rounds in vectors with vpmuludq: one 16-lane vector with AVX-512, two 8-lane ones with
// AVX2 (AVX2-only CPUs such as AMD's Zen 3); elsewhere the same block runs scalar.
#include <algorithm>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#include "tinytune/core/ops/dropout/dropout_kernels.h"
#include "tinytune/core/ops/iterate.h"
#include "tinytune/core/random_math.h"

namespace tt::cpu {

namespace {

constexpr int64_t kCounters = 16;              // counters a block
constexpr int64_t kBlock = 2 * kCounters;      // elements a block: two per counter

// Bit j: element j of the block at counter `first` (element 2l from words 0-1 of counter
// first + l, element 2l + 1 from words 2-3: random_math::element_uniform) is kept. Scalar.
uint32_t keep_bits_scalar(uint64_t first, uint64_t seed, uint64_t threshold) {
  uint32_t bits = 0;
  for (int64_t l = 0; l < kCounters; ++l) {
    const random_math::Words w = random_math::philox4x32(first + static_cast<uint64_t>(l), 0, seed);
    bits |= static_cast<uint32_t>(random_math::unit_bits(w.w[0], w.w[1]) < threshold) << (2 * l);
    bits |= static_cast<uint32_t>(random_math::unit_bits(w.w[2], w.w[3]) < threshold) << (2 * l + 1);
  }
  return bits;
}

// x's 16 low bits spread to the even bit positions (bit i -> bit 2i): the vector paths' keep
// bits of the even and of the odd elements, interleaved.
inline uint32_t spread_even(uint32_t x) {
  x = (x | (x << 8)) & 0x00FF00FFu;
  x = (x | (x << 4)) & 0x0F0F0F0Fu;
  x = (x | (x << 2)) & 0x33333333u;
  return (x | (x << 1)) & 0x55555555u;
}

#if defined(__AVX512F__)
// GCC 12 reports its own intrinsics' deliberately undefined pass-through operand (__Y in
// _mm512_cvtepi64_epi32 and friends) as used uninitialized: a known false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// hi and lo 32 bits of a * m in every 32-bit lane (m a broadcast constant): vpmuludq multiplies
// the even lanes; the odd lanes are shifted down and multiplied, and the halves blended back.
inline void mul_hi_lo(__m512i a, __m512i m, __m512i& hi, __m512i& lo) {
  const __m512i even = _mm512_mul_epu32(a, m);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
  constexpr __mmask16 kOddLanes = 0xAAAA;
  hi = _mm512_mask_blend_epi32(kOddLanes, _mm512_srli_epi64(even, 32), odd);
  lo = _mm512_mask_blend_epi32(kOddLanes, even, _mm512_slli_epi64(odd, 32));
}

// The 8 keep bits of unit_bits(hi word, lo word) < threshold for 8 lanes of 32-bit words.
inline uint32_t keep8(__m256i hi_words, __m256i lo_words, __m512i threshold) {
  const __m512i hi = _mm512_cvtepu32_epi64(hi_words), lo = _mm512_cvtepu32_epi64(lo_words);
  const __m512i bits = _mm512_and_si512(
      _mm512_xor_si512(_mm512_slli_epi64(hi, 21), _mm512_srli_epi64(lo, 11)),
      _mm512_set1_epi64((1LL << 53) - 1));
  return _mm512_cmplt_epu64_mask(bits, threshold);
}

uint32_t keep_bits(uint64_t first, uint64_t seed, uint64_t threshold) {
  // Counters first + l as (lo, hi) 32-bit words, carries included (64-bit adds).
  const __m512i first8 = _mm512_set1_epi64(static_cast<long long>(first));
  const __m512i c_a = _mm512_add_epi64(first8, _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
  const __m512i c_b = _mm512_add_epi64(first8, _mm512_setr_epi64(8, 9, 10, 11, 12, 13, 14, 15));
  auto join = [](__m256i a, __m256i b) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
  };
  __m512i c0 = join(_mm512_cvtepi64_epi32(c_a), _mm512_cvtepi64_epi32(c_b));
  __m512i c1 = join(_mm512_cvtepi64_epi32(_mm512_srli_epi64(c_a, 32)),
                    _mm512_cvtepi64_epi32(_mm512_srli_epi64(c_b, 32)));
  __m512i c2 = _mm512_setzero_si512(), c3 = _mm512_setzero_si512();
  const __m512i mul0 = _mm512_set1_epi32(static_cast<int>(random_math::kPhiloxMul0));
  const __m512i mul1 = _mm512_set1_epi32(static_cast<int>(random_math::kPhiloxMul1));
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {  // random_math::philox4x32's rounds, lane-wise
    __m512i hi0, lo0, hi1, lo1;
    mul_hi_lo(c0, mul0, hi0, lo0);
    mul_hi_lo(c2, mul1, hi1, lo1);
    const __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32(static_cast<int>(k0)));
    const __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32(static_cast<int>(k1)));
    c1 = lo1;
    c3 = lo0;
    c0 = n0;
    c2 = n2;
    k0 += random_math::kPhiloxWeyl0;
    k1 += random_math::kPhiloxWeyl1;
  }
  const __m512i t = _mm512_set1_epi64(static_cast<long long>(threshold));
  auto half = [](__m512i v, int which) {
    return which == 0 ? _mm512_castsi512_si256(v) : _mm512_extracti64x4_epi64(v, 1);
  };
  const uint32_t even = keep8(half(c0, 0), half(c1, 0), t) | keep8(half(c0, 1), half(c1, 1), t) << 8;
  const uint32_t odd = keep8(half(c2, 0), half(c3, 0), t) | keep8(half(c2, 1), half(c3, 1), t) << 8;
  return spread_even(even) | spread_even(odd) << 1;
}

#pragma GCC diagnostic pop
#elif defined(__AVX2__)

// As the AVX-512 mul_hi_lo, for 8 lanes.
inline void mul_hi_lo(__m256i a, __m256i m, __m256i& hi, __m256i& lo) {
  const __m256i even = _mm256_mul_epu32(a, m);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
  constexpr int kOddLanes = 0xAA;
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, kOddLanes);
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), kOddLanes);
}

// The 4 keep bits of unit_bits(hi word, lo word) < threshold for 4 lanes of 32-bit words.
// AVX2 compares 64-bit lanes as signed only; both sides are below 2^53, so that is the same.
inline uint32_t keep4(__m128i hi_words, __m128i lo_words, __m256i threshold) {
  const __m256i hi = _mm256_cvtepu32_epi64(hi_words), lo = _mm256_cvtepu32_epi64(lo_words);
  const __m256i bits = _mm256_and_si256(
      _mm256_xor_si256(_mm256_slli_epi64(hi, 21), _mm256_srli_epi64(lo, 11)),
      _mm256_set1_epi64x((1LL << 53) - 1));
  return static_cast<uint32_t>(
      _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(threshold, bits))));
}

// The 8 keep bits of 8 lanes: lanes 0-3 in bits 0-3, lanes 4-7 in bits 4-7.
inline uint32_t keep8(__m256i hi_words, __m256i lo_words, __m256i threshold) {
  return keep4(_mm256_castsi256_si128(hi_words), _mm256_castsi256_si128(lo_words), threshold) |
         keep4(_mm256_extracti128_si256(hi_words, 1), _mm256_extracti128_si256(lo_words, 1),
               threshold) << 4;
}

uint32_t keep_bits(uint64_t first, uint64_t seed, uint64_t threshold) {
  // Counters first + l as (lo, hi) 32-bit words, carries included: group g holds l = 8g .. 8g + 7.
  alignas(32) uint32_t lo_words[kCounters], hi_words[kCounters];
  for (int64_t l = 0; l < kCounters; ++l) {
    const uint64_t counter = first + static_cast<uint64_t>(l);
    lo_words[l] = static_cast<uint32_t>(counter);
    hi_words[l] = static_cast<uint32_t>(counter >> 32);
  }
  __m256i c0[2], c1[2], c2[2], c3[2];
  for (int g = 0; g < 2; ++g) {
    c0[g] = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo_words + 8 * g));
    c1[g] = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi_words + 8 * g));
    c2[g] = c3[g] = _mm256_setzero_si256();
  }
  const __m256i mul0 = _mm256_set1_epi32(static_cast<int>(random_math::kPhiloxMul0));
  const __m256i mul1 = _mm256_set1_epi32(static_cast<int>(random_math::kPhiloxMul1));
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {  // random_math::philox4x32's rounds, lane-wise
    const __m256i key0 = _mm256_set1_epi32(static_cast<int>(k0));
    const __m256i key1 = _mm256_set1_epi32(static_cast<int>(k1));
    for (int g = 0; g < 2; ++g) {  // the two groups are independent: their chains interleave
      __m256i hi0, lo0, hi1, lo1;
      mul_hi_lo(c0[g], mul0, hi0, lo0);
      mul_hi_lo(c2[g], mul1, hi1, lo1);
      const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1[g]), key0);
      const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3[g]), key1);
      c1[g] = lo1;
      c3[g] = lo0;
      c0[g] = n0;
      c2[g] = n2;
    }
    k0 += random_math::kPhiloxWeyl0;
    k1 += random_math::kPhiloxWeyl1;
  }
  const __m256i t = _mm256_set1_epi64x(static_cast<long long>(threshold));
  const uint32_t even = keep8(c0[0], c1[0], t) | keep8(c0[1], c1[1], t) << 8;
  const uint32_t odd = keep8(c2[0], c3[0], t) | keep8(c2[1], c3[1], t) << 8;
  return spread_even(even) | spread_even(odd) << 1;
}

#else

uint32_t keep_bits(uint64_t first, uint64_t seed, uint64_t threshold) {
  return keep_bits_scalar(first, seed, threshold);
}

#endif

}  // namespace

void dropout_apply(const Tensor& in, const Tensor& out, double p, uint64_t seed, uint64_t start) {
  const Tensor x = in.contiguous();
  const int64_t n = out.numel();
  const uint64_t threshold = random_math::unit_threshold(1.0 - p);
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  dispatch_floating(out.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    const T scale = static_cast<T>(1.0 / (1.0 - p));
    const T* src = x.data<T>();
    T* dst = out.data<T>();
#pragma omp parallel for if (n >= kParallelGrain)
    for (int64_t b = 0; b < blocks; ++b) {
      const uint64_t first = start + static_cast<uint64_t>(b * kCounters);
      const int64_t offset = b * kBlock, count = std::min(kBlock, n - offset);
      // A partial last block takes the scalar path. Both give the same bits; this way the
      // scalar one, which machines without AVX2 use for every block, is also exercised
      // (and tested) here.
      const uint32_t keep = count == kBlock ? keep_bits(first, seed, threshold)
                                            : keep_bits_scalar(first, seed, threshold);
      for (int64_t j = 0; j < count; ++j)
        dst[offset + j] = src[offset + j] * (((keep >> j) & 1u) ? scale : T(0));
    }
  });
}

}  // namespace tt::cpu

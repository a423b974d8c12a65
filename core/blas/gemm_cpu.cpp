// tinytune's own CPU GEMM: a GotoBLAS/BLIS-style blocked kernel.
//
// Blocking scheme (loops from outer to inner), for C[M,N] += op(A)[M,K] * op(B)[K,N]:
//
//   jc: N in steps of NC   ─┐
//   pc: K in steps of KC    │ pack op(B)[pc:+KC, jc:+NC] into B~ as NR-wide column panels [k][NR].
//   ic: M in steps of MC    │ pack op(A)[ic:+MC, pc:+KC] into A~ as MR-tall row panels [k][MR].
//   jr: NC in steps of NR   │ the B~ micro-panel (KC x NR) is reused across the whole ir loop.
//   ir: MC in steps of MR  ─┘ micro-kernel: an MR x NR tile of C held in registers, KC rank-1
//                             updates (one vector load of B~ per NR/W, one broadcast of A~ per row,
//                             FMAs), then C = alpha*acc + beta*C once per tile.
//
// Packing is where transposes and arbitrary lda/ldb are absorbed: the micro-kernel only ever sees
// contiguous, zero-padded panels, so edge tiles run the full kernel and only the write-back is
// clipped. Over K blocks after the first, beta becomes 1 (C already holds the partial sum).
//
// Block sizes (target: AMD EPYC Zen 4, 32 KiB L1d and 1 MiB L2 per core, 32 MiB shared L3):
//   * MR x NR = 12 x 32 (f32) / 12 x 16 (f64) with AVX-512: 24 zmm accumulators + 2 for B + 1 for
//     the broadcast fits the 32 zmm registers, and 24 independent FMAs per k step hide the FMA
//     latency (4 cycles x 2 pipes) with room to spare. AVX2 (16 ymm): 6 x 16 / 6 x 8, 12 accs.
//   * KC = 384 (f32): the C tile's load/store happens once per KC rank-1 updates, so KC should be
//     large; the B~ micro-panel (KC x NR = 48 KiB) then slightly exceeds L1, but the kernel only
//     needs ~5 B/cycle of it, which L2 streams easily. Measured: 256 was clearly slower, 384..768
//     within noise. f64 uses 256 (same bytes per micro-panel row, 32 KiB micro-panel).
//   * MC = 240: the A~ block (MC x KC, 360 KiB f32 / 480 KiB f64) lives in the private 1 MiB L2,
//     leaving room for the B~ micro-panels and C lines streaming through.
//   * NC = 3072: B~ (KC x NC, 4.5 MiB per thread) lives in the shared L3; large so that A is
//     packed few times.
//   * The C tile is prefetched before the k loop: C is too big for L2, and the otherwise exposed
//     miss latency at write-back cost ~10% (measured).
// Tuned with benchmarks/bench_gemm_cpu.cpp on the target (2 threads); 6 x 32 tiles and MC in
// 96..480 measured within noise of the choice here.
//
// Threads: OpenMP splits M into one contiguous MR-aligned range of rows per thread, and each
// thread runs all of the loops above on its range with its own A~ and B~ (no barriers inside).
// Every element of C is computed by exactly one thread, in the same k order whatever the thread
// count, so the result is deterministic (bitwise identical for 1 or N threads).
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "tinytune/core/blas/gemm.h"
#include "tinytune/core/error.h"

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace tt::blas {

namespace {

// ---- SIMD vocabulary: one struct per (ISA, element type); the micro-kernel is written once. ----
#if defined(__AVX512F__)

struct VecF {
  using T = float;
  using Reg = __m512;
  static constexpr int W = 16;
  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg set1(T x) { return _mm512_set1_ps(x); }
  static Reg load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, Reg v) { _mm512_storeu_ps(p, v); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static Reg fmadd(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
};
struct VecD {
  using T = double;
  using Reg = __m512d;
  static constexpr int W = 8;
  static Reg zero() { return _mm512_setzero_pd(); }
  static Reg set1(T x) { return _mm512_set1_pd(x); }
  static Reg load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, Reg v) { _mm512_storeu_pd(p, v); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_pd(a, b); }
  static Reg fmadd(Reg a, Reg b, Reg c) { return _mm512_fmadd_pd(a, b, c); }
};
constexpr int kMrF = 12, kNvF = 2;  // 12 x 32 floats
constexpr int kMrD = 12, kNvD = 2;  // 12 x 16 doubles

#elif defined(__AVX2__) && defined(__FMA__)

struct VecF {
  using T = float;
  using Reg = __m256;
  static constexpr int W = 8;
  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg set1(T x) { return _mm256_set1_ps(x); }
  static Reg load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, Reg v) { _mm256_storeu_ps(p, v); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_ps(a, b); }
  static Reg fmadd(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
};
struct VecD {
  using T = double;
  using Reg = __m256d;
  static constexpr int W = 4;
  static Reg zero() { return _mm256_setzero_pd(); }
  static Reg set1(T x) { return _mm256_set1_pd(x); }
  static Reg load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, Reg v) { _mm256_storeu_pd(p, v); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_pd(a, b); }
  static Reg fmadd(Reg a, Reg b, Reg c) { return _mm256_fmadd_pd(a, b, c); }
};
constexpr int kMrF = 6, kNvF = 2;  // 6 x 16 floats: 12 accumulators of the 16 ymm registers
constexpr int kMrD = 6, kNvD = 2;  // 6 x 8 doubles

#else  // portable fallback: "vectors" of one element; the compiler may auto-vectorise.

template <typename U>
struct VecScalar {
  using T = U;
  using Reg = U;
  static constexpr int W = 1;
  static Reg zero() { return U(0); }
  static Reg set1(T x) { return x; }
  static Reg load(const T* p) { return *p; }
  static void store(T* p, Reg v) { *p = v; }
  static Reg mul(Reg a, Reg b) { return a * b; }
  static Reg fmadd(Reg a, Reg b, Reg c) { return a * b + c; }
};
using VecF = VecScalar<float>;
using VecD = VecScalar<double>;
constexpr int kMrF = 4, kNvF = 8;
constexpr int kMrD = 4, kNvD = 8;

#endif

// Per element type: the SIMD vocabulary, the register tile and the cache blocks.
template <typename T>
struct Config;
template <>
struct Config<float> {
  using V = VecF;
  static constexpr int MR = kMrF, NV = kNvF, NR = kNvF * VecF::W;
  static constexpr int64_t KC = 384, MC = 240, NC = 3072;
};
template <>
struct Config<double> {
  using V = VecD;
  static constexpr int MR = kMrD, NV = kNvD, NR = kNvD * VecD::W;
  static constexpr int64_t KC = 256, MC = 240, NC = 3072;
};

// ---- micro-kernel ----------------------------------------------------------------------------
// C[0:mr, 0:nr] = alpha * (A~ panel [kc][MR]) * (B~ panel [kc][NR]) + beta * C  (beta == 0: C is
// only written, never read, so NaN garbage in C does not propagate).
template <typename T>
void micro_kernel(int64_t kc, const T* __restrict a, const T* __restrict b, T* c, int64_t ldc,
                  T alpha, T beta, int mr, int nr) {
  using Cfg = Config<T>;
  using V = typename Cfg::V;
  using Reg = typename V::Reg;
  constexpr int MR = Cfg::MR, NV = Cfg::NV, NR = Cfg::NR, W = V::W;

#if defined(__GNUC__)
  // C rows are ldc apart and usually not cached (C is far bigger than L2): request the tile now so
  // the misses overlap with the k loop instead of stalling the write-back.
  for (int i = 0; i < mr; ++i)
    for (int j = 0; j < nr; j += 64 / int(sizeof(T))) __builtin_prefetch(c + i * ldc + j, 1, 3);
#endif

  Reg acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[i][v] = V::zero();

  for (int64_t k = 0; k < kc; ++k) {
    Reg bv[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) bv[v] = V::load(b + v * W);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const Reg ai = V::set1(a[i]);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] = V::fmadd(ai, bv[v], acc[i][v]);
    }
    a += MR;
    b += NR;
  }

  const Reg valpha = V::set1(alpha);
  if (mr == MR && nr == NR) {  // full tile: vector write-back straight into C
    if (beta == T(0)) {
#pragma GCC unroll 32
      for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) V::store(c + i * ldc + v * W, V::mul(valpha, acc[i][v]));
    } else {
      const Reg vbeta = V::set1(beta);
#pragma GCC unroll 32
      for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) {
          T* p = c + i * ldc + v * W;
          V::store(p, V::fmadd(valpha, acc[i][v], V::mul(vbeta, V::load(p))));
        }
    }
    return;
  }
  // Edge tile: spill the accumulators, write back only the valid mr x nr corner.
  alignas(64) T tile[MR * NR];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) V::store(tile + i * NR + v * W, acc[i][v]);
  for (int i = 0; i < mr; ++i) {
    T* crow = c + i * ldc;
    const T* trow = tile + i * NR;
    if (beta == T(0))
      for (int j = 0; j < nr; ++j) crow[j] = alpha * trow[j];
    else
      for (int j = 0; j < nr; ++j) crow[j] = alpha * trow[j] + beta * crow[j];
  }
}

// ---- packing -----------------------------------------------------------------------------------
// A~: rows [0,mc) x cols [0,kc) of op(A) (already offset to the block's origin) into MR-tall
// panels, each [kc][MR] contiguous; rows past mc are zero.
template <typename T>
void pack_a(bool trans, int64_t mc, int64_t kc, const T* A, int64_t lda, T* dst) {
  constexpr int MR = Config<T>::MR;
  for (int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
    const int rows = int(std::min<int64_t>(MR, mc - i0));
    if (trans) {  // op(A)(i,k) = A[k*lda + i]: each k gives MR contiguous elements
      for (int64_t k = 0; k < kc; ++k) {
        const T* src = A + k * lda + i0;
        T* d = dst + k * MR;
        for (int i = 0; i < rows; ++i) d[i] = src[i];
        for (int i = rows; i < MR; ++i) d[i] = T(0);
      }
    } else {  // op(A)(i,k) = A[i*lda + k]: read rows contiguously, scatter with stride MR
      for (int i = 0; i < rows; ++i) {
        const T* src = A + (i0 + i) * lda;
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + i] = src[k];
      }
      for (int i = rows; i < MR; ++i)
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + i] = T(0);
    }
  }
}

// B~ panel p: cols [p*NR, p*NR+NR) x rows [0,kc) of op(B) as [kc][NR]; cols past nc are zero.
template <typename T>
void pack_b_panel(bool trans, int64_t p, int64_t nc, int64_t kc, const T* B, int64_t ldb, T* dst) {
  constexpr int NR = Config<T>::NR;
  const int64_t j0 = p * NR;
  const int cols = int(std::min<int64_t>(NR, nc - j0));
  dst += p * NR * kc;
  if (!trans) {  // op(B)(k,j) = B[k*ldb + j]: each k gives NR contiguous elements
    for (int64_t k = 0; k < kc; ++k) {
      const T* src = B + k * ldb + j0;
      T* d = dst + k * NR;
      for (int j = 0; j < cols; ++j) d[j] = src[j];
      for (int j = cols; j < NR; ++j) d[j] = T(0);
    }
  } else {  // op(B)(k,j) = B[j*ldb + k]: read rows of B contiguously, scatter with stride NR
    for (int j = 0; j < cols; ++j) {
      const T* src = B + (j0 + j) * ldb;
      for (int64_t k = 0; k < kc; ++k) dst[k * NR + j] = src[k];
    }
    for (int j = cols; j < NR; ++j)
      for (int64_t k = 0; k < kc; ++k) dst[k * NR + j] = T(0);
  }
}

// Grow-only, 64-byte aligned scratch buffer; one per thread (thread_local) so that repeated GEMMs
// neither allocate nor page-fault.
struct Scratch {
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<void, Free> data;
  size_t bytes = 0;
  template <typename T>
  T* get(size_t count) {
    const size_t need = (count * sizeof(T) + 63) / 64 * 64;
    if (need > bytes) {
      data.reset(std::aligned_alloc(64, need));
      TT_CHECK(data != nullptr, "gemm_own: out of memory allocating ", need, " bytes of scratch");
      bytes = need;
    }
    return static_cast<T*>(data.get());
  }
};
thread_local Scratch tls_a_scratch;  // each thread's A~
thread_local Scratch tls_b_scratch;  // each thread's B~

// C = beta * C, for the degenerate K == 0 / alpha == 0 cases (beta == 0 writes zeros, no read).
template <typename T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    T* row = C + i * ldc;
    if (beta == T(0))
      std::fill(row, row + N, T(0));
    else if (beta != T(1))
      for (int64_t j = 0; j < N; ++j) row[j] *= beta;
  }
}

template <typename T>
void gemm_blocked(const char* name, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                  T alpha, const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C,
                  int64_t ldc) {
  using Cfg = Config<T>;
  constexpr int64_t MR = Cfg::MR, NR = Cfg::NR, KC = Cfg::KC, MC = Cfg::MC, NC = Cfg::NC;
  static_assert(MC % MR == 0 && NC % NR == 0, "cache blocks must hold whole micro-tiles");

  check_gemm_args(name, trans_a, trans_b, M, N, K, lda, ldb, ldc);
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == T(0)) return scale_c(M, N, beta, C, ldc);

  const int64_t nc_max = std::min(NC, (N + NR - 1) / NR * NR);
  const int64_t kc_max = std::min(KC, K);

  // Threads only pay off once there is enough work; tiny GEMMs stay on the calling thread.
  const int64_t m_tiles = (M + MR - 1) / MR;
  const bool parallel = double(M) * double(N) * double(K) >= 64.0 * 64 * 64 && m_tiles > 1;

  // Each thread runs the whole blocked algorithm on its own rows of C, packing its own copy of
  // B~. The duplicated packing costs ~1/(rows per thread) of the FLOPs, and in exchange the
  // threads never wait for each other until the final join: with a shared B~, the barriers after
  // each B~ block made GOMP's spin-waiting cost up to 40% when the cores are shared with other
  // processes (measured).
#pragma omp parallel if (parallel)
  {
    const int nthreads = omp_get_num_threads();
    const int tid = omp_get_thread_num();
    // This thread's rows of C: a contiguous run of whole MR tiles, as even as possible.
    const int64_t tiles_lo = m_tiles * tid / nthreads, tiles_hi = m_tiles * (tid + 1) / nthreads;
    const int64_t m_lo = std::min(M, tiles_lo * MR), m_hi = std::min(M, tiles_hi * MR);
    if (m_lo < m_hi) {
      T* a_pack = tls_a_scratch.get<T>(size_t(MC * kc_max));
      T* b_pack = tls_b_scratch.get<T>(size_t(nc_max * kc_max));
      for (int64_t jc = 0; jc < N; jc += NC) {
        const int64_t nc = std::min(NC, N - jc);
        for (int64_t pc = 0; pc < K; pc += KC) {
          const int64_t kc = std::min(KC, K - pc);
          const T beta_eff = pc == 0 ? beta : T(1);  // later K blocks accumulate onto C
          const T* b_src = trans_b ? B + jc * ldb + pc : B + pc * ldb + jc;
          for (int64_t p = 0; p < (nc + NR - 1) / NR; ++p)
            pack_b_panel(trans_b, p, nc, kc, b_src, ldb, b_pack);

          for (int64_t ic = m_lo; ic < m_hi; ic += MC) {
            const int64_t mc = std::min(MC, m_hi - ic);
            pack_a(trans_a, mc, kc, trans_a ? A + pc * lda + ic : A + ic * lda + pc, lda,
                   a_pack);
            for (int64_t jr = 0; jr < nc; jr += NR) {
              const T* b_panel = b_pack + jr * kc;
              const int nr = int(std::min(NR, nc - jr));
              for (int64_t ir = 0; ir < mc; ir += MR) {
                micro_kernel<T>(kc, a_pack + ir * kc, b_panel, C + (ic + ir) * ldc + jc + jr,
                                ldc, alpha, beta_eff, int(std::min(MR, mc - ir)), nr);
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace

void gemm_own(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
              const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
              int64_t ldc) {
  gemm_blocked<float>("gemm_own(f32)", trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta,
                      C, ldc);
}

void gemm_own(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
              const double* A, int64_t lda, const double* B, int64_t ldb, double beta,
              double* C, int64_t ldc) {
  gemm_blocked<double>("gemm_own(f64)", trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta,
                       C, ldc);
}

}  // namespace tt::blas

// tinytune's own f32 CUDA GEMM: a tiled, register-blocked SIMT kernel with vectorised loads
// (the top of the ladder in benchmarks/bench_gemm_cuda.cu; siboehm/SGEMM_CUDA kernels 5-6 plus
// double buffering). Exact fp32: one FFMA per product, no TF32, K summed in order 0..K-1 per
// output element (deterministic).
//
// One block of 256 threads computes a 128 x 128 tile of C; the K dimension is walked in steps
// of BK = 16:
//   - the block's A tile (128 x 16) and B tile (16 x 128) are read from global memory into
//     registers (float4 loads where allowed, see below) while the previous tile is being
//     multiplied, then written to shared memory: As[k][m] (A transposed, so a thread's 8 rows
//     for one k are two float4 reads) and Bs[k][n]; two buffers of each, one __syncthreads per
//     step;
//   - each thread accumulates an 8 x 8 sub-tile in registers: rows ty*4 + {0..3} and
//     64 + ty*4 + {0..3}, columns tx*4 + {0..3} and 64 + tx*4 + {0..3} (ty = tid / 16,
//     tx = tid % 16). The two halves 64 apart make a warp's float4 reads of Bs hit 16
//     consecutive float4s (conflict-free per quarter warp); the As reads are broadcasts.
//
// Transposes (the CPU matmul passes transposed views without a copy) are absorbed by the
// loaders: an operand is read along whichever dimension is contiguous in memory. For A stored
// [M,K] (!trans_a) a float4 holds 4 consecutive k of one row and is stored transposed into
// As; for A stored [K,M] (trans_a) it holds 4 consecutive m and is stored as a float4. B is
// the mirror image. (The transposed stores conflict 2-way: rows of BM + 4 floats; they are 1/16
// of the shared-memory traffic.)
//
// Alignment: a float4 load needs a 16-byte aligned address. It is used only when the operand's
// base pointer is 16-byte aligned and its leading dim (and batch stride) are multiples of 4,
// so every 4-aligned column offset inside it is aligned too; otherwise the same kernel loads
// element by element (a block-uniform branch). Ragged edges: a float4 that would cross the
// end of a row or column is loaded element by element, elements outside the matrix are zero
// (they add nothing to the sums), and only in-range elements of C are written.
// Sizes and offsets are int64 (row * ld can pass 2^31); batch entries run on grid.z.
#include <algorithm>
#include <cstdint>

#include "tinytune/core/blas/gemm_cuda.h"
#include "tinytune/core/blas/gemm_cuda_internal.h"
#include "tinytune/core/cuda/cuda_check.h"
#include "tinytune/core/cuda/stream.h"
#include "tinytune/core/error.h"

namespace tt::blas {

namespace {

constexpr int kBM = 128, kBN = 128, kBK = 16;
constexpr int kThreads = 256;
constexpr int kPad = 4;  // floats after each As/Bs row: keeps rows 16-byte aligned

struct F32GemmArgs {
  int64_t M, N, K;
  float alpha, beta;
  const float* A;
  int64_t lda, stride_a;
  const float* B;
  int64_t ldb, stride_b;
  float* C;
  int64_t ldc, stride_c;
  bool vec_a, vec_b, vec_c;  // float4 access allowed (alignment, see the top)
};

// Loads 4 consecutive elements p[0..3] of a row whose remaining length is `left` (elements
// from p to the end of the row); zero past the end. Vector load when allowed and fully inside.
__device__ __forceinline__ float4 load4(const float* p, int64_t left, bool vec) {
  if (vec && left >= 4) return *reinterpret_cast<const float4*>(p);
  float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
  if (left > 0) v.x = p[0];
  if (left > 1) v.y = p[1];
  if (left > 2) v.z = p[2];
  if (left > 3) v.w = p[3];
  return v;
}

// One operand tile (128 x 16 of A or 16 x 128 of B) in flight: 2 float4 per thread.
//   contiguous along the K direction ("k-major" storage: A !trans, B trans): float4 i holds
//     line r = idx / 4 (m or n), k = (idx % 4) * 4 .. + 3, with idx = tid + i * 256;
//   contiguous along M / N (A trans, B !trans): line k = idx / 32, m or n = (idx % 32) * 4.
template <bool kContiguousK>
struct TileLoader {
  float4 regs[2];

  // base: the operand at (line 0 of this tile, k0); `lines` rows of the tile in range (M or
  // N minus the tile's first m or n); ld: the operand's leading dim; K_left = K - k0.
  __device__ __forceinline__ void load(const float* base, int64_t ld, int64_t lines_left,
                                       int64_t K_left, bool vec) {
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int idx = threadIdx.x + i * kThreads;
      if (kContiguousK) {
        const int line = idx >> 2, k = (idx & 3) * 4;
        const int64_t left = line < lines_left ? K_left - k : 0;
        regs[i] = load4(base + line * ld + k, left, vec);
      } else {
        const int k = idx >> 5, line = (idx & 31) * 4;
        const int64_t left = k < K_left ? lines_left - line : 0;
        regs[i] = load4(base + k * ld + line, left, vec);
      }
    }
  }

  // Into the shared tile S[kBK][kBM + kPad] (k-major for both operands).
  __device__ __forceinline__ void store(float (*S)[kBM + kPad]) const {
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int idx = threadIdx.x + i * kThreads;
      if (kContiguousK) {
        const int line = idx >> 2, k = (idx & 3) * 4;
        S[k + 0][line] = regs[i].x;
        S[k + 1][line] = regs[i].y;
        S[k + 2][line] = regs[i].z;
        S[k + 3][line] = regs[i].w;
      } else {
        const int k = idx >> 5, line = (idx & 31) * 4;
        *reinterpret_cast<float4*>(&S[k][line]) = regs[i];
      }
    }
  }
};

// Offset of the element (line, k) of an operand whose lines are rows (k contiguous) or columns.
template <bool kContiguousK>
__device__ __forceinline__ int64_t tile_offset(int64_t line, int64_t k, int64_t ld) {
  return kContiguousK ? line * ld + k : k * ld + line;
}

template <bool kTransA, bool kTransB>
__global__ void __launch_bounds__(kThreads, 2)
    gemm_f32_kernel(F32GemmArgs args) {
  // A is k-contiguous when stored [M,K] (!trans_a); B when stored [N,K] (trans_b).
  constexpr bool kAContiguousK = !kTransA, kBContiguousK = kTransB;
  __shared__ __align__(16) float As[2][kBK][kBM + kPad];
  __shared__ __align__(16) float Bs[2][kBK][kBN + kPad];

  const int64_t batch = blockIdx.z;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kBM;
  const int64_t n0 = static_cast<int64_t>(blockIdx.x) * kBN;
  const float* A = args.A + batch * args.stride_a + tile_offset<kAContiguousK>(m0, 0, args.lda);
  const float* B = args.B + batch * args.stride_b + tile_offset<kBContiguousK>(n0, 0, args.ldb);
  float* C = args.C + batch * args.stride_c;
  const int64_t m_left = args.M - m0, n_left = args.N - n0;
  // Moving one K tile along: k-contiguous operands advance by kBK elements, others by kBK rows.
  const int64_t a_step = kAContiguousK ? kBK : kBK * args.lda;
  const int64_t b_step = kBContiguousK ? kBK : kBK * args.ldb;

  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  float acc[8][8] = {};

  TileLoader<kAContiguousK> a_loader;
  TileLoader<kBContiguousK> b_loader;
  const int64_t k_tiles = (args.K + kBK - 1) / kBK;
  a_loader.load(A, args.lda, m_left, args.K, args.vec_a);
  b_loader.load(B, args.ldb, n_left, args.K, args.vec_b);
  a_loader.store(As[0]);
  b_loader.store(Bs[0]);
  __syncthreads();

  for (int64_t kt = 0; kt < k_tiles; ++kt) {
    const int cur = static_cast<int>(kt & 1);
    const bool has_next = kt + 1 < k_tiles;
    if (has_next) {  // in flight while this tile is multiplied
      const int64_t K_left = args.K - (kt + 1) * kBK;
      a_loader.load(A + (kt + 1) * a_step, args.lda, m_left, K_left, args.vec_a);
      b_loader.load(B + (kt + 1) * b_step, args.ldb, n_left, K_left, args.vec_b);
    }
#pragma unroll
    for (int k = 0; k < kBK; ++k) {
      float a[8], b[8];
      const float4 a0 = *reinterpret_cast<const float4*>(&As[cur][k][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&As[cur][k][64 + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&Bs[cur][k][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&Bs[cur][k][64 + tx * 4]);
      a[0] = a0.x; a[1] = a0.y; a[2] = a0.z; a[3] = a0.w;
      a[4] = a1.x; a[5] = a1.y; a[6] = a1.z; a[7] = a1.w;
      b[0] = b0.x; b[1] = b0.y; b[2] = b0.z; b[3] = b0.w;
      b[4] = b1.x; b[5] = b1.y; b[6] = b1.z; b[7] = b1.w;
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    if (has_next) {  // the other buffer was last read before the previous barrier
      a_loader.store(As[cur ^ 1]);
      b_loader.store(Bs[cur ^ 1]);
    }
    __syncthreads();
  }

  // C = alpha * acc + beta * C (C not read when beta == 0), in-range elements only.
  const float alpha = args.alpha, beta = args.beta;
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int64_t row = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
    if (row >= args.M) continue;
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int64_t col = n0 + half * 64 + tx * 4;
      float* c = C + row * args.ldc + col;
      const float* v = &acc[i][half * 4];
      if (args.vec_c && col + 3 < args.N) {
        float4 out = make_float4(alpha * v[0], alpha * v[1], alpha * v[2], alpha * v[3]);
        if (beta != 0.0f) {
          const float4 old = *reinterpret_cast<const float4*>(c);
          out.x = fmaf(beta, old.x, out.x);
          out.y = fmaf(beta, old.y, out.y);
          out.z = fmaf(beta, old.z, out.z);
          out.w = fmaf(beta, old.w, out.w);
        }
        *reinterpret_cast<float4*>(c) = out;
      } else {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          if (col + j >= args.N) break;
          c[j] = beta != 0.0f ? fmaf(beta, c[j], alpha * v[j]) : alpha * v[j];
        }
      }
    }
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// float4 access is safe for every 4-aligned column of every matrix of the batch.
bool vectorisable(const void* p, int64_t ld, int64_t stride, int64_t count) {
  return aligned16(p) && ld % 4 == 0 && (count == 1 || stride % 4 == 0);
}

template <bool kTransA, bool kTransB>
void launch(const F32GemmArgs& args, int64_t count) {
  const int64_t grid_m = (args.M + kBM - 1) / kBM, grid_n = (args.N + kBN - 1) / kBN;
  TT_CHECK(grid_m <= detail::kMaxGridYZ, "gemm_cuda_own: M=", args.M, " needs ", grid_m,
           " row tiles; at most ", detail::kMaxGridYZ, " are supported");
  TT_CHECK(grid_n <= INT32_MAX, "gemm_cuda_own: N=", args.N, " is too large");
  // grid.z holds at most 65535 batch entries: larger batches run in chunks.
  for (int64_t first = 0; first < count; first += detail::kMaxGridYZ) {
    const int64_t chunk = std::min(count - first, detail::kMaxGridYZ);
    F32GemmArgs part = args;
    part.A += first * args.stride_a;
    part.B += first * args.stride_b;
    part.C += first * args.stride_c;
    const dim3 grid(static_cast<unsigned>(grid_n), static_cast<unsigned>(grid_m),
                    static_cast<unsigned>(chunk));
    gemm_f32_kernel<kTransA, kTransB><<<grid, kThreads, 0, tt::cuda::current_stream()>>>(part);
    TT_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace

void gemm_cuda_own(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                   const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                   float* C, int64_t ldc, const GemmBatch& batch) {
  if (detail::gemm_cuda_prologue("gemm_cuda_own", trans_a, trans_b, M, N, K, alpha, lda, ldb,
                                 beta, C, ldc, batch))
    return;
  F32GemmArgs args{M, N, K, alpha, beta, A, lda, batch.stride_a, B, ldb, batch.stride_b, C, ldc,
                   batch.stride_c,
                   vectorisable(A, lda, batch.stride_a, batch.count),
                   vectorisable(B, ldb, batch.stride_b, batch.count),
                   vectorisable(C, ldc, batch.stride_c, batch.count)};
  if (!trans_a && !trans_b) launch<false, false>(args, batch.count);
  else if (!trans_a && trans_b) launch<false, true>(args, batch.count);
  else if (trans_a && !trans_b) launch<true, false>(args, batch.count);
  else launch<true, true>(args, batch.count);
}

}  // namespace tt::blas

// tinytune's own bf16 tensor-core GEMM: bf16 inputs, fp32 accumulation, f32 output.
//
// Which instructions, and why: mma.sync.m16n8k16 (the Ampere-style warp-level MMA, which
// Hopper runs too) fed by ldmatrix from shared memory, with global -> shared copies by
// cp.async in a 4-stage pipeline. Not Hopper's WGMMA + TMA: that path (tensor-map and matrix
// descriptors, mbarrier transaction counts, swizzle modes that must agree in three places)
// could not be tested here, where no GPU is available, and a descriptor off by one bit gives
// wrong numbers rather than an error. mma.sync reaches a smaller fraction of an H100's peak
// (roughly 60-70% of what WGMMA kernels reach); benchmarks/bench_gemm_cuda.cu measures it.
//
// Tiling: a block of 4 warps (128 threads) computes a 128 x 128 tile of C; warp w owns the
// 64 x 64 sub-tile at rows (w / 2) * 64, columns (w % 2) * 64: 4 x 8 mma tiles of 16 x 8, 128
// fp32 accumulators per thread. K advances by BK = 32 per stage (two k16 steps).
//
// Shared memory, per stage, one tile per operand, kept in the operand's memory order so that
// cp.async copies 16-byte chunks (8 bf16) straight from global memory:
//   A stored [M,K] (!trans_a): As[128 m][32 k]    A stored [K,M] (trans_a): As[32 k][128 m]
//   B stored [N,K] (trans_b):  Bs[128 n][32 k]    B stored [K,N] (!trans_b): Bs[32 k][128 n]
// Fragments come out with ldmatrix.x4 from the k-contiguous tiles and ldmatrix.x4.trans from
// the others (see load_a_fragment / load_b_fragments for the lane -> address mapping).
// Swizzle: the 16-byte chunk c of row r is stored at chunk c ^ s(r), with s(r) = (r >> 1) & 3
// for rows of 4 chunks (64 bytes) and s(r) = r & 7 for rows of 16 chunks (256 bytes). An
// ldmatrix reads one chunk from each of 8 consecutive rows (starting at a multiple of 8); the
// XOR puts those 8 chunks in 8 different 16-byte bank groups of a 128-byte line, so the read
// is conflict-free (unswizzled it would be 4-way or 8-way conflicted).
// 4 stages x (8 KiB + 8 KiB) = 64 KiB of dynamic shared memory per block: an H100 SM's
// 228 KiB would hold 3 blocks, but registers allow 2. ptxas gives the kernel 238-240 registers
// a thread (nvcc -Xptxas -v; 128 accumulators plus fragments and addresses), so a block of 128
// threads takes ~30,700 of an SM's 65,536: 65536 / (240 x 128) = 2.1, i.e. 2 blocks, 8 warps.
//
// Requirements of cp.async (16-byte aligned source chunks): A and B 16-byte aligned, lda, ldb
// and batch strides multiples of 8 elements. Operands that miss them are first copied into a
// padded buffer that meets them (one pass over the operand, small next to the product).
// Ragged edges: a chunk partly past the end of a row is copied with a source size below 16
// bytes (cp.async zero-fills the rest); chunks wholly outside copy nothing (source size 0,
// zero-filled), so out-of-range elements are zeros in shared memory and add nothing; only
// in-range elements of C are written. Sizes and offsets are int64; batch entries on grid.z.
#include <cuda_bf16.h>

#include <algorithm>
#include <cstdint>

#include "tinytune/core/blas/gemm_cuda.h"
#include "tinytune/core/blas/gemm_cuda_internal.h"
#include "tinytune/core/cuda/allocator.h"
#include "tinytune/core/cuda/cuda_check.h"
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/cuda/stream.h"
#include "tinytune/core/error.h"

namespace tt::blas {

namespace {

constexpr int kBM = 128, kBN = 128, kBK = 32, kStages = 4;
constexpr int kThreads = 128;  // 4 warps, 2 x 2, each 64 x 64
constexpr int kTileElems = kBM * kBK;  // = kBN * kBK: elements of one operand tile
constexpr int kStageBytes = 2 * kTileElems * 2;
constexpr int kSmemBytes = kStages * kStageBytes;  // 65536
static_assert(kBM == kBN, "the loaders assume square block tiles");

struct Bf16GemmArgs {
  int64_t M, N, K;
  float alpha, beta;
  const uint16_t* A;  // bf16 bits
  int64_t lda, stride_a;
  const uint16_t* B;
  int64_t ldb, stride_b;
  float* C;
  int64_t ldc, stride_c;
  bool vec_c;  // float2 stores of C allowed
};

__device__ __forceinline__ uint32_t smem_address(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16-byte async copy global -> shared; bytes past src_bytes (0..16) are zero-filled.
__device__ __forceinline__ void cp_async_16(uint32_t dst, const void* src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
               "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address));
}

// D = A(16x16, row) * B(16x8, col) + D, bf16 inputs, fp32 accumulators.
__device__ __forceinline__ void mma_bf16_16816(float (&d)[4], const uint32_t (&a)[4],
                                               uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, "
      "{%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Byte offset of 16-byte chunk `chunk` of row `row` in a tile with kChunks chunks per row,
// swizzled (see the top).
template <int kChunks>
__device__ __forceinline__ uint32_t tile_byte_offset(int row, int chunk) {
  static_assert(kChunks == 4 || kChunks == 16, "swizzle defined for 64- and 256-byte rows");
  const int swizzle = kChunks == 4 ? (row >> 1) & 3 : row & 7;
  return static_cast<uint32_t>((row * kChunks + (chunk ^ swizzle)) * 16);
}

// Copies one operand tile into shared memory at `tile` (a shared-space address).
// kContiguousK: the operand is stored with k contiguous (A [M,K], B [N,K]): tile rows are
// lines (m or n), 4 chunks of 8 k each. Otherwise (A [K,M], B [K,N]): tile rows are k, 16
// chunks of 8 lines each. `base` is the operand at (line 0 of the tile, k0); lines_left and
// K_left count the lines / k still inside the matrix from there.
template <bool kContiguousK>
__device__ __forceinline__ void load_tile(uint32_t tile, const uint16_t* base, int64_t ld,
                                          int64_t lines_left, int64_t K_left) {
  constexpr int kChunks = kContiguousK ? kBK / 8 : kBM / 8;
  constexpr int kPerThread = kTileElems / 8 / kThreads;  // 4
#pragma unroll
  for (int i = 0; i < kPerThread; ++i) {
    const int idx = threadIdx.x + i * kThreads;
    const int row = idx / kChunks, chunk = idx % kChunks;
    int64_t valid;  // elements of this chunk inside the matrix (clamped to 0..8 below)
    const uint16_t* src;
    if (kContiguousK) {  // row = line, chunk = k / 8
      valid = row < lines_left ? K_left - chunk * 8 : 0;
      src = base + row * ld + chunk * 8;
    } else {  // row = k, chunk = line / 8
      valid = row < K_left ? lines_left - chunk * 8 : 0;
      src = base + row * ld + chunk * 8;
    }
    valid = valid < 0 ? 0 : (valid > 8 ? 8 : valid);
    // A chunk with nothing to read gets a valid address anyway; 0 source bytes reads none.
    cp_async_16(tile + tile_byte_offset<kChunks>(row, chunk), valid > 0 ? src : base,
                static_cast<int>(valid) * 2);
  }
}

// The A fragment of the 16 x 16 block at (m_base, k_base) of the stage's A tile.
//   ldmatrix matrix j (addresses from lanes 8j..8j+7) feeds register a[j]; the mma wants
//   a0 = (m 0-7, k 0-7), a1 = (m 8-15, k 0-7), a2 = (m 0-7, k 8-15), a3 = (m 8-15, k 8-15).
//   [m][k] tile: lane gives row m_base + (j & 1) * 8 + (lane & 7), chunk (k_base >> 3) + (j >> 1).
//   [k][m] tile (.trans): row k_base + (j >> 1) * 8 + (lane & 7), chunk (m_base >> 3) + (j & 1).
template <bool kContiguousK>
__device__ __forceinline__ void load_a_fragment(uint32_t (&a)[4], uint32_t tile, int m_base,
                                                int k_base, int lane) {
  const int j = lane >> 3, i = lane & 7;
  if (kContiguousK) {
    ldmatrix_x4(a, tile + tile_byte_offset<kBK / 8>(m_base + (j & 1) * 8 + i,
                                                    (k_base >> 3) + (j >> 1)));
  } else {
    ldmatrix_x4_trans(a, tile + tile_byte_offset<kBM / 8>(k_base + (j >> 1) * 8 + i,
                                                          (m_base >> 3) + (j & 1)));
  }
}

// The B fragments of two adjacent n8 tiles at (n_base, k_base): b[0], b[1] = (b0, b1) of
// columns n_base..+7, b[2], b[3] = of n_base+8..+15; b0 holds k 0-7, b1 k 8-15.
//   ldmatrix matrix j: n tile j >> 1, k half j & 1.
//   [n][k] tile: row n_base + (j >> 1) * 8 + (lane & 7), chunk (k_base >> 3) + (j & 1).
//   [k][n] tile (.trans): row k_base + (j & 1) * 8 + (lane & 7), chunk (n_base >> 3) + (j >> 1).
template <bool kContiguousK>
__device__ __forceinline__ void load_b_fragments(uint32_t (&b)[4], uint32_t tile, int n_base,
                                                 int k_base, int lane) {
  const int j = lane >> 3, i = lane & 7;
  if (kContiguousK) {
    ldmatrix_x4(b, tile + tile_byte_offset<kBK / 8>(n_base + (j >> 1) * 8 + i,
                                                    (k_base >> 3) + (j & 1)));
  } else {
    ldmatrix_x4_trans(b, tile + tile_byte_offset<kBN / 8>(k_base + (j & 1) * 8 + i,
                                                          (n_base >> 3) + (j >> 1)));
  }
}

template <bool kTransA, bool kTransB>
__global__ void __launch_bounds__(kThreads)
    gemm_bf16_kernel(Bf16GemmArgs args) {
  constexpr bool kAContiguousK = !kTransA, kBContiguousK = kTransB;
  extern __shared__ __align__(128) unsigned char smem[];
  const uint32_t smem_base = smem_address(smem);
  // Stage s: A tile at s * kStageBytes, B tile right after it.
  auto a_tile = [&](int s) { return smem_base + s * kStageBytes; };
  auto b_tile = [&](int s) { return smem_base + s * kStageBytes + kTileElems * 2; };

  const int64_t batch = blockIdx.z;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kBM;
  const int64_t n0 = static_cast<int64_t>(blockIdx.x) * kBN;
  const uint16_t* A = args.A + batch * args.stride_a + (kAContiguousK ? m0 * args.lda : m0);
  const uint16_t* B = args.B + batch * args.stride_b + (kBContiguousK ? n0 * args.ldb : n0);
  const int64_t m_left = args.M - m0, n_left = args.N - n0;
  const int64_t a_step = kAContiguousK ? kBK : kBK * args.lda;  // one K tile further
  const int64_t b_step = kBContiguousK ? kBK : kBK * args.ldb;
  const int k_tiles = static_cast<int>((args.K + kBK - 1) / kBK);

  auto load_stage = [&](int stage, int kt) {
    const int64_t K_left = args.K - static_cast<int64_t>(kt) * kBK;
    load_tile<kAContiguousK>(a_tile(stage), A + kt * a_step, args.lda, m_left, K_left);
    load_tile<kBContiguousK>(b_tile(stage), B + kt * b_step, args.ldb, n_left, K_left);
  };

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int warp_m = (warp >> 1) * 64, warp_n = (warp & 1) * 64;
  float acc[4][8][4] = {};

  // Prologue: stages 0 .. kStages-2 in flight (a group is committed even when empty, so the
  // wait below always counts the same number of groups).
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < k_tiles) load_stage(s, s);
    cp_async_commit();
  }

  for (int kt = 0; kt < k_tiles; ++kt) {
    cp_async_wait<kStages - 2>();  // this thread's copies of tile kt have landed
    __syncthreads();               // ... and everyone's; stage (kt - 1) % kStages is free
    const int next = kt + kStages - 1;
    if (next < k_tiles) load_stage(next % kStages, next);
    cp_async_commit();

    const int stage = kt % kStages;
#pragma unroll
    for (int kk = 0; kk < kBK; kk += 16) {
      uint32_t a[4][4], b[4][4];
#pragma unroll
      for (int mi = 0; mi < 4; ++mi)
        load_a_fragment<kAContiguousK>(a[mi], a_tile(stage), warp_m + mi * 16, kk, lane);
#pragma unroll
      for (int nj = 0; nj < 4; ++nj)
        load_b_fragments<kBContiguousK>(b[nj], b_tile(stage), warp_n + nj * 16, kk, lane);
#pragma unroll
      for (int mi = 0; mi < 4; ++mi)
#pragma unroll
        for (int ni = 0; ni < 8; ++ni)
          mma_bf16_16816(acc[mi][ni], a[mi], b[ni >> 1][(ni & 1) * 2],
                         b[ni >> 1][(ni & 1) * 2 + 1]);
    }
  }
  cp_async_wait<0>();  // only empty groups can be left; nothing may be in flight at exit

  // Epilogue. Accumulator layout of an m16n8 tile: thread (group g = lane / 4, t = lane % 4)
  // holds (row g, cols 2t, 2t+1) in d[0], d[1] and (row g + 8, same cols) in d[2], d[3].
  const float alpha = args.alpha, beta = args.beta;
  float* C = args.C + batch * args.stride_c;
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int mi = 0; mi < 4; ++mi)
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int64_t row = m0 + warp_m + mi * 16 + g + half * 8;
      if (row >= args.M) continue;
#pragma unroll
      for (int ni = 0; ni < 8; ++ni) {
        const int64_t col = n0 + warp_n + ni * 8 + 2 * t;
        float* c = C + row * args.ldc + col;
        const float v0 = alpha * acc[mi][ni][half * 2], v1 = alpha * acc[mi][ni][half * 2 + 1];
        if (args.vec_c && col + 1 < args.N) {
          float2 out = make_float2(v0, v1);
          if (beta != 0.0f) {
            const float2 old = *reinterpret_cast<const float2*>(c);
            out.x = fmaf(beta, old.x, v0);
            out.y = fmaf(beta, old.y, v1);
          }
          *reinterpret_cast<float2*>(c) = out;
        } else {
          if (col < args.N) c[0] = beta != 0.0f ? fmaf(beta, c[0], v0) : v0;
          if (col + 1 < args.N) c[1] = beta != 0.0f ? fmaf(beta, c[1], v1) : v1;
        }
      }
    }
}

// Copies `count` matrices of rows x cols (row stride ld, matrix stride stride) into dst with
// row stride dst_ld and matrix stride rows * dst_ld. Padding columns are left as they are.
__global__ void repack_kernel(const uint16_t* src, int64_t ld, int64_t stride, uint16_t* dst,
                              int64_t dst_ld, int64_t rows, int64_t cols, int64_t count) {
  const int64_t per_matrix = rows * cols;
  TT_GRID_STRIDE_LOOP(i, per_matrix * count) {
    const int64_t b = i / per_matrix, rc = i % per_matrix, r = rc / cols, c = rc % cols;
    dst[(b * rows + r) * dst_ld + c] = src[b * stride + r * ld + c];
  }
}

bool cp_async_ready(const void* p, int64_t ld, int64_t stride, int64_t count) {
  return reinterpret_cast<uintptr_t>(p) % 16 == 0 && ld % 8 == 0 &&
         (count == 1 || stride % 8 == 0);
}

// A device_malloc'd block, returned to the cache when it goes out of scope (stream-ordered
// reuse makes that safe while a kernel still reads it: core/cuda/allocator.h).
struct DeviceBlock {
  void* ptr = nullptr;
  DeviceBlock() = default;
  DeviceBlock(const DeviceBlock&) = delete;
  DeviceBlock& operator=(const DeviceBlock&) = delete;
  ~DeviceBlock() { tt::cuda::device_free(ptr); }
};

// An operand as the kernel needs it: the caller's memory, or an aligned padded copy of it.
struct Bf16Operand {
  const uint16_t* data;
  int64_t ld, stride;
  DeviceBlock copy;
  Bf16Operand(const bfloat16* p, int64_t ld_, int64_t stride_, int64_t rows, int64_t cols,
              int64_t count)
      : data(reinterpret_cast<const uint16_t*>(p)), ld(ld_), stride(stride_) {
    if (cp_async_ready(p, ld, stride, count)) return;
    const int64_t padded_ld = (cols + 7) / 8 * 8;
    // A broadcast operand (stride 0) is one matrix: copy it once and keep stride 0.
    const int64_t copies = stride == 0 ? 1 : count;
    copy.ptr = tt::cuda::device_malloc(static_cast<size_t>(copies * rows * padded_ld) * 2);
    const int64_t n = copies * rows * cols;
    repack_kernel<<<tt::cuda::blocks_for(n, tt::cuda::kThreads), tt::cuda::kThreads, 0,
                    tt::cuda::current_stream()>>>(data, ld, stride,
                                                  static_cast<uint16_t*>(copy.ptr), padded_ld,
                                                  rows, cols, copies);
    TT_CUDA_CHECK_LAUNCH();
    data = static_cast<const uint16_t*>(copy.ptr);
    ld = padded_ld;
    stride = stride == 0 ? 0 : rows * padded_ld;
  }
};

template <bool kTransA, bool kTransB>
void launch(const Bf16GemmArgs& args, int64_t count) {
  const int64_t grid_m = (args.M + kBM - 1) / kBM, grid_n = (args.N + kBN - 1) / kBN;
  TT_CHECK(grid_m <= detail::kMaxGridYZ, "gemm_cuda_own (bf16): M=", args.M, " needs ", grid_m,
           " row tiles; at most ", detail::kMaxGridYZ, " are supported");
  TT_CHECK(grid_n <= INT32_MAX, "gemm_cuda_own (bf16): N=", args.N, " is too large");
  TT_CHECK((args.K + kBK - 1) / kBK <= INT32_MAX, "gemm_cuda_own (bf16): K=", args.K,
           " is too large");
  // 64 KiB is above the 48 KiB default: opt in (per device; cheap, so on every call).
  TT_CUDA_CHECK(cudaFuncSetAttribute(gemm_bf16_kernel<kTransA, kTransB>,
                                     cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes));
  for (int64_t first = 0; first < count; first += detail::kMaxGridYZ) {
    const int64_t chunk = std::min(count - first, detail::kMaxGridYZ);
    Bf16GemmArgs part = args;
    part.A += first * args.stride_a;
    part.B += first * args.stride_b;
    part.C += first * args.stride_c;
    const dim3 grid(static_cast<unsigned>(grid_n), static_cast<unsigned>(grid_m),
                    static_cast<unsigned>(chunk));
    gemm_bf16_kernel<kTransA, kTransB>
        <<<grid, kThreads, kSmemBytes, tt::cuda::current_stream()>>>(part);
    TT_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace

void gemm_cuda_own(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                   const bfloat16* A, int64_t lda, const bfloat16* B, int64_t ldb, float beta,
                   float* C, int64_t ldc, const GemmBatch& batch) {
  if (detail::gemm_cuda_prologue("gemm_cuda_own", trans_a, trans_b, M, N, K, alpha, lda, ldb,
                                 beta, C, ldc, batch))
    return;
  // Stored shapes: A is [M,K] or, transposed, [K,M]; B is [K,N] or [N,K].
  const Bf16Operand a(A, lda, batch.stride_a, trans_a ? K : M, trans_a ? M : K, batch.count);
  const Bf16Operand b(B, ldb, batch.stride_b, trans_b ? N : K, trans_b ? K : N, batch.count);
  const bool vec_c = reinterpret_cast<uintptr_t>(C) % 8 == 0 && ldc % 2 == 0 &&
                     (batch.count == 1 || batch.stride_c % 2 == 0);
  const Bf16GemmArgs args{M,   N,       K, alpha,  beta, a.data,         a.ld, a.stride,
                          b.data, b.ld, b.stride, C, ldc, batch.stride_c, vec_c};
  if (!trans_a && !trans_b) launch<false, false>(args, batch.count);
  else if (!trans_a && trans_b) launch<false, true>(args, batch.count);
  else if (trans_a && !trans_b) launch<true, false>(args, batch.count);
  else launch<true, true>(args, batch.count);
}

}  // namespace tt::blas

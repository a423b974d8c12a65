// CUDA flash attention (f32, head_dim 32 or 64): forward and the FA-2 backward.
//
// Thread layout, shared by every kernel: a block of kBlockThreads = 256 threads owns a tile of
// kTileRows = 64 rows (query rows in the forward and dQ kernels, key rows in the dK/dV
// kernel); each row belongs to kLanes = 4 neighbouring threads ("lanes"), and lane l holds the
// float4 groups l, l + 4, l + 8, ... of the row's head dims in registers (dims 4(l + 4v) to
// 4(l + 4v) + 3; dim_of below). A dot product over the head dim is each lane's partial sum,
// then two xor-shuffles inside the 4 lanes; the 4 lanes then hold the same bits (IEEE + is
// commutative), so they take the same branch and the same max. The other operand streams
// through shared memory in tiles of kTile = 64 rows; all threads read the same tile row at the
// same time with 16-byte loads, the 4 lanes of a row 64 consecutive bytes: no bank conflicts.
//
// Forward (per query row i): for each key tile, scores s_j = scale * q_i . k_j + mask_j in
// chunks of kChunk = 16 keys; the running max m and sum l of exp(s - m) and the output
// accumulator are rescaled once per chunk (online softmax). Writes out_i = acc / l and
// stats_i = (m, 1 / l); a fully masked row (m = -inf) writes zeros and stats (0, 0). The
// seq_q x seq_k matrix never reaches global memory.
// Backward: delta_i = dO_i . O_i (one small kernel); then dK/dV (a block per key tile, looping
// over all query tiles) and dQ (a block per query tile, looping over all key tiles) each
// recompute p_ij = exp(s_ij - m_i) / l_i. Every gradient element is written by one thread
// once: no atomics, the same bits on every run.
// Dropout: element (b, h, i, j) of the probabilities, row-major index e, keeps when the
// uniform of counter start + e / 2 (random_math::element_uniform) is < 1 - p, exactly as
// bernoulli() draws the CPU composite's mask; kept values are scaled by 1 / (1 - p) rounded to
// float, as dropout()'s mul. Forward and dQ let each lane draw 4 of a 16-key chunk (consecutive
// elements share Philox calls) and OR the bits across the lanes; dK/dV draw one element per
// lane for 4 query rows at a time.
// Accumulation is f32 throughout (inputs and outputs are f32); exp is expf.
#include <cfloat>

#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/ops/attention/attention_kernels.h"
#include "tinytune/core/random_math.h"  // Philox only: integer ops and exact conversions (no FMA issue)

namespace tt::cuda {

namespace {

constexpr int kLanes = 4;
constexpr int kTileRows = 64;
constexpr int kTile = 64;
constexpr int kBlockThreads = kTileRows * kLanes;
constexpr int kChunk = 16;
static_assert(kChunk == 4 * kLanes, "each lane draws 4 dropout elements of a chunk");
static_assert(kTile % kChunk == 0, "chunks tile the key tile");

// A [batch, heads, seq, head_dim] view with unit stride along head_dim.
struct HeadView {
  float* data = nullptr;
  int64_t stride_b = 0, stride_h = 0, stride_s = 0;
  __device__ __forceinline__ float* row(int64_t b, int64_t h, int64_t s) const {
    return data + b * stride_b + h * stride_h + s * stride_s;
  }
};

struct Params {
  HeadView q, k, v, out, grad_out, grad_q, grad_k, grad_v;
  const float* mask = nullptr;  // null: no mask
  int64_t mask_stride_b = 0, mask_stride_k = 0;
  float* stats = nullptr;  // [rows][2]: row max, 1 / row sum
  float* delta = nullptr;  // [rows]: dO . O (backward)
  int64_t heads = 0, seq_q = 0, seq_k = 0;
  float scale = 1.f;
  bool dropout = false;
  double keep_prob = 1.0;
  float keep_scale = 1.f;
  uint64_t seed = 0, start = 0;
};

// The head dim held in register slot t (= 4v + c) of a lane: element c of float4 group
// lane + 4v of the row.
__device__ __forceinline__ int dim_of(int lane, int t) {
  return 4 * (lane + kLanes * (t / 4)) + t % 4;
}

// Float4 group v of a lane in a 16-byte aligned shared-memory row.
__device__ __forceinline__ float4 lane_vec(const float* row, int lane, int v) {
  return reinterpret_cast<const float4*>(row)[lane + kLanes * v];
}

// Σ_t regs[t] * row[dim_of(lane, t)] over the lane's slots, in slot order (one order for every
// kernel, so the backward recomputes the forward's scores bit for bit).
template <int kPerLane>
__device__ __forceinline__ float lane_dot(const float (&regs)[kPerLane], const float* row,
                                          int lane) {
  float dot = 0.f;
#pragma unroll
  for (int v = 0; v < kPerLane / 4; ++v) {
    const float4 r = lane_vec(row, lane, v);
    dot += regs[4 * v] * r.x;
    dot += regs[4 * v + 1] * r.y;
    dot += regs[4 * v + 2] * r.z;
    dot += regs[4 * v + 3] * r.w;
  }
  return dot;
}

// acc[t] += w * row[dim_of(lane, t)].
template <int kPerLane>
__device__ __forceinline__ void lane_axpy(float (&acc)[kPerLane], float w, const float* row,
                                          int lane) {
#pragma unroll
  for (int v = 0; v < kPerLane / 4; ++v) {
    const float4 r = lane_vec(row, lane, v);
    acc[4 * v] += w * r.x;
    acc[4 * v + 1] += w * r.y;
    acc[4 * v + 2] += w * r.z;
    acc[4 * v + 3] += w * r.w;
  }
}

// Sum over the 4 lanes of a row (threads 4r .. 4r + 3 of a warp).
__device__ __forceinline__ float lane_sum(float v) {
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  v += __shfl_xor_sync(0xffffffffu, v, 2);
  return v;
}
__device__ __forceinline__ unsigned lane_or(unsigned v) {
  v |= __shfl_xor_sync(0xffffffffu, v, 1);
  v |= __shfl_xor_sync(0xffffffffu, v, 2);
  return v;
}

// Keep bits of the dropout elements e0 .. e0 + 3 (bit u for e0 + u): counter start + e / 2
// gives words 0-1 to the even element of the pair and 2-3 to the odd one.
__device__ __forceinline__ unsigned keep_bits4(const Params& p, int64_t e0) {
  unsigned bits = 0;
  for (int64_t c = e0 / 2; c <= (e0 + 3) / 2; ++c) {
    const random_math::Words w = random_math::philox4x32(p.start + static_cast<uint64_t>(c), 0,
                                                         p.seed);
    const int64_t even = 2 * c;
    if (even >= e0 && random_math::unit_double(w.w[0], w.w[1]) < p.keep_prob)
      bits |= 1u << (even - e0);
    if (even + 1 <= e0 + 3 && random_math::unit_double(w.w[2], w.w[3]) < p.keep_prob)
      bits |= 1u << (even + 1 - e0);
  }
  return bits;
}

// Keep bits of the kChunk consecutive elements e0 .. e0 + 15 (bit jj for e0 + jj), the same in
// the 4 lanes of a row: lane l draws e0 + 4l .. e0 + 4l + 3. All lanes must call.
__device__ __forceinline__ unsigned chunk_keep_bits(const Params& p, int64_t e0, int lane) {
  return lane_or(keep_bits4(p, e0 + 4 * lane) << (4 * lane));
}

__device__ __forceinline__ float mask_value(const Params& p, int64_t b, int64_t j) {
  return p.mask != nullptr ? p.mask[b * p.mask_stride_b + j * p.mask_stride_k] : 0.f;
}

// Rows [r0, r0 + kTile) of a head (zeros past `rows`) into tile[kTile][D], all threads.
template <int D>
__device__ __forceinline__ void load_tile(float (*tile)[D], const HeadView& view, int64_t b,
                                          int64_t h, int64_t r0, int64_t rows) {
  for (int idx = threadIdx.x; idx < kTile * D; idx += kBlockThreads) {
    const int r = idx / D, d = idx % D;
    tile[r][d] = r0 + r < rows ? view.row(b, h, r0 + r)[d] : 0.f;
  }
}

template <int D>
__global__ void __launch_bounds__(kBlockThreads) attention_forward_kernel(const Params p) {
  constexpr int kPerLane = D / kLanes;
  static_assert(D % (4 * kLanes) == 0, "each lane holds whole float4 groups");
  __shared__ __align__(16) float k_tile[kTile][D];
  __shared__ __align__(16) float v_tile[kTile][D];
  __shared__ float mask_tile[kTile];

  const int64_t q_tiles = (p.seq_q + kTileRows - 1) / kTileRows;
  const int64_t bh = blockIdx.x / q_tiles;
  const int64_t b = bh / p.heads, h = bh % p.heads;
  const int64_t i = (blockIdx.x % q_tiles) * kTileRows + threadIdx.x / kLanes;
  const int lane = threadIdx.x % kLanes;
  const bool row_valid = i < p.seq_q;  // rows past seq_q compute on zeros and write nothing

  float q[kPerLane], acc[kPerLane];
  const float* q_row = p.q.row(b, h, row_valid ? i : 0);
#pragma unroll
  for (int t = 0; t < kPerLane; ++t) {
    q[t] = row_valid ? q_row[dim_of(lane, t)] : 0.f;
    acc[t] = 0.f;
  }
  float row_max = -INFINITY, row_sum = 0.f;
  const int64_t element_row = (bh * p.seq_q + i) * p.seq_k;  // dropout index of (i, key 0)

  for (int64_t j0 = 0; j0 < p.seq_k; j0 += kTile) {
    const int n_keys = static_cast<int>(min(static_cast<int64_t>(kTile), p.seq_k - j0));
    __syncthreads();  // every thread is done with the previous tile
    load_tile<D>(k_tile, p.k, b, h, j0, p.seq_k);
    load_tile<D>(v_tile, p.v, b, h, j0, p.seq_k);
    if (threadIdx.x < kTile)
      mask_tile[threadIdx.x] =
          static_cast<int>(threadIdx.x) < n_keys ? mask_value(p, b, j0 + threadIdx.x) : 0.f;
    __syncthreads();

    for (int c0 = 0; c0 < n_keys; c0 += kChunk) {
      float s[kChunk];
      float chunk_max = -INFINITY;
#pragma unroll
      for (int jj = 0; jj < kChunk; ++jj) {
        const float dot = lane_sum(lane_dot(q, k_tile[c0 + jj], lane));
        s[jj] = c0 + jj < n_keys ? dot * p.scale + mask_tile[c0 + jj] : -INFINITY;
        chunk_max = fmaxf(chunk_max, s[jj]);
      }
      const float new_max = fmaxf(row_max, chunk_max);
      // While every score so far is -inf (a -inf mask), shift by 0: exp(-inf - 0) = 0, where
      // exp(-inf - -inf) would be NaN.
      const float shift = new_max == -INFINITY ? 0.f : new_max;
      const float correction = expf(row_max - shift);
      row_sum *= correction;
#pragma unroll
      for (int t = 0; t < kPerLane; ++t) acc[t] *= correction;
      const unsigned keep =
          p.dropout ? chunk_keep_bits(p, element_row + j0 + c0, lane) : 0xffffffffu;
#pragma unroll
      for (int jj = 0; jj < kChunk; ++jj) {
        const float e = expf(s[jj] - shift);  // 0 past n_keys (s = -inf)
        row_sum += e;
        const float w = (keep >> jj) & 1u ? (p.dropout ? e * p.keep_scale : e) : 0.f;
        lane_axpy(acc, w, v_tile[c0 + jj], lane);
      }
      row_max = new_max;
    }
  }

  if (row_valid) {
    // A fully masked row (every score -inf, row_sum 0) outputs zeros, as the guarded softmax
    // of the CPU composite does (softmax.h). Its stats (shift 0, 1 / sum 0) make the backward
    // recompute p = exp(-inf - 0) * 0 = 0, so the row adds nothing to dQ, dK or dV.
    const bool fully_masked = row_max == -INFINITY;
    const float inv_sum = fully_masked ? 0.f : 1.f / row_sum;
    float* out_row = p.out.row(b, h, i);
#pragma unroll
    for (int t = 0; t < kPerLane; ++t) out_row[dim_of(lane, t)] = acc[t] * inv_sum;
    if (lane == 0) {
      const int64_t r = bh * p.seq_q + i;
      p.stats[2 * r] = fully_masked ? 0.f : row_max;
      p.stats[2 * r + 1] = inv_sum;
    }
  }
}

// delta[r] = dO_r . O_r for the rows r = (b, h, i) in [0, rows).
template <int D>
__global__ void __launch_bounds__(kBlockThreads) attention_delta_kernel(const Params p,
                                                                        int64_t rows) {
  constexpr int kPerLane = D / kLanes;
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kTileRows + threadIdx.x / kLanes;
  const int lane = threadIdx.x % kLanes;
  float s = 0.f;
  if (r < rows) {
    const int64_t bh = r / p.seq_q, i = r % p.seq_q;
    const int64_t b = bh / p.heads, h = bh % p.heads;
    const float* go = p.grad_out.row(b, h, i);
    const float* o = p.out.row(b, h, i);
#pragma unroll
    for (int t = 0; t < kPerLane; ++t) s += go[dim_of(lane, t)] * o[dim_of(lane, t)];
  }
  s = lane_sum(s);  // every lane calls (full-mask shuffle)
  if (r < rows && lane == 0) p.delta[r] = s;
}

// dK, dV for one key tile: each key row (4 lanes) sums over every query row i
//   dV_j += p_ij z_ij dO_i,   dK_j += p_ij (z_ij dO_i . V_j - delta_i) Q_i   (times scale).
template <int D>
__global__ void __launch_bounds__(kBlockThreads) attention_backward_dkdv_kernel(const Params p) {
  constexpr int kPerLane = D / kLanes;
  __shared__ __align__(16) float q_tile[kTile][D];
  __shared__ __align__(16) float go_tile[kTile][D];
  __shared__ float max_tile[kTile], inv_sum_tile[kTile], delta_tile[kTile];

  const int64_t k_tiles = (p.seq_k + kTileRows - 1) / kTileRows;
  const int64_t bh = blockIdx.x / k_tiles;
  const int64_t b = bh / p.heads, h = bh % p.heads;
  const int64_t j = (blockIdx.x % k_tiles) * kTileRows + threadIdx.x / kLanes;
  const int lane = threadIdx.x % kLanes;
  const bool key_valid = j < p.seq_k;

  float k[kPerLane], v[kPerLane], dk[kPerLane], dv[kPerLane];
  const float* k_row = p.k.row(b, h, key_valid ? j : 0);
  const float* v_row = p.v.row(b, h, key_valid ? j : 0);
#pragma unroll
  for (int t = 0; t < kPerLane; ++t) {
    k[t] = key_valid ? k_row[dim_of(lane, t)] : 0.f;
    v[t] = key_valid ? v_row[dim_of(lane, t)] : 0.f;
    dk[t] = dv[t] = 0.f;
  }
  const float mask_j = key_valid ? mask_value(p, b, j) : 0.f;

  for (int64_t i0 = 0; i0 < p.seq_q; i0 += kTile) {
    const int n_rows = static_cast<int>(min(static_cast<int64_t>(kTile), p.seq_q - i0));
    __syncthreads();
    load_tile<D>(q_tile, p.q, b, h, i0, p.seq_q);
    load_tile<D>(go_tile, p.grad_out, b, h, i0, p.seq_q);
    if (threadIdx.x < kTile) {
      const int ii = threadIdx.x;
      const int64_t r = bh * p.seq_q + i0 + ii;
      max_tile[ii] = ii < n_rows ? p.stats[2 * r] : 0.f;
      inv_sum_tile[ii] = ii < n_rows ? p.stats[2 * r + 1] : 0.f;
      delta_tile[ii] = ii < n_rows ? p.delta[r] : 0.f;
    }
    __syncthreads();

    for (int ii0 = 0; ii0 < n_rows; ii0 += kLanes) {
      // Lane l draws the element of query row ii0 + l and key j; the 4 lanes share the bits.
      unsigned keep = 0xffffffffu;
      if (p.dropout) {
        const int64_t e = (bh * p.seq_q + i0 + ii0 + lane) * p.seq_k + j;
        const bool kept = random_math::element_uniform(p.seed, p.start, e) < p.keep_prob;
        keep = lane_or(static_cast<unsigned>(kept) << lane);
      }
#pragma unroll
      for (int u = 0; u < kLanes; ++u) {
        const int ii = ii0 + u;  // < kTile: ii0 < n_rows <= kTile and ii0 % 4 == 0
        const float dot_s = lane_sum(lane_dot(k, q_tile[ii], lane));
        const float dot_p = lane_sum(lane_dot(v, go_tile[ii], lane));
        if (ii < n_rows) {
          const float s = dot_s * p.scale + mask_j;
          const float prob = expf(s - max_tile[ii]) * inv_sum_tile[ii];
          const float z = p.dropout ? ((keep >> u) & 1u ? p.keep_scale : 0.f) : 1.f;
          const float pz = prob * z;
          const float ds = prob * (dot_p * z - delta_tile[ii]);
          lane_axpy(dv, pz, go_tile[ii], lane);
          lane_axpy(dk, ds, q_tile[ii], lane);
        }
      }
    }
  }

  if (key_valid) {
    float* dk_row = p.grad_k.row(b, h, j);
    float* dv_row = p.grad_v.row(b, h, j);
#pragma unroll
    for (int t = 0; t < kPerLane; ++t) {
      dk_row[dim_of(lane, t)] = dk[t] * p.scale;
      dv_row[dim_of(lane, t)] = dv[t];
    }
  }
}

// dQ for one query tile: each query row (4 lanes) sums over every key j
//   dQ_i += p_ij (z_ij dO_i . V_j - delta_i) K_j   (times scale).
template <int D>
__global__ void __launch_bounds__(kBlockThreads) attention_backward_dq_kernel(const Params p) {
  constexpr int kPerLane = D / kLanes;
  __shared__ __align__(16) float k_tile[kTile][D];
  __shared__ __align__(16) float v_tile[kTile][D];
  __shared__ float mask_tile[kTile];

  const int64_t q_tiles = (p.seq_q + kTileRows - 1) / kTileRows;
  const int64_t bh = blockIdx.x / q_tiles;
  const int64_t b = bh / p.heads, h = bh % p.heads;
  const int64_t i = (blockIdx.x % q_tiles) * kTileRows + threadIdx.x / kLanes;
  const int lane = threadIdx.x % kLanes;
  const bool row_valid = i < p.seq_q;
  const int64_t r = bh * p.seq_q + i;

  float q[kPerLane], go[kPerLane], dq[kPerLane];
  const float* q_row = p.q.row(b, h, row_valid ? i : 0);
  const float* go_row = p.grad_out.row(b, h, row_valid ? i : 0);
#pragma unroll
  for (int t = 0; t < kPerLane; ++t) {
    q[t] = row_valid ? q_row[dim_of(lane, t)] : 0.f;
    go[t] = row_valid ? go_row[dim_of(lane, t)] : 0.f;
    dq[t] = 0.f;
  }
  const float row_max = row_valid ? p.stats[2 * r] : 0.f;
  const float inv_sum = row_valid ? p.stats[2 * r + 1] : 0.f;
  const float delta = row_valid ? p.delta[r] : 0.f;
  const int64_t element_row = r * p.seq_k;

  for (int64_t j0 = 0; j0 < p.seq_k; j0 += kTile) {
    const int n_keys = static_cast<int>(min(static_cast<int64_t>(kTile), p.seq_k - j0));
    __syncthreads();
    load_tile<D>(k_tile, p.k, b, h, j0, p.seq_k);
    load_tile<D>(v_tile, p.v, b, h, j0, p.seq_k);
    if (threadIdx.x < kTile)
      mask_tile[threadIdx.x] =
          static_cast<int>(threadIdx.x) < n_keys ? mask_value(p, b, j0 + threadIdx.x) : 0.f;
    __syncthreads();

    for (int c0 = 0; c0 < n_keys; c0 += kChunk) {
      const unsigned keep =
          p.dropout ? chunk_keep_bits(p, element_row + j0 + c0, lane) : 0xffffffffu;
#pragma unroll
      for (int jj = 0; jj < kChunk; ++jj) {
        const int kk = c0 + jj;  // < kTile
        const float dot_s = lane_sum(lane_dot(q, k_tile[kk], lane));
        const float dot_p = lane_sum(lane_dot(go, v_tile[kk], lane));
        if (kk < n_keys) {
          const float s = dot_s * p.scale + mask_tile[kk];
          const float prob = expf(s - row_max) * inv_sum;
          const float z = p.dropout ? ((keep >> jj) & 1u ? p.keep_scale : 0.f) : 1.f;
          const float ds = prob * (dot_p * z - delta);
          lane_axpy(dq, ds, k_tile[kk], lane);
        }
      }
    }
  }

  if (row_valid) {
    float* dq_row = p.grad_q.row(b, h, i);
#pragma unroll
    for (int t = 0; t < kPerLane; ++t) dq_row[dim_of(lane, t)] = dq[t] * p.scale;
  }
}

HeadView head_view(const Tensor& t) {
  TT_CHECK(t.dim() == 4 && t.strides()[3] == 1,
           "scaled_dot_product_attention (CUDA): expected a [batch, heads, seq, head_dim] view "
           "with unit stride along head_dim, got shape ", shape_str(t.shape()), " strides ",
           shape_str(t.strides()));
  HeadView view;
  view.data = device_data<float>(t);
  view.stride_b = t.strides()[0];
  view.stride_h = t.strides()[1];
  view.stride_s = t.strides()[2];
  return view;
}

Params make_params(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                   double scale, const AttentionDropout& dropout, const Tensor& out,
                   const Tensor& stats) {
  Params p;
  p.q = head_view(q);
  p.k = head_view(k);
  p.v = head_view(v);
  p.out = head_view(out);
  if (mask.defined()) {
    p.mask = device_data<float>(mask);
    p.mask_stride_b = mask.shape()[0] == 1 ? 0 : mask.strides()[0];
    p.mask_stride_k = mask.strides()[3];
  }
  p.stats = device_data<float>(stats);
  p.heads = q.shape()[1];
  p.seq_q = q.shape()[2];
  p.seq_k = k.shape()[2];
  p.scale = static_cast<float>(scale);
  if (dropout.p > 0) {
    p.dropout = true;
    p.keep_prob = 1.0 - dropout.p;
    p.keep_scale = static_cast<float>(1.0 / (1.0 - dropout.p));
    p.seed = dropout.seed;
    p.start = dropout.start;
  }
  return p;
}

// Blocks for the row tiles of `rows` rows in each of the batch * heads heads.
unsigned head_tile_blocks(const Tensor& q, int64_t rows) {
  const int64_t blocks = q.shape()[0] * q.shape()[1] * ((rows + kTileRows - 1) / kTileRows);
  TT_CHECK(blocks <= 0x7fffffff, "scaled_dot_product_attention (CUDA): ", blocks,
           " blocks exceed the grid limit (batch * heads * ceil(seq / ", kTileRows, "))");
  return static_cast<unsigned>(blocks);
}

}  // namespace

void attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                       double scale, const AttentionDropout& dropout, const Tensor& out,
                       const Tensor& stats) {
  const int64_t head_dim = q.shape()[3];
  TT_CHECK(attention_fused_supported(q.dtype(), head_dim, v.shape()[3]),
           "scaled_dot_product_attention (CUDA): the fused kernel takes f32 with head_dim 32 or "
           "64, got ", dtype_name(q.dtype()), " with head_dim ", head_dim);
  if (q.numel() == 0 || k.shape()[2] == 0) return;
  const Params p = make_params(q, k, v, mask, scale, dropout, out, stats);
  const unsigned blocks = head_tile_blocks(q, p.seq_q);
  cudaStream_t stream = current_stream();
  if (head_dim == 32)
    attention_forward_kernel<32><<<blocks, kBlockThreads, 0, stream>>>(p);
  else
    attention_forward_kernel<64><<<blocks, kBlockThreads, 0, stream>>>(p);
  TT_CUDA_CHECK_LAUNCH();
}

void attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                        double scale, const AttentionDropout& dropout, const Tensor& out,
                        const Tensor& stats, const Tensor& grad_out, const Tensor& grad_q,
                        const Tensor& grad_k, const Tensor& grad_v) {
  const int64_t head_dim = q.shape()[3];
  TT_CHECK(attention_fused_supported(q.dtype(), head_dim, v.shape()[3]),
           "scaled_dot_product_attention (CUDA): the fused kernel takes f32 with head_dim 32 or "
           "64, got ", dtype_name(q.dtype()), " with head_dim ", head_dim);
  if (q.numel() == 0 || k.shape()[2] == 0) return;
  Params p = make_params(q, k, v, mask, scale, dropout, out, stats);
  p.grad_out = head_view(grad_out);
  p.grad_q = head_view(grad_q);
  p.grad_k = head_view(grad_k);
  p.grad_v = head_view(grad_v);
  const int64_t rows = q.shape()[0] * q.shape()[1] * p.seq_q;
  Tensor delta = empty({rows}, DType::f32, q.device());
  p.delta = device_data<float>(delta);
  const unsigned delta_blocks = static_cast<unsigned>((rows + kTileRows - 1) / kTileRows);
  const unsigned q_blocks = head_tile_blocks(q, p.seq_q);
  const unsigned k_blocks = head_tile_blocks(q, p.seq_k);
  cudaStream_t stream = current_stream();
  if (head_dim == 32) {
    attention_delta_kernel<32><<<delta_blocks, kBlockThreads, 0, stream>>>(p, rows);
    TT_CUDA_CHECK_LAUNCH();
    attention_backward_dkdv_kernel<32><<<k_blocks, kBlockThreads, 0, stream>>>(p);
    TT_CUDA_CHECK_LAUNCH();
    attention_backward_dq_kernel<32><<<q_blocks, kBlockThreads, 0, stream>>>(p);
  } else {
    attention_delta_kernel<64><<<delta_blocks, kBlockThreads, 0, stream>>>(p, rows);
    TT_CUDA_CHECK_LAUNCH();
    attention_backward_dkdv_kernel<64><<<k_blocks, kBlockThreads, 0, stream>>>(p);
    TT_CUDA_CHECK_LAUNCH();
    attention_backward_dq_kernel<64><<<q_blocks, kBlockThreads, 0, stream>>>(p);
  }
  TT_CUDA_CHECK_LAUNCH();
}

}  // namespace tt::cuda

// Row reductions for the kernels that give each row of a matrix to a group of threads (softmax,
// layer_norm, cross_entropy): a group is one warp (short rows, several rows per block) or the
// whole block (long rows, one row per block). Include from .cu files only.
//
//   template <int kGroup> __global__ void k(...) {      // kGroup: 32 or blockDim.x
//     __shared__ float scratch[32];                       // one slot per warp (block groups)
//     float s = 0;
//     for (int64_t j = threadIdx.x % kGroup; j < n; j += kGroup) s += row[j];
//     s = group_sum<kGroup>(s, scratch);                  // every thread of the group gets it
//
// Every reduction is a fixed butterfly/tree (no atomics), so results are bitwise reproducible,
// and every thread of the group gets the same bits (IEEE + and max are commutative, so both
// partners of a butterfly step compute the same value). All threads of a group must call
// (warp shuffles use the full mask; block groups synchronise); blockDim.x is a multiple of 32.
#pragma once
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

namespace tt::cuda {

// Launch shape of the row kernels: rows up to kWarpRowMax long go to one warp each, in blocks
// of kWarpGroupThreads (8 rows a block); longer rows to one block of kBlockGroupThreads.
constexpr int kWarpGroupThreads = 256;
constexpr int kBlockGroupThreads = 512;
constexpr int64_t kWarpRowMax = 1024;  // 32 values a lane

// The first row of this thread's group and the step between its rows: warps (kGroup 32) take
// consecutive rows inside a block; a block group takes one row per block. The step is uniform
// across a group, so every thread of a group runs the same iterations (required by the group
// reductions below).
template <int kGroup>
__device__ __forceinline__ int64_t first_row() {
  return static_cast<int64_t>(blockIdx.x) * (blockDim.x / kGroup) + threadIdx.x / kGroup;
}
template <int kGroup>
__device__ __forceinline__ int64_t row_step() {
  return static_cast<int64_t>(gridDim.x) * (blockDim.x / kGroup);
}

// Online softmax state of a set of values: the max and the sum of exp(value - max).
template <typename T>
struct MaxSum {
  T max;
  T sum;
};

template <typename T> __device__ __forceinline__ T device_exp(T x);
template <> __device__ __forceinline__ float device_exp<float>(float x) { return expf(x); }
template <> __device__ __forceinline__ double device_exp<double>(double x) { return exp(x); }
template <typename T> __device__ __forceinline__ T device_log(T x);
template <> __device__ __forceinline__ float device_log<float>(float x) { return logf(x); }
template <> __device__ __forceinline__ double device_log<double>(double x) { return log(x); }

template <typename T> __device__ __forceinline__ T negative_infinity() { return -INFINITY; }

// Adds one value to a MaxSum (online softmax, Milakov & Gimelshein 2018).
template <typename T>
__device__ __forceinline__ MaxSum<T> max_sum_push(MaxSum<T> a, T x) {
  if (x > a.max) {  // also true for the first finite value when a.max is -inf
    a.sum = a.sum * device_exp(a.max - x) + T(1);  // exp(-inf) = 0 when a was empty
    a.max = x;
  } else if (x != negative_infinity<T>()) {  // -inf adds exp(-inf) = 0 (and -inf - -inf is NaN)
    a.sum += device_exp(x - a.max);  // NaN x (or max) propagates, as on the CPU
  }
  return a;
}

// Merges two MaxSums. Empty states (max = -inf, sum = 0) contribute nothing and make no NaN.
// Symmetric in a and b bitwise: both operands are rescaled to the common max, then added.
template <typename T>
__device__ __forceinline__ MaxSum<T> max_sum_merge(MaxSum<T> a, MaxSum<T> b) {
  const T m = fmax(a.max, b.max);
  if (m == negative_infinity<T>()) return {m, T(0)};
  const T sa = a.max == negative_infinity<T>() ? T(0) : a.sum * device_exp(a.max - m);
  const T sb = b.max == negative_infinity<T>() ? T(0) : b.sum * device_exp(b.max - m);
  return {m, sa + sb};
}

struct SumOp {
  template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};
struct MaxOp {  // fmax: commutative, and a NaN operand does not make partners disagree
  template <typename T> __device__ __forceinline__ T operator()(T a, T b) const {
    return fmax(a, b);
  }
};
struct MaxSumOp {
  template <typename T>
  __device__ __forceinline__ MaxSum<T> operator()(MaxSum<T> a, MaxSum<T> b) const {
    return max_sum_merge(a, b);
  }
};

template <typename T> __device__ __forceinline__ T shuffle_xor(T v, int lane_mask) {
  return __shfl_xor_sync(0xffffffffu, v, lane_mask);
}
template <typename T>
__device__ __forceinline__ MaxSum<T> shuffle_xor(MaxSum<T> v, int lane_mask) {
  return {shuffle_xor(v.max, lane_mask), shuffle_xor(v.sum, lane_mask)};
}

// Butterfly over the `width` lanes of each aligned lane group (width a power of two <= 32).
template <int kWidth = 32, typename V, typename Op>
__device__ __forceinline__ V warp_reduce(V v, Op op) {
#pragma unroll
  for (int mask = kWidth / 2; mask > 0; mask /= 2) v = op(v, shuffle_xor(v, mask));
  return v;
}

// Over the whole block; `identity` is the op's neutral value (0 for sums, -inf for max,
// {-inf, 0} for MaxSum). `scratch` holds at least 32 values (one per warp) and may be reused
// by the next call: the leading barrier keeps a fast warp from overwriting it while another
// still reads the previous partials.
template <typename V, typename Op>
__device__ __forceinline__ V block_reduce(V v, Op op, V identity, V* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int warps = blockDim.x >> 5;
  v = warp_reduce(v, op);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  // Every warp folds all partials itself, in the same order: the same bits in every thread.
  V w = lane < warps ? scratch[lane] : identity;
  return warp_reduce(w, op);
}

// The sum over the row's group: a warp (kGroup == 32) or the whole block (kGroup ==
// blockDim.x). The rank of a thread inside its group is threadIdx.x % kGroup.
template <int kGroup, typename V, typename Op>
__device__ __forceinline__ V group_reduce(V v, Op op, V identity, V* scratch) {
  if constexpr (kGroup == 32)
    return warp_reduce(v, op);
  else
    return block_reduce(v, op, identity, scratch);
}

template <int kGroup, typename T>
__device__ __forceinline__ T group_sum(T v, T* scratch) {
  return group_reduce<kGroup>(v, SumOp{}, T(0), scratch);
}

template <int kGroup, typename T>
__device__ __forceinline__ MaxSum<T> group_max_sum(MaxSum<T> v, MaxSum<T>* scratch) {
  return group_reduce<kGroup>(v, MaxSumOp{}, MaxSum<T>{negative_infinity<T>(), T(0)}, scratch);
}

// 16-byte vectors for aligned row loads (4 floats or 2 doubles).
template <typename T>
struct alignas(16) Vec16 {
  static constexpr int kSize = 16 / sizeof(T);
  T v[kSize];
};

// Whether every pointer is 16-byte aligned (row starts then are too when the row length is a
// multiple of Vec16<T>::kSize).
inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace tt::cuda

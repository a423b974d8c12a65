// CUDA kernels of the reductions. No atomics anywhere: each output is written by exactly one
// thread, after a tree reduction whose shape depends only on the tensor's shape, so results
// are bitwise reproducible from run to run (core/cuda/runtime.h, deterministic mode).
//
// sum_rows picks one of three layouts by shape:
//   cols <= 1024:                 a warp per row (lanes stride the row, shuffle tree);
//   enough rows, or cols <= 32K:  a block per row (threads stride, warp + shared-memory tree);
//   few, very long rows:          two passes: blocks sum fixed chunks of a row into doubles,
//                                 then a block per row sums its chunks.
// Sums accumulate in double, as on the CPU.
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/ops/reduce/reduce_kernels.h"

namespace tt::cuda {

namespace {

constexpr int kWarp = 32;
constexpr int kReduceThreads = 256;           // a multiple of kWarp
constexpr int64_t kWarpRowLimit = 1024;       // cols up to this: a warp per row
constexpr int64_t kBlockRowLimit = 32768;     // cols up to this: a block per row
constexpr int64_t kChunk = 16384;             // elements per block in the first pass
constexpr int64_t kRowsToFillDevice = 264;    // 2 blocks per SM on an H100 (132 SMs)

// Sum over the 32 lanes of a warp; lane 0 holds the result. Every lane must be active.
__device__ inline double warp_sum(double v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); thread 0 holds the result.
// `scratch` has one slot per warp. Ends with a barrier, so scratch can be reused at once.
__device__ inline double block_sum(double v, double* scratch) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  const int warps = blockDim.x / kWarp;
  v = warp_sum(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < warps ? scratch[lane] : 0.0;
    v = warp_sum(v);
  }
  __syncthreads();
  return v;
}

// A warp per row: out[r] = sum_c x[r * cols + c].
template <typename T, typename Out>
__global__ void sum_rows_warp_kernel(const T* x, Out* out, int64_t rows, int64_t cols) {
  const int lane = threadIdx.x % kWarp;
  const int64_t warps_per_block = blockDim.x / kWarp;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * warps_per_block + threadIdx.x / kWarp;
  for (int64_t r = first; r < rows; r += static_cast<int64_t>(gridDim.x) * warps_per_block) {
    const T* row = x + r * cols;
    double acc = 0.0;
    for (int64_t c = lane; c < cols; c += kWarp) acc += static_cast<double>(row[c]);
    acc = warp_sum(acc);
    if (lane == 0) out[r] = static_cast<Out>(acc);
  }
}

// A block per segment: segment s covers row s / chunks, columns
// [(s % chunks) * chunk, min(cols, that + chunk)); out[s] = its sum. chunks == 1 and
// chunk == cols makes it a block per row.
template <typename T, typename Out>
__global__ void sum_segments_block_kernel(const T* x, Out* out, int64_t rows, int64_t cols,
                                          int64_t chunks, int64_t chunk) {
  __shared__ double scratch[kReduceThreads / kWarp];
  const int64_t segments = rows * chunks;
  for (int64_t s = blockIdx.x; s < segments; s += gridDim.x) {
    const int64_t r = s / chunks;
    const int64_t begin = (s % chunks) * chunk;
    const int64_t end = begin + chunk < cols ? begin + chunk : cols;
    const T* row = x + r * cols;
    double acc = 0.0;
    for (int64_t c = begin + threadIdx.x; c < end; c += blockDim.x)
      acc += static_cast<double>(row[c]);
    acc = block_sum(acc, scratch);
    if (threadIdx.x == 0) out[s] = static_cast<Out>(acc);
  }
}

// The NaN-first, then-largest, then-first-index order of CPU max_along: true when candidate
// (v, k) beats the current best (best, best_k).
template <typename T>
__device__ inline bool beats(T v, int64_t k, T best, int64_t best_k) {
  const bool v_nan = v != v, best_nan = best != best;
  if (v_nan || best_nan) return v_nan && (!best_nan || k < best_k);
  if (v != best) return v > best;
  return k < best_k;
}

// A thread per output (o, i): scans k = 0..n-1 at stride `inner` (coalesced across i).
template <typename T>
__global__ void max_thread_kernel(const T* x, T* values, int64_t* indices, int64_t outer,
                                  int64_t n, int64_t inner) {
  TT_GRID_STRIDE_LOOP(idx, outer * inner) {
    const int64_t o = idx / inner, i = idx % inner;
    const T* p = x + o * n * inner + i;
    T best = p[0];
    int64_t best_k = 0;
    for (int64_t k = 1; k < n; ++k) {
      const T v = p[k * inner];
      if (beats(v, k, best, best_k)) {
        best = v;
        best_k = k;
      }
    }
    values[idx] = best;
    indices[idx] = best_k;
  }
}

// inner == 1 (the max over the last dim): a warp per row, lanes stride the row, then a
// shuffle tree with the same order.
template <typename T>
__global__ void max_warp_kernel(const T* x, T* values, int64_t* indices, int64_t rows,
                                int64_t n) {
  const int lane = threadIdx.x % kWarp;
  const int64_t warps_per_block = blockDim.x / kWarp;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * warps_per_block + threadIdx.x / kWarp;
  for (int64_t r = first; r < rows; r += static_cast<int64_t>(gridDim.x) * warps_per_block) {
    const T* row = x + r * n;
    // Lanes past the end start from element 0, which every lane's scan would reach anyway.
    T best = row[lane < n ? lane : 0];
    int64_t best_k = lane < n ? lane : 0;
    for (int64_t k = lane + kWarp; k < n; k += kWarp) {
      if (beats(row[k], k, best, best_k)) {
        best = row[k];
        best_k = k;
      }
    }
    for (int offset = kWarp / 2; offset > 0; offset /= 2) {
      const T other = __shfl_down_sync(0xffffffffu, best, offset);
      const int64_t other_k = __shfl_down_sync(0xffffffffu, best_k, offset);
      if (beats(other, other_k, best, best_k)) {
        best = other;
        best_k = other_k;
      }
    }
    if (lane == 0) {
      values[r] = best;
      indices[r] = best_k;
    }
  }
}

// A thread per output: one writer per element of grad_x (distinct (o, index, i) triples).
template <typename T>
__global__ void max_backward_kernel(const T* grad, const int64_t* indices, T* grad_x,
                                    int64_t outer, int64_t n, int64_t inner) {
  TT_GRID_STRIDE_LOOP(idx, outer * inner) {
    const int64_t o = idx / inner, i = idx % inner;
    grad_x[(o * n + indices[idx]) * inner + i] = grad[idx];
  }
}

// Blocks for `items` work items handled `per_block` at a time.
int blocks_for_items(int64_t items, int64_t per_block) {
  return blocks_for(items, static_cast<int>(per_block));
}

}  // namespace

void sum_rows(const Tensor& x, const Tensor& out, int64_t rows, int64_t cols) {
  if (rows == 0) return;
  dispatch_floating(x.dtype(), "sum", [&](auto tag) {
    using T = decltype(tag);
    const T* px = device_data<T>(x);
    T* po = device_data<T>(out);
    cudaStream_t stream = current_stream();
    if (cols <= kWarpRowLimit) {
      // Covers cols == 0 (every sum is 0).
      const int blocks = blocks_for_items(rows, kReduceThreads / kWarp);
      sum_rows_warp_kernel<T, T><<<blocks, kReduceThreads, 0, stream>>>(px, po, rows, cols);
      TT_CUDA_CHECK_LAUNCH();
    } else if (rows >= kRowsToFillDevice || cols <= kBlockRowLimit) {
      const int blocks = blocks_for_items(rows, 1);
      sum_segments_block_kernel<T, T><<<blocks, kReduceThreads, 0, stream>>>(px, po, rows, cols,
                                                                             1, cols);
      TT_CUDA_CHECK_LAUNCH();
    } else {
      const int64_t chunks = (cols + kChunk - 1) / kChunk;
      Tensor partial = empty({rows, chunks}, DType::f64, x.device());
      double* pp = device_data<double>(partial);
      sum_segments_block_kernel<T, double><<<blocks_for_items(rows * chunks, 1), kReduceThreads,
                                             0, stream>>>(px, pp, rows, cols, chunks, kChunk);
      TT_CUDA_CHECK_LAUNCH();
      sum_segments_block_kernel<double, T><<<blocks_for_items(rows, 1), kReduceThreads, 0,
                                             stream>>>(pp, po, rows, chunks, 1, chunks);
      TT_CUDA_CHECK_LAUNCH();
    }
  });
}

void max_along(const Tensor& x, const Tensor& values, const Tensor& indices, int64_t outer,
               int64_t n, int64_t inner) {
  const int64_t outputs = outer * inner;
  if (outputs == 0) return;
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t stream = current_stream();
    if (inner == 1) {
      max_warp_kernel<T><<<blocks_for_items(outer, kReduceThreads / kWarp), kReduceThreads, 0,
                           stream>>>(device_data<T>(x), device_data<T>(values),
                                     device_data<int64_t>(indices), outer, n);
    } else {
      max_thread_kernel<T><<<blocks_for(outputs, kThreads), kThreads, 0, stream>>>(
          device_data<T>(x), device_data<T>(values), device_data<int64_t>(indices), outer, n,
          inner);
    }
    TT_CUDA_CHECK_LAUNCH();
  });
}

void max_backward(const Tensor& grad, const Tensor& indices, const Tensor& grad_x,
                  int64_t outer, int64_t n, int64_t inner) {
  const int64_t outputs = outer * inner;
  if (outputs == 0) return;
  dispatch_floating(grad.dtype(), "max backward", [&](auto tag) {
    using T = decltype(tag);
    max_backward_kernel<T><<<blocks_for(outputs, kThreads), kThreads, 0, current_stream()>>>(
        device_data<T>(grad), device_data<int64_t>(indices), device_data<T>(grad_x), outer, n,
        inner);
    TT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace tt::cuda

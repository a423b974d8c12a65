// CUDA softmax kernels.
//
// Along the last dim (inner == 1), each row goes to a group of threads: one warp per row up to
// kWarpRowMax values (8 rows per 256-thread block), the whole 512-thread block per row beyond
// (vocabulary-sized rows). Two passes over the row: the first folds every value into an online
// (max, sum of exp) pair (row_reduce.cuh), the second writes; rows whose length is a multiple
// of 4 floats / 2 doubles on 16-byte aligned storage use 16-byte loads and stores.
// Along another dim (inner > 1): one thread per (outer, inner) line, neighbouring threads on
// neighbouring lines, so each step of the walk along the dim reads consecutive addresses.
// Sums accumulate in T (as the CPU kernel), each row in a fixed order: reproducible bits.
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/cuda/row_reduce.cuh"
#include "tinytune/core/ops/softmax/softmax_kernels.h"

namespace tt::cuda {

namespace {

// Output of a row from its (max, sum of exp): log_softmax x - shift, softmax exp(x - shift) *
// inv_sum. A softmax row with every entry -inf (max -inf, sum 0) gets shift 0 and inv_sum 0,
// so zeros instead of exp(-inf - -inf) / 0 = NaN, as softmax_cpu.cpp does.
template <typename T>
__device__ __forceinline__ void softmax_shift_scale(MaxSum<T> acc, bool log, T& shift,
                                                    T& inv_sum) {
  const bool all_neg_inf = acc.max == negative_infinity<T>();
  if (log) {
    shift = acc.max + device_log(acc.sum);
    inv_sum = T(1);
  } else {
    shift = all_neg_inf ? T(0) : acc.max;
    inv_sum = all_neg_inf ? T(0) : T(1) / acc.sum;
  }
}

template <typename T, int kGroup, bool kVec>
__global__ void softmax_rows_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows,
                                    int64_t n, bool log) {
  __shared__ MaxSum<T> scratch[32];
  using V = Vec16<T>;
  const int rank = threadIdx.x % kGroup;
  for (int64_t row = first_row<kGroup>(); row < rows; row += row_step<kGroup>()) {
    const T* in = x + row * n;
    T* out = y + row * n;
    MaxSum<T> acc{negative_infinity<T>(), T(0)};
    if constexpr (kVec) {
      for (int64_t k = rank; k < n / V::kSize; k += kGroup) {
        const V v = reinterpret_cast<const V*>(in)[k];
#pragma unroll
        for (int e = 0; e < V::kSize; ++e) acc = max_sum_push(acc, v.v[e]);
      }
    } else {
      for (int64_t k = rank; k < n; k += kGroup) acc = max_sum_push(acc, in[k]);
    }
    acc = group_max_sum<kGroup>(acc, scratch);
    // log_softmax: x - (max + log sum); softmax: exp(x - max) * (1 / sum), as the CPU kernel,
    // which also gives a row of only -inf zeros (softmax_shift_scale).
    T shift, inv_sum;
    softmax_shift_scale(acc, log, shift, inv_sum);
    auto value = [&](T v) { return log ? v - shift : device_exp(v - shift) * inv_sum; };
    if constexpr (kVec) {
      for (int64_t k = rank; k < n / V::kSize; k += kGroup) {
        V v = reinterpret_cast<const V*>(in)[k];
#pragma unroll
        for (int e = 0; e < V::kSize; ++e) v.v[e] = value(v.v[e]);
        reinterpret_cast<V*>(out)[k] = v;
      }
    } else {
      for (int64_t k = rank; k < n; k += kGroup) out[k] = value(in[k]);
    }
  }
}

// softmax:     dx = y * (g - Σ g*y);   log_softmax: dx = g - exp(y) * Σ g.
template <typename T, int kGroup, bool kVec>
__global__ void softmax_backward_rows_kernel(const T* __restrict__ y, const T* __restrict__ g,
                                             T* __restrict__ dx, int64_t rows, int64_t n,
                                             bool log) {
  __shared__ T scratch[32];
  using V = Vec16<T>;
  const int rank = threadIdx.x % kGroup;
  for (int64_t row = first_row<kGroup>(); row < rows; row += row_step<kGroup>()) {
    const T* py = y + row * n;
    const T* pg = g + row * n;
    T* pdx = dx + row * n;
    T dot = 0;
    if constexpr (kVec) {
      for (int64_t k = rank; k < n / V::kSize; k += kGroup) {
        const V vy = reinterpret_cast<const V*>(py)[k], vg = reinterpret_cast<const V*>(pg)[k];
#pragma unroll
        for (int e = 0; e < V::kSize; ++e) dot += log ? vg.v[e] : vg.v[e] * vy.v[e];
      }
    } else {
      for (int64_t k = rank; k < n; k += kGroup) dot += log ? pg[k] : pg[k] * py[k];
    }
    dot = group_sum<kGroup>(dot, scratch);
    auto value = [&](T yv, T gv) { return log ? gv - device_exp(yv) * dot : yv * (gv - dot); };
    if constexpr (kVec) {
      for (int64_t k = rank; k < n / V::kSize; k += kGroup) {
        const V vy = reinterpret_cast<const V*>(py)[k], vg = reinterpret_cast<const V*>(pg)[k];
        V out;
#pragma unroll
        for (int e = 0; e < V::kSize; ++e) out.v[e] = value(vy.v[e], vg.v[e]);
        reinterpret_cast<V*>(pdx)[k] = out;
      }
    } else {
      for (int64_t k = rank; k < n; k += kGroup) pdx[k] = value(py[k], pg[k]);
    }
  }
}

// inner > 1: one thread per line; the line's values are `inner` apart.
template <typename T>
__global__ void softmax_lines_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t outer,
                                     int64_t n, int64_t inner, bool log) {
  TT_GRID_STRIDE_LOOP(line, outer * inner) {
    const int64_t base = (line / inner) * n * inner + line % inner;
    MaxSum<T> acc{negative_infinity<T>(), T(0)};
    for (int64_t k = 0; k < n; ++k) acc = max_sum_push(acc, x[base + k * inner]);
    T shift, inv_sum;
    softmax_shift_scale(acc, log, shift, inv_sum);
    for (int64_t k = 0; k < n; ++k) {
      const T v = x[base + k * inner];
      y[base + k * inner] = log ? v - shift : device_exp(v - shift) * inv_sum;
    }
  }
}

template <typename T>
__global__ void softmax_backward_lines_kernel(const T* __restrict__ y, const T* __restrict__ g,
                                              T* __restrict__ dx, int64_t outer, int64_t n,
                                              int64_t inner, bool log) {
  TT_GRID_STRIDE_LOOP(line, outer * inner) {
    const int64_t base = (line / inner) * n * inner + line % inner;
    T dot = 0;
    for (int64_t k = 0; k < n; ++k) {
      const int64_t i = base + k * inner;
      dot += log ? g[i] : g[i] * y[i];
    }
    for (int64_t k = 0; k < n; ++k) {
      const int64_t i = base + k * inner;
      dx[i] = log ? g[i] - device_exp(y[i]) * dot : y[i] * (g[i] - dot);
    }
  }
}

// Grid for `rows` rows at `rows_per_block` rows a block (grid-stride beyond kMaxBlocks).
int row_blocks(int64_t rows, int64_t rows_per_block) {
  return static_cast<int>(std::clamp<int64_t>((rows + rows_per_block - 1) / rows_per_block, 1,
                                              kMaxBlocks));
}

// Launches kernel<T, kGroup, kVec> for a row layout: picks the group size from n and the
// vector path from n and the pointers' alignment.
template <typename T, template <typename, int, bool> class Kernel, typename... Args>
void launch_rows(int64_t rows, int64_t n, bool vec, Args... args) {
  cudaStream_t stream = current_stream();
  if (n <= kWarpRowMax) {
    const int blocks = row_blocks(rows, kWarpGroupThreads / 32);
    if (vec)
      Kernel<T, 32, true>::launch(blocks, kWarpGroupThreads, stream, args...);
    else
      Kernel<T, 32, false>::launch(blocks, kWarpGroupThreads, stream, args...);
  } else {
    const int blocks = row_blocks(rows, 1);
    if (vec)
      Kernel<T, kBlockGroupThreads, true>::launch(blocks, kBlockGroupThreads, stream, args...);
    else
      Kernel<T, kBlockGroupThreads, false>::launch(blocks, kBlockGroupThreads, stream, args...);
  }
  TT_CUDA_CHECK_LAUNCH();
}

template <typename T, int kGroup, bool kVec>
struct ForwardRows {
  static void launch(int blocks, int threads, cudaStream_t stream, const T* x, T* y,
                     int64_t rows, int64_t n, bool log) {
    softmax_rows_kernel<T, kGroup, kVec><<<blocks, threads, 0, stream>>>(x, y, rows, n, log);
  }
};

template <typename T, int kGroup, bool kVec>
struct BackwardRows {
  static void launch(int blocks, int threads, cudaStream_t stream, const T* y, const T* g, T* dx,
                     int64_t rows, int64_t n, bool log) {
    softmax_backward_rows_kernel<T, kGroup, kVec>
        <<<blocks, threads, 0, stream>>>(y, g, dx, rows, n, log);
  }
};

}  // namespace

void softmax_forward(const Tensor& x, const Tensor& y, int64_t outer, int64_t n, int64_t inner,
                     bool log) {
  if (x.numel() == 0) return;
  dispatch_floating(x.dtype(), "softmax", [&](auto tag) {
    using T = decltype(tag);
    const T* px = device_data<T>(x);
    T* py = device_data<T>(y);
    if (inner == 1) {
      const bool vec = n % Vec16<T>::kSize == 0 && aligned16(px) && aligned16(py);
      launch_rows<T, ForwardRows>(outer, n, vec, px, py, outer, n, log);
    } else {
      softmax_lines_kernel<T><<<blocks_for(outer * inner, kThreads), kThreads, 0,
                                current_stream()>>>(px, py, outer, n, inner, log);
      TT_CUDA_CHECK_LAUNCH();
    }
  });
}

void softmax_backward(const Tensor& y, const Tensor& grad_y, const Tensor& grad_x,
                      int64_t outer, int64_t n, int64_t inner, bool log) {
  if (y.numel() == 0) return;
  dispatch_floating(y.dtype(), "softmax backward", [&](auto tag) {
    using T = decltype(tag);
    const T* py = device_data<T>(y);
    const T* pg = device_data<T>(grad_y);
    T* pdx = device_data<T>(grad_x);
    if (inner == 1) {
      const bool vec = n % Vec16<T>::kSize == 0 && aligned16(py) && aligned16(pg) &&
                       aligned16(pdx);
      launch_rows<T, BackwardRows>(outer, n, vec, py, pg, pdx, outer, n, log);
    } else {
      softmax_backward_lines_kernel<T><<<blocks_for(outer * inner, kThreads), kThreads, 0,
                                         current_stream()>>>(py, pg, pdx, outer, n, inner, log);
      TT_CUDA_CHECK_LAUNCH();
    }
  });
}

}  // namespace tt::cuda

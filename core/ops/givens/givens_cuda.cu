// CUDA kernels of the Givens stages (math in givens.cpp).
//
// Forward: one block per row (grid-stride over rows); the row's d values sit in shared memory
// for all ⌈log2 d⌉ stages of one launch, threads take a stage's pairs k = tid, tid + blockDim, …
// with a __syncthreads() between stages. Reads and writes of x and y are coalesced; each stage
// touches shared memory only.
// Backward (block gradients wanted): one block per fixed chunk of kRowsPerBlock rows. Per row it
// reruns the forward, recording each pair's input in shared memory (2(d − 1) values), then walks
// the stages back from gy, writing gx and adding a ⊗ gu into per-pair accumulators in shared
// memory (4(d − 1)). Pair k of a stage is always handled by thread k mod blockDim, so every
// accumulator has one owner; at the end each block writes its partial sums and a second kernel
// adds the chunks in order: deterministic, no atomics. Shared memory: (d + 6(d − 1)) elements,
// ~112 KiB for d = 4096 in f32 (opt-in above 48 KiB); a d the device cannot hold is an error.
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/ops/givens/givens.h"
#include "tinytune/core/ops/givens/givens_kernels.h"

namespace tt::cuda {

namespace {

constexpr int kMaxStages = 32;       // d < 2^32
constexpr int kRowsPerBlock = 16;    // rows per partial sum of the block gradients (fixed)

// The schedule, passed to kernels by value; stages listed in the order they are applied.
struct StageList {
  int count = 0;
  int stride[kMaxStages];
  int pairs[kMaxStages];
  int first[kMaxStages];
};

StageList stage_list(int64_t d, bool adjoint) {
  const std::vector<GivensStage> stages = givens_schedule(d);
  StageList list;
  list.count = static_cast<int>(stages.size());
  for (int n = 0; n < list.count; ++n) {
    const GivensStage& s = stages[adjoint ? n : list.count - 1 - n];
    list.stride[n] = static_cast<int>(s.stride);
    list.pairs[n] = static_cast<int>(s.pairs);
    list.first[n] = static_cast<int>(s.first_pair);
  }
  return list;
}

// Threads per block: about one per pair of the widest stage, a warp at least, 256 at most.
int threads_for(int64_t d) {
  int threads = 32;
  while (threads < 256 && threads < d / 2) threads *= 2;
  return threads;
}

// Checks that `bytes` of dynamic shared memory fit a block and opts the kernel in above 48 KiB.
template <typename Kernel>
void prepare_shared_memory(Kernel kernel, size_t bytes, int64_t d, DType dtype, const char* what) {
  int device = 0, limit = 0;
  TT_CUDA_CHECK(cudaGetDevice(&device));
  TT_CUDA_CHECK(cudaDeviceGetAttribute(&limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  TT_CHECK(bytes <= static_cast<size_t>(limit), "givens_rotate (CUDA ", what, "): d = ", d, " in ",
           dtype_name(dtype), " needs ", bytes, " bytes of shared memory per block, the device allows ",
           limit, " (d <= 4096 fits in f32 and f64 on an H100)");
  if (bytes > 48 * 1024)
    TT_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       static_cast<int>(bytes)));
}

// [v_i; v_j] <- h [v_i; v_j] with h = g (adjoint) or gᵀ.
template <typename T>
__device__ __forceinline__ void mix(T* vi, T* vj, const T* g, bool adjoint) {
  const T a = *vi, b = *vj;
  if (adjoint) {
    *vi = g[0] * a + g[1] * b;
    *vj = g[2] * a + g[3] * b;
  } else {
    *vi = g[0] * a + g[2] * b;
    *vj = g[1] * a + g[3] * b;
  }
}

template <typename T>
__global__ void givens_forward_kernel(const T* __restrict__ x, const T* __restrict__ blocks,
                                      T* __restrict__ out, int64_t rows, int d, StageList stages,
                                      bool adjoint) {
  extern __shared__ __align__(16) unsigned char shared_bytes[];
  T* v = reinterpret_cast<T*>(shared_bytes);
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* in = x + row * d;
    for (int j = threadIdx.x; j < d; j += blockDim.x) v[j] = in[j];
    __syncthreads();
    for (int n = 0; n < stages.count; ++n) {
      const int stride = stages.stride[n];
      for (int k = threadIdx.x; k < stages.pairs[n]; k += blockDim.x) {
        T* vi = v + 2 * stride * k;
        mix(vi, vi + stride, blocks + 4 * (stages.first[n] + k), adjoint);
      }
      __syncthreads();
    }
    T* o = out + row * d;
    for (int j = threadIdx.x; j < d; j += blockDim.x) o[j] = v[j];
    __syncthreads();  // v is refilled for the next row
  }
}

template <typename T>
__global__ void givens_backward_kernel(const T* __restrict__ x, const T* __restrict__ blocks,
                                       const T* __restrict__ grad_out, T* __restrict__ grad_x,
                                       T* __restrict__ partial, int64_t rows, int d,
                                       StageList stages, bool adjoint) {
  extern __shared__ __align__(16) unsigned char shared_bytes[];
  const int pairs = d - 1;
  T* v = reinterpret_cast<T*>(shared_bytes);  // [d]
  T* pair_inputs = v + d;                     // [2 (d − 1)]
  T* acc = pair_inputs + 2 * pairs;           // [4 (d − 1)]
  for (int e = threadIdx.x; e < 4 * pairs; e += blockDim.x) acc[e] = T(0);
  const int64_t begin = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock;
  const int64_t end = begin + kRowsPerBlock < rows ? begin + kRowsPerBlock : rows;
  for (int64_t row = begin; row < end; ++row) {
    const T* in = x + row * d;
    for (int j = threadIdx.x; j < d; j += blockDim.x) v[j] = in[j];
    __syncthreads();
    for (int n = 0; n < stages.count; ++n) {  // rerun the forward, recording pair inputs
      const int stride = stages.stride[n];
      for (int k = threadIdx.x; k < stages.pairs[n]; k += blockDim.x) {
        const int p = stages.first[n] + k;
        T* vi = v + 2 * stride * k;
        pair_inputs[2 * p] = *vi;
        pair_inputs[2 * p + 1] = vi[stride];
        mix(vi, vi + stride, blocks + 4 * p, adjoint);
      }
      __syncthreads();
    }
    const T* gy = grad_out + row * d;
    for (int j = threadIdx.x; j < d; j += blockDim.x) v[j] = gy[j];
    __syncthreads();
    for (int n = stages.count - 1; n >= 0; --n) {  // walk back: v = dL/du of stage n's output
      const int stride = stages.stride[n];
      for (int k = threadIdx.x; k < stages.pairs[n]; k += blockDim.x) {
        const int p = stages.first[n] + k;
        const T* g = blocks + 4 * p;
        T* dg = acc + 4 * p;
        T* vi = v + 2 * stride * k;
        T* vj = vi + stride;
        const T gu_i = *vi, gu_j = *vj;
        const T a_i = pair_inputs[2 * p], a_j = pair_inputs[2 * p + 1];
        if (adjoint) {  // h = g: dg = gu aᵀ, da = gᵀ gu
          dg[0] += gu_i * a_i;
          dg[1] += gu_i * a_j;
          dg[2] += gu_j * a_i;
          dg[3] += gu_j * a_j;
          *vi = g[0] * gu_i + g[2] * gu_j;
          *vj = g[1] * gu_i + g[3] * gu_j;
        } else {  // h = gᵀ: dg = a guᵀ, da = g gu
          dg[0] += a_i * gu_i;
          dg[1] += a_i * gu_j;
          dg[2] += a_j * gu_i;
          dg[3] += a_j * gu_j;
          *vi = g[0] * gu_i + g[1] * gu_j;
          *vj = g[2] * gu_i + g[3] * gu_j;
        }
      }
      __syncthreads();
    }
    T* gx = grad_x + row * d;
    for (int j = threadIdx.x; j < d; j += blockDim.x) gx[j] = v[j];
    __syncthreads();
  }
  T* mine = partial + static_cast<int64_t>(blockIdx.x) * 4 * pairs;
  for (int e = threadIdx.x; e < 4 * pairs; e += blockDim.x) mine[e] = acc[e];
}

// grad_blocks[e] = Σ_chunks partial[chunk][e], chunks added in order.
template <typename T>
__global__ void sum_partials_kernel(const T* __restrict__ partial, T* __restrict__ out,
                                    int64_t chunks, int64_t n) {
  TT_GRID_STRIDE_LOOP(e, n) {
    T s = 0;
    for (int64_t c = 0; c < chunks; ++c) s += partial[c * n + e];
    out[e] = s;
  }
}

template <typename T>
__global__ void rotation_blocks_kernel(const T* __restrict__ angles, T* __restrict__ blocks,
                                       int64_t n) {
  TT_GRID_STRIDE_LOOP(k, n) {
    T s, c;
    sincos(angles[k], &s, &c);
    blocks[4 * k] = c;
    blocks[4 * k + 1] = -s;
    blocks[4 * k + 2] = s;
    blocks[4 * k + 3] = c;
  }
}

template <typename T>
__global__ void rotation_blocks_backward_kernel(const T* __restrict__ angles,
                                                const T* __restrict__ grad_blocks,
                                                T* __restrict__ grad_angles, int64_t n) {
  TT_GRID_STRIDE_LOOP(k, n) {
    T s, c;
    sincos(angles[k], &s, &c);
    const T* g = grad_blocks + 4 * k;
    grad_angles[k] = -s * g[0] - c * g[1] + c * g[2] - s * g[3];
  }
}

}  // namespace

void givens_forward(const Tensor& x, const Tensor& blocks, bool adjoint, const Tensor& out) {
  const int64_t d = x.shape().back();
  const int64_t rows = x.numel() / d;
  if (rows == 0) return;
  dispatch_floating(x.dtype(), "givens_rotate", [&](auto tag) {
    using T = decltype(tag);
    const size_t bytes = static_cast<size_t>(d) * sizeof(T);
    prepare_shared_memory(givens_forward_kernel<T>, bytes, d, x.dtype(), "forward");
    const int grid = static_cast<int>(std::min<int64_t>(rows, kMaxBlocks * 16));
    givens_forward_kernel<T><<<grid, threads_for(d), bytes, current_stream()>>>(
        device_data<T>(x), device_data<T>(blocks), device_data<T>(out), rows, static_cast<int>(d),
        stage_list(d, adjoint), adjoint);
    TT_CUDA_CHECK_LAUNCH();
  });
}

void givens_backward(const Tensor& x, const Tensor& blocks, bool adjoint, const Tensor& grad_out,
                     const Tensor& grad_x, const Tensor& grad_blocks) {
  const int64_t d = x.shape().back();
  const int64_t rows = x.numel() / d;
  const int64_t n = 4 * (d - 1);
  dispatch_floating(x.dtype(), "givens_rotate backward", [&](auto tag) {
    using T = decltype(tag);
    if (rows == 0 || n == 0) {  // nothing to sum: zero block gradients, gx = gy
      if (n > 0) TT_CUDA_CHECK(cudaMemsetAsync(device_data<T>(grad_blocks), 0, n * sizeof(T), current_stream()));
      if (rows > 0)
        TT_CUDA_CHECK(cudaMemcpyAsync(device_data<T>(grad_x), device_data<T>(grad_out),
                                      rows * d * sizeof(T), cudaMemcpyDeviceToDevice, current_stream()));
      return;
    }
    const int64_t chunks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
    const size_t bytes = static_cast<size_t>(d + 6 * (d - 1)) * sizeof(T);
    prepare_shared_memory(givens_backward_kernel<T>, bytes, d, x.dtype(), "backward");
    Tensor partial = empty({chunks, n}, x.dtype(), x.device());
    givens_backward_kernel<T><<<static_cast<unsigned>(chunks), threads_for(d), bytes, current_stream()>>>(
        device_data<T>(x), device_data<T>(blocks), device_data<T>(grad_out), device_data<T>(grad_x),
        device_data<T>(partial), rows, static_cast<int>(d), stage_list(d, adjoint), adjoint);
    TT_CUDA_CHECK_LAUNCH();
    sum_partials_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, current_stream()>>>(
        device_data<T>(partial), device_data<T>(grad_blocks), chunks, n);
    TT_CUDA_CHECK_LAUNCH();
  });
}

void givens_rotation_blocks_forward(const Tensor& angles, const Tensor& blocks) {
  const int64_t n = angles.numel();
  if (n == 0) return;
  dispatch_floating(angles.dtype(), "givens_rotation_blocks", [&](auto tag) {
    using T = decltype(tag);
    rotation_blocks_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, current_stream()>>>(
        device_data<T>(angles), device_data<T>(blocks), n);
    TT_CUDA_CHECK_LAUNCH();
  });
}

void givens_rotation_blocks_backward(const Tensor& angles, const Tensor& grad_blocks,
                                     const Tensor& grad_angles) {
  const int64_t n = angles.numel();
  if (n == 0) return;
  dispatch_floating(angles.dtype(), "givens_rotation_blocks backward", [&](auto tag) {
    using T = decltype(tag);
    rotation_blocks_backward_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, current_stream()>>>(
        device_data<T>(angles), device_data<T>(grad_blocks), device_data<T>(grad_angles), n);
    TT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace tt::cuda

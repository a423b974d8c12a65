// CUDA embedding kernels.
//
// Forward: a gather, one thread per output element (consecutive threads copy consecutive
// columns of a row).
// Backward, deterministic mode (tt::cuda::deterministic(), the default): no float atomics.
//   1. The token indices are sorted with their positions (CUB's radix sort is stable, so
//      equal indices keep their positions in ascending order).
//   2. The sorted list is cut into fixed chunks of kChunk positions; one thread per
//      (chunk, column) walks its chunk in order and writes the sum of each run of equal
//      indices inside it to a partial row (at the run piece's first sorted position).
//   3. One thread per (run of equal indices, column) adds the run's pieces in order, one per
//      chunk it spans, and writes dW[index, column]: one writer per element.
//   Chunking bounds each thread's work even for a run as long as the batch (the token type
//   ids are all 0 or 1); the order of every sum is fixed, so the bits are the same every run.
// Backward, deterministic mode off: one float atomicAdd per gradient element into dW.
#include <cub/device/device_radix_sort.cuh>

#include <climits>

#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/ops/embedding/embedding_kernels.h"

namespace tt::cuda {

namespace {

constexpr int64_t kChunk = 32;       // sorted positions per chunk (pass 2)
constexpr int kColumnThreads = 128;  // columns per block (passes 2 and 3)

template <typename T>
__global__ void embedding_forward_kernel(const T* __restrict__ weight,
                                         const int64_t* __restrict__ indices, T* __restrict__ out,
                                         int64_t n, int64_t d) {
  TT_GRID_STRIDE_LOOP(e, n * d) {
    const int64_t i = e / d, c = e % d;
    out[e] = weight[indices[i] * d + c];
  }
}

// keys[i] = indices[i] (as 32-bit: the table has fewer than 2^31 rows), positions[i] = i.
__global__ void sort_inputs_kernel(const int64_t* __restrict__ indices, uint32_t* __restrict__ keys,
                                   uint32_t* __restrict__ positions, int64_t n) {
  TT_GRID_STRIDE_LOOP(i, n) {
    keys[i] = static_cast<uint32_t>(indices[i]);
    positions[i] = static_cast<uint32_t>(i);
  }
}

// grid (chunks, ceil(d / kColumnThreads)). For column c of chunk [p0, p1): the running sum over
// the chunk's sorted positions restarts at each change of key; each piece's sum goes to
// partial[first sorted position of the piece, c].
template <typename T>
__global__ void embedding_backward_chunks_kernel(const T* __restrict__ grad,
                                                 const uint32_t* __restrict__ keys,
                                                 const uint32_t* __restrict__ positions,
                                                 T* __restrict__ partial, int64_t n, int64_t d) {
  const int64_t c = static_cast<int64_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (c >= d) return;
  const int64_t p0 = static_cast<int64_t>(blockIdx.x) * kChunk;
  const int64_t p1 = min(n, p0 + kChunk);
  int64_t piece_start = p0;
  T sum = 0;
  for (int64_t p = p0; p < p1; ++p) {
    sum += grad[static_cast<int64_t>(positions[p]) * d + c];
    if (p + 1 == p1 || keys[p + 1] != keys[p]) {
      partial[piece_start * d + c] = sum;
      sum = T(0);
      piece_start = p + 1;
    }
  }
}

// grid (min(n, kMaxBlocks), ceil(d / kColumnThreads)): blocks stride over the sorted positions,
// threads over columns. At the first position p of a run, the thread adds the run's pieces (at
// p, then at every chunk start inside the run) in order and writes dW[key, c].
template <typename T>
__global__ void embedding_backward_runs_kernel(const T* __restrict__ partial,
                                               const uint32_t* __restrict__ keys,
                                               T* __restrict__ grad_weight, int64_t n, int64_t d) {
  const int64_t c = static_cast<int64_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (c >= d) return;
  for (int64_t p = blockIdx.x; p < n; p += gridDim.x) {
    const uint32_t key = keys[p];
    if (p > 0 && keys[p - 1] == key) continue;  // not the first position of its run
    T sum = partial[p * d + c];
    for (int64_t q = (p / kChunk + 1) * kChunk; q < n && keys[q] == key; q += kChunk)
      sum += partial[q * d + c];
    grad_weight[static_cast<int64_t>(key) * d + c] = sum;
  }
}

template <typename T>
__global__ void embedding_backward_atomic_kernel(const T* __restrict__ grad,
                                                 const int64_t* __restrict__ indices,
                                                 T* __restrict__ grad_weight, int64_t n,
                                                 int64_t d) {
  TT_GRID_STRIDE_LOOP(e, n * d) {
    const int64_t i = e / d, c = e % d;
    atomicAdd(grad_weight + indices[i] * d + c, grad[e]);
  }
}

// Bits needed for keys in [0, rows): the radix sort looks at no more.
int key_bits(int64_t rows) {
  int bits = 1;
  while (bits < 32 && (int64_t{1} << bits) < rows) ++bits;
  return bits;
}

}  // namespace

void embedding_forward(const Tensor& weight, const Tensor& indices, const Tensor& out) {
  const int64_t d = weight.shape()[1];
  const int64_t n = indices.numel();
  if (n * d == 0) return;
  dispatch_floating(weight.dtype(), "embedding", [&](auto tag) {
    using T = decltype(tag);
    embedding_forward_kernel<T><<<blocks_for(n * d, kThreads), kThreads, 0, current_stream()>>>(
        device_data<T>(weight), device_data<int64_t>(indices), device_data<T>(out), n, d);
    TT_CUDA_CHECK_LAUNCH();
  });
}

void embedding_backward(const Tensor& grad, const Tensor& indices, const Tensor& grad_weight) {
  const int64_t rows = grad_weight.shape()[0], d = grad_weight.shape()[1];
  const int64_t n = indices.numel();
  if (n * d == 0) return;
  dispatch_floating(grad.dtype(), "embedding backward", [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t stream = current_stream();
    const T* pg = device_data<T>(grad);
    T* pdw = device_data<T>(grad_weight);
    if (!deterministic()) {
      embedding_backward_atomic_kernel<T><<<blocks_for(n * d, kThreads), kThreads, 0, stream>>>(
          pg, device_data<int64_t>(indices), pdw, n, d);
      TT_CUDA_CHECK_LAUNCH();
      return;
    }
    TT_CHECK(n < INT_MAX && rows <= (int64_t{1} << 32),
             "embedding backward (CUDA, deterministic): at most 2^31 - 1 indices and 2^32 rows, "
             "got ", n, " indices and ", rows, " rows");
    // Keys and positions, sorted copies of both: four u32 arrays in one i32 tensor.
    Tensor sort_buffers = empty({4 * n}, DType::i32, grad.device());
    uint32_t* keys_in = reinterpret_cast<uint32_t*>(device_data<int32_t>(sort_buffers));
    uint32_t* positions_in = keys_in + n;
    uint32_t* keys = keys_in + 2 * n;
    uint32_t* positions = keys_in + 3 * n;
    sort_inputs_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(
        device_data<int64_t>(indices), keys_in, positions_in, n);
    TT_CUDA_CHECK_LAUNCH();
    const int bits = key_bits(rows);
    size_t temp_bytes = 0;
    TT_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, keys_in, keys,
                                                  positions_in, positions, static_cast<int>(n), 0,
                                                  bits, stream));
    // At least one element: a null temp pointer would make the second call a size query again.
    Tensor temp = empty({static_cast<int64_t>(temp_bytes / 8 + 1)}, DType::i64, grad.device());
    TT_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp.raw_data(), temp_bytes, keys_in, keys,
                                                  positions_in,
                                                  positions, static_cast<int>(n), 0, bits,
                                                  stream));
    Tensor partial = empty({n, d}, grad.dtype(), grad.device());
    const unsigned column_blocks = static_cast<unsigned>((d + kColumnThreads - 1) / kColumnThreads);
    TT_CHECK(column_blocks <= 65535, "embedding backward (CUDA): dim ", d, " is too large");
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    embedding_backward_chunks_kernel<T>
        <<<dim3(static_cast<unsigned>(chunks), column_blocks),
           kColumnThreads, 0, stream>>>(pg, keys, positions, device_data<T>(partial), n, d);
    TT_CUDA_CHECK_LAUNCH();
    embedding_backward_runs_kernel<T>
        <<<dim3(static_cast<unsigned>(std::min<int64_t>(n, kMaxBlocks)), column_blocks),
           kColumnThreads, 0, stream>>>(device_data<T>(partial), keys, pdw, n, d);
    TT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace tt::cuda

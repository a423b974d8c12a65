// CUDA cross-entropy kernels: the softmax and the negative log-likelihood fused per row.
//
// Forward: each row goes to a group of threads (one warp per row up to kWarpRowMax classes,
// a 512-thread block per row beyond, e.g. a vocabulary); one pass folds the row into an online
// (max, sum of exp) pair, and the group's first thread writes the row's loss
// max + log(sum) - x[target] (in double) or 0 for an ignored row. One block then sums the row
// losses in a fixed order and writes total / count: the loss has the same bits on every run.
// Backward: the same row groups recompute (max, sum) and write
// dx = (g / count) * (softmax - onehot), reading g from the device (no host round trip).
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/cuda/row_reduce.cuh"
#include "tinytune/core/ops/cross_entropy/cross_entropy_kernels.h"

namespace tt::cuda {

namespace {

constexpr int kSumThreads = 1024;  // the one block that sums the row losses

template <typename T, int kGroup>
__device__ __forceinline__ MaxSum<T> row_max_sum(const T* row, int64_t c, MaxSum<T>* scratch) {
  MaxSum<T> acc{negative_infinity<T>(), T(0)};
  for (int64_t k = threadIdx.x % kGroup; k < c; k += kGroup) acc = max_sum_push(acc, row[k]);
  return group_max_sum<kGroup>(acc, scratch);
}

template <typename T, int kGroup>
__global__ void cross_entropy_rows_kernel(const T* __restrict__ logits,
                                          const int64_t* __restrict__ target,
                                          int64_t ignore_index, double* __restrict__ row_loss,
                                          int64_t n, int64_t c) {
  __shared__ MaxSum<T> scratch[32];
  for (int64_t row = first_row<kGroup>(); row < n; row += row_step<kGroup>()) {
    const int64_t t = target[row];
    if (t == ignore_index) {  // uniform across the group: every thread skips the reduction
      if (threadIdx.x % kGroup == 0) row_loss[row] = 0.0;
      continue;
    }
    const T* x = logits + row * c;
    const MaxSum<T> acc = row_max_sum<T, kGroup>(x, c, scratch);
    if (threadIdx.x % kGroup == 0)
      row_loss[row] = static_cast<double>(acc.max) + log(static_cast<double>(acc.sum)) -
                      static_cast<double>(x[t]);
  }
}

// One block: loss[0] = Σ row_loss / count; each thread sums a strided slice in order, then a
// fixed tree joins the threads.
template <typename T>
__global__ void cross_entropy_mean_kernel(const double* __restrict__ row_loss, int64_t n,
                                          int64_t count, T* __restrict__ loss) {
  __shared__ double scratch[32];
  double s = 0.0;
  for (int64_t r = threadIdx.x; r < n; r += blockDim.x) s += row_loss[r];
  s = block_reduce(s, SumOp{}, 0.0, scratch);
  if (threadIdx.x == 0) loss[0] = static_cast<T>(s / static_cast<double>(count));
}

template <typename T, int kGroup>
__global__ void cross_entropy_backward_kernel(const T* __restrict__ logits,
                                              const int64_t* __restrict__ target,
                                              int64_t ignore_index, const T* __restrict__ grad_loss,
                                              double inv_count, T* __restrict__ grad_logits,
                                              int64_t n, int64_t c) {
  __shared__ MaxSum<T> scratch[32];
  const T scale = static_cast<T>(static_cast<double>(grad_loss[0]) * inv_count);
  for (int64_t row = first_row<kGroup>(); row < n; row += row_step<kGroup>()) {
    const int64_t t = target[row];
    T* dx = grad_logits + row * c;
    if (t == ignore_index) {
      for (int64_t k = threadIdx.x % kGroup; k < c; k += kGroup) dx[k] = T(0);
      continue;
    }
    const T* x = logits + row * c;
    const MaxSum<T> acc = row_max_sum<T, kGroup>(x, c, scratch);
    const T inv_sum = T(1) / acc.sum;
    for (int64_t k = threadIdx.x % kGroup; k < c; k += kGroup) {
      const T p = device_exp(x[k] - acc.max) * inv_sum;
      dx[k] = scale * (k == t ? p - T(1) : p);
    }
  }
}

int row_blocks(int64_t rows, int64_t rows_per_block) {
  return static_cast<int>(std::clamp<int64_t>((rows + rows_per_block - 1) / rows_per_block, 1,
                                              kMaxBlocks));
}

}  // namespace

void cross_entropy_forward(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                           int64_t count, const Tensor& loss) {
  const int64_t n = logits.shape()[0], c = logits.shape()[1];
  dispatch_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t stream = current_stream();
    Tensor row_loss = empty({n}, DType::f64, logits.device());
    if (n > 0) {
      const T* px = device_data<T>(logits);
      const int64_t* pt = device_data<int64_t>(target);
      double* pl = device_data<double>(row_loss);
      if (c <= kWarpRowMax)
        cross_entropy_rows_kernel<T, 32>
            <<<row_blocks(n, kWarpGroupThreads / 32), kWarpGroupThreads, 0, stream>>>(
                px, pt, ignore_index, pl, n, c);
      else
        cross_entropy_rows_kernel<T, kBlockGroupThreads>
            <<<row_blocks(n, 1), kBlockGroupThreads, 0, stream>>>(px, pt, ignore_index, pl, n, c);
      TT_CUDA_CHECK_LAUNCH();
    }
    cross_entropy_mean_kernel<T><<<1, kSumThreads, 0, stream>>>(
        n > 0 ? device_data<double>(row_loss) : nullptr, n, count, device_data<T>(loss));
    TT_CUDA_CHECK_LAUNCH();
  });
}

void cross_entropy_backward(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                            int64_t count, const Tensor& grad_loss, const Tensor& grad_logits) {
  const int64_t n = logits.shape()[0], c = logits.shape()[1];
  if (n == 0 || c == 0) return;
  dispatch_floating(logits.dtype(), "cross_entropy backward", [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t stream = current_stream();
    const T* px = device_data<T>(logits);
    const int64_t* pt = device_data<int64_t>(target);
    const T* pgl = device_data<T>(grad_loss);
    T* pdx = device_data<T>(grad_logits);
    const double inv_count = 1.0 / static_cast<double>(count);
    if (c <= kWarpRowMax)
      cross_entropy_backward_kernel<T, 32>
          <<<row_blocks(n, kWarpGroupThreads / 32), kWarpGroupThreads, 0, stream>>>(
              px, pt, ignore_index, pgl, inv_count, pdx, n, c);
    else
      cross_entropy_backward_kernel<T, kBlockGroupThreads>
          <<<row_blocks(n, 1), kBlockGroupThreads, 0, stream>>>(px, pt, ignore_index, pgl,
                                                                inv_count, pdx, n, c);
    TT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace tt::cuda

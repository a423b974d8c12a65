// CUDA layer_norm kernels (plain and with the residual add fused in front).
//
// Forward: one warp per row up to kWarpRowMax values (8 rows per 256-thread block), one
// 512-thread block per row beyond. Three passes over the row, which stays in L1/L2: the sum
// (writing x + residual on the way for add_layer_norm), the sum of squared deviations (two
// passes: no cancellation), then the output. Row statistics accumulate in double, as the CPU
// kernel's.
// Backward: dx with the same row groups (two passes: the two row sums, then dx). The weight
// and bias gradients are column sums over rows, done without atomics: one thread per column
// sums a fixed chunk of rows in order into a partial row, then one thread per column adds the
// chunks' partials in order. Bitwise reproducible whatever the launch timing.
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/cuda/row_reduce.cuh"
#include "tinytune/core/ops/layer_norm/layer_norm_kernels.h"

namespace tt::cuda {

namespace {

constexpr int kColumnThreads = 256;   // columns per block of the parameter-gradient kernels
constexpr int64_t kMaxChunks = 1024;  // row chunks of the parameter gradients (grid.y)

// y = (s - mean) * rstd * w + b per row, s = x (+ residual). With a residual, s is written to
// `sum` first and read back from there (each element by the thread that wrote it).
template <typename T, int kGroup>
__global__ void layer_norm_forward_kernel(const T* __restrict__ x, const T* __restrict__ residual,
                                          T* __restrict__ sum, const T* __restrict__ weight,
                                          const T* __restrict__ bias, double eps,
                                          T* __restrict__ y, T* __restrict__ mean,
                                          T* __restrict__ rstd, int64_t rows, int64_t d) {
  __shared__ double scratch[32];
  const int rank = threadIdx.x % kGroup;
  for (int64_t row = first_row<kGroup>(); row < rows; row += row_step<kGroup>()) {
    const T* in = x + row * d;
    double s = 0;
    if (residual != nullptr) {
      const T* res = residual + row * d;
      T* out_sum = sum + row * d;
      for (int64_t j = rank; j < d; j += kGroup) {
        const T v = in[j] + res[j];
        out_sum[j] = v;
        s += v;
      }
      in = out_sum;
    } else {
      for (int64_t j = rank; j < d; j += kGroup) s += in[j];
    }
    const double mu = group_sum<kGroup>(s, scratch) / static_cast<double>(d);
    double ss = 0;
    for (int64_t j = rank; j < d; j += kGroup) {
      const double dev = static_cast<double>(in[j]) - mu;
      ss += dev * dev;
    }
    ss = group_sum<kGroup>(ss, scratch);
    const double inv = 1.0 / sqrt(ss / static_cast<double>(d) + eps);
    const T m = static_cast<T>(mu), rs = static_cast<T>(inv);
    if (rank == 0) {
      mean[row] = m;
      rstd[row] = rs;
    }
    T* out = y + row * d;
    for (int64_t j = rank; j < d; j += kGroup) {
      T v = (in[j] - m) * rs;
      if (weight != nullptr) v *= weight[j];
      if (bias != nullptr) v += bias[j];
      out[j] = v;
    }
  }
}

// dx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)), gh = g * w.
template <typename T, int kGroup>
__global__ void layer_norm_backward_dx_kernel(const T* __restrict__ x, const T* __restrict__ weight,
                                              const T* __restrict__ mean,
                                              const T* __restrict__ rstd,
                                              const T* __restrict__ g, T* __restrict__ dx,
                                              int64_t rows, int64_t d) {
  __shared__ T scratch[32];
  const int rank = threadIdx.x % kGroup;
  for (int64_t row = first_row<kGroup>(); row < rows; row += row_step<kGroup>()) {
    const T* in = x + row * d;
    const T* grad = g + row * d;
    const T m = mean[row], rs = rstd[row];
    T sum_gh = 0, sum_gh_xhat = 0;
    for (int64_t j = rank; j < d; j += kGroup) {
      const T xhat = (in[j] - m) * rs;
      const T gh = weight != nullptr ? grad[j] * weight[j] : grad[j];
      sum_gh += gh;
      sum_gh_xhat += gh * xhat;
    }
    sum_gh = group_sum<kGroup>(sum_gh, scratch);
    sum_gh_xhat = group_sum<kGroup>(sum_gh_xhat, scratch);
    const T mean_gh = sum_gh / static_cast<T>(d), mean_gh_xhat = sum_gh_xhat / static_cast<T>(d);
    T* out = dx + row * d;
    for (int64_t j = rank; j < d; j += kGroup) {
      const T xhat = (in[j] - m) * rs;
      const T gh = weight != nullptr ? grad[j] * weight[j] : grad[j];
      out[j] = rs * (gh - mean_gh - xhat * mean_gh_xhat);
    }
  }
}

// partial_w[c, j] = Σ_{rows r of chunk c} g[r, j] * xhat[r, j], partial_b[c, j] = Σ g[r, j].
// grid (ceil(d / kColumnThreads), chunks); neighbouring threads read neighbouring columns.
template <typename T>
__global__ void layer_norm_param_partials_kernel(const T* __restrict__ x,
                                                 const T* __restrict__ mean,
                                                 const T* __restrict__ rstd,
                                                 const T* __restrict__ g,
                                                 T* __restrict__ partial_w,
                                                 T* __restrict__ partial_b, int64_t rows,
                                                 int64_t d, int64_t rows_per_chunk) {
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t chunk = blockIdx.y;
  if (j >= d) return;
  const int64_t r0 = chunk * rows_per_chunk;
  const int64_t r1 = min(rows, r0 + rows_per_chunk);
  T sw = 0, sb = 0;
  for (int64_t r = r0; r < r1; ++r) {
    const T gv = g[r * d + j];
    sw += gv * ((x[r * d + j] - mean[r]) * rstd[r]);
    sb += gv;
  }
  partial_w[chunk * d + j] = sw;
  partial_b[chunk * d + j] = sb;
}

// dw[j] = Σ_c partial_w[c, j] in chunk order (likewise db); either output may be null.
template <typename T>
__global__ void layer_norm_param_finish_kernel(const T* __restrict__ partial_w,
                                               const T* __restrict__ partial_b,
                                               T* __restrict__ dw, T* __restrict__ db,
                                               int64_t chunks, int64_t d) {
  TT_GRID_STRIDE_LOOP(j, d) {
    T sw = 0, sb = 0;
    for (int64_t c = 0; c < chunks; ++c) {
      sw += partial_w[c * d + j];
      sb += partial_b[c * d + j];
    }
    if (dw != nullptr) dw[j] = sw;
    if (db != nullptr) db[j] = sb;
  }
}

int row_blocks(int64_t rows, int64_t rows_per_block) {
  return static_cast<int>(std::clamp<int64_t>((rows + rows_per_block - 1) / rows_per_block, 1,
                                              kMaxBlocks));
}

template <typename T>
const T* optional_data(const Tensor& t) {
  return t.defined() ? device_data<T>(t) : nullptr;
}

void forward(const Tensor& x, const Tensor& residual, const Tensor& sum, const Tensor& weight,
             const Tensor& bias, double eps, const Tensor& y, const Tensor& mean,
             const Tensor& rstd) {
  const int64_t d = x.shape().back();
  const int64_t rows = x.numel() / d;
  if (rows == 0) return;
  dispatch_floating(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    const T* pr = optional_data<T>(residual);
    T* ps = sum.defined() ? device_data<T>(sum) : nullptr;
    cudaStream_t stream = current_stream();
    if (d <= kWarpRowMax) {
      layer_norm_forward_kernel<T, 32>
          <<<row_blocks(rows, kWarpGroupThreads / 32), kWarpGroupThreads, 0, stream>>>(
              device_data<T>(x), pr, ps, optional_data<T>(weight), optional_data<T>(bias), eps,
              device_data<T>(y), device_data<T>(mean), device_data<T>(rstd), rows, d);
    } else {
      layer_norm_forward_kernel<T, kBlockGroupThreads>
          <<<row_blocks(rows, 1), kBlockGroupThreads, 0, stream>>>(
              device_data<T>(x), pr, ps, optional_data<T>(weight), optional_data<T>(bias), eps,
              device_data<T>(y), device_data<T>(mean), device_data<T>(rstd), rows, d);
    }
    TT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace

void layer_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd) {
  forward(x, Tensor(), Tensor(), weight, bias, eps, y, mean, rstd);
}

void add_layer_norm_forward(const Tensor& x, const Tensor& residual, const Tensor& weight,
                            const Tensor& bias, double eps, const Tensor& sum, const Tensor& y,
                            const Tensor& mean, const Tensor& rstd) {
  forward(x, residual, sum, weight, bias, eps, y, mean, rstd);
}

void layer_norm_backward(const Tensor& x, const Tensor& weight, const Tensor& mean,
                         const Tensor& rstd, const Tensor& grad_y, const Tensor& grad_x,
                         const Tensor& grad_weight, const Tensor& grad_bias) {
  const int64_t d = x.shape().back();
  const int64_t rows = x.numel() / d;
  dispatch_floating(x.dtype(), "layer_norm backward", [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t stream = current_stream();
    const T* px = device_data<T>(x);
    const T* pm = device_data<T>(mean);
    const T* pr = device_data<T>(rstd);
    const T* pg = device_data<T>(grad_y);
    if (rows > 0) {
      if (d <= kWarpRowMax) {
        layer_norm_backward_dx_kernel<T, 32>
            <<<row_blocks(rows, kWarpGroupThreads / 32), kWarpGroupThreads, 0, stream>>>(
                px, optional_data<T>(weight), pm, pr, pg, device_data<T>(grad_x), rows, d);
      } else {
        layer_norm_backward_dx_kernel<T, kBlockGroupThreads>
            <<<row_blocks(rows, 1), kBlockGroupThreads, 0, stream>>>(
                px, optional_data<T>(weight), pm, pr, pg, device_data<T>(grad_x), rows, d);
      }
      TT_CUDA_CHECK_LAUNCH();
    }
    if (!grad_weight.defined() && !grad_bias.defined()) return;
    T* dw = grad_weight.defined() ? device_data<T>(grad_weight) : nullptr;
    T* db = grad_bias.defined() ? device_data<T>(grad_bias) : nullptr;
    // The chunking depends on `rows` only, so the summation order (and the bits) do too.
    const int64_t rows_per_chunk = std::max<int64_t>(64, (rows + kMaxChunks - 1) / kMaxChunks);
    const int64_t chunks = std::max<int64_t>(1, (rows + rows_per_chunk - 1) / rows_per_chunk);
    Tensor partial_w = empty({chunks, d}, x.dtype(), x.device());
    Tensor partial_b = empty({chunks, d}, x.dtype(), x.device());
    const dim3 grid(static_cast<unsigned>((d + kColumnThreads - 1) / kColumnThreads),
                    static_cast<unsigned>(chunks));
    layer_norm_param_partials_kernel<T><<<grid, kColumnThreads, 0, stream>>>(
        px, pm, pr, pg, device_data<T>(partial_w), device_data<T>(partial_b), rows, d,
        rows_per_chunk);
    TT_CUDA_CHECK_LAUNCH();
    layer_norm_param_finish_kernel<T><<<blocks_for(d, kThreads), kThreads, 0, stream>>>(
        device_data<T>(partial_w), device_data<T>(partial_b), dw, db, chunks, d);
    TT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace tt::cuda

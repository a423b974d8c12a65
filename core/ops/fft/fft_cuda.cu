// CUDA FFT kernels: one thread block per row, the whole row in shared memory (n <= 4096).
//
// The same algorithm as the CPU kernels (fft_cpu.cpp): a mixed-radix (4, 2, 3, 5) Stockham
// FFT of the complex length m (m = n/2 for even n, the real row packed as z_t = x_{2t} +
// i x_{2t+1}; m = n for odd n), then the untangling of the two real halves, and for C2R the
// same steps backwards with the inverse FFT taken as conj(FFT(conj(.))). The butterflies are
// fft_butterfly.h's, shared with the CPU.
//
// Per stage every thread takes butterflies j = threadIdx.x, +blockDim.x, ... reading one
// ping-pong buffer and writing the other, then the block synchronises: 4 m values of shared
// memory (split re/im), at most 4 · 4095 · 8 B = 128 KiB for f64 (opted in above the default
// 48 KiB). Twiddles come from sincospi of an exact rational argument (j mod len)/len, accurate
// to an ulp in both precisions, so no table has to be kept on the device. Each output element
// is written by one thread in a fixed order: results are the same bits on every run.
#include <algorithm>

#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/ops/fft/fft_butterfly.h"
#include "tinytune/core/ops/fft/fft_kernels.h"

namespace tt::cuda {

namespace {

struct FftStages {
  int count = 0;
  int radix[kMaxFftStages] = {};
};

FftStages stages_for(int64_t m) {
  FftStages stages;
  stages.count = fft_radices(m, stages.radix);
  TT_CHECK(stages.count >= 0, "fft: internal: complex length ", m, " reached the CUDA kernel unsupported");
  return stages;
}

// e^{-2πi j / len}
__device__ __forceinline__ void unit_root(int j, int len, float& re, float& im) {
  float s, c;
  sincospif(2.0f * static_cast<float>(j % len) / static_cast<float>(len), &s, &c);
  re = c;
  im = -s;
}
__device__ __forceinline__ void unit_root(int j, int len, double& re, double& im) {
  double s, c;
  sincospi(2.0 * static_cast<double>(j % len) / static_cast<double>(len), &s, &c);
  re = c;
  im = -s;
}

// One radix-R butterfly of a Stockham stage (see fft_cpu.cpp for the indexing).
template <int R, typename T>
__device__ __forceinline__ void stage_butterfly(int j, int ns, int stride, const T* xr,
                                                const T* xi, T* yr, T* yi) {
  const int k = j % ns;
  T ar[R], ai[R];
  ar[0] = xr[j];
  ai[0] = xi[j];
#pragma unroll
  for (int r = 1; r < R; ++r) {
    const T vr = xr[j + r * stride], vi = xi[j + r * stride];
    T cr, ci;
    unit_root(k * r, ns * R, cr, ci);
    ar[r] = vr * cr - vi * ci;
    ai[r] = vr * ci + vi * cr;
  }
  fft_butterfly<R>(ar, ai);
  const int out = (j / ns) * ns * R + k;
#pragma unroll
  for (int r = 0; r < R; ++r) {
    yr[out + r * ns] = ar[r];
    yi[out + r * ns] = ai[r];
  }
}

// Forward FFT of length m of (re0, im0), with (re1, im1) as the other buffer; every thread of
// the block calls it. Returns in (out_re, out_im) the buffer holding the result (synchronised).
template <typename T>
__device__ void block_fft(const FftStages& stages, int m, T* re0, T* im0, T* re1, T* im1,
                          T*& out_re, T*& out_im) {
  T *xr = re0, *xi = im0, *yr = re1, *yi = im1;
  int ns = 1;
  for (int s = 0; s < stages.count; ++s) {
    const int radix = stages.radix[s], stride = m / radix;
    for (int j = threadIdx.x; j < stride; j += blockDim.x) {
      switch (radix) {
        case 2: stage_butterfly<2>(j, ns, stride, xr, xi, yr, yi); break;
        case 3: stage_butterfly<3>(j, ns, stride, xr, xi, yr, yi); break;
        case 4: stage_butterfly<4>(j, ns, stride, xr, xi, yr, yi); break;
        case 5: stage_butterfly<5>(j, ns, stride, xr, xi, yr, yi); break;
      }
    }
    __syncthreads();
    T* t = xr;
    xr = yr, yr = t;
    t = xi;
    xi = yi, yi = t;
    ns *= radix;
  }
  out_re = xr;
  out_im = xi;
}

template <typename T>
__device__ __forceinline__ T* shared_buffer() {
  extern __shared__ __align__(16) unsigned char fft_shared[];
  return reinterpret_cast<T*>(fft_shared);
}

// Spectrum rows (bins 0..n/2, interleaved re/im) of real rows. kIrfftAdjoint scales bin k by
// c_k / n (c = 1 at DC and Nyquist, else 2): the backward of irfft.
template <typename T, bool kIrfftAdjoint>
__global__ void r2c_kernel(const T* __restrict__ x, T* __restrict__ spectrum, int64_t rows,
                           int n, int m, FftStages stages) {
  T* re0 = shared_buffer<T>();
  T *im0 = re0 + m, *re1 = im0 + m, *im1 = re1 + m;
  const int bins = n / 2 + 1;
  const bool even = n % 2 == 0;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* in = x + row * n;
    T* out = spectrum + row * 2 * bins;
    for (int t = threadIdx.x; t < m; t += blockDim.x) {
      re0[t] = even ? in[2 * t] : in[t];
      im0[t] = even ? in[2 * t + 1] : T(0);
    }
    __syncthreads();
    T *zr, *zi;
    block_fft(stages, m, re0, im0, re1, im1, zr, zi);
    for (int k = threadIdx.x; k < bins; k += blockDim.x) {
      T xr, xi;
      if (even) {
        const int a = k == m ? 0 : k, b = k == 0 ? 0 : m - k;
        const T ar = zr[a], ai = zi[a], cr = zr[b], ci = -zi[b];  // Z_k, conj Z_{m-k}
        const T er = T(0.5) * (ar + cr), ei = T(0.5) * (ai + ci);
        const T orr = T(0.5) * (ai - ci), oi = -T(0.5) * (ar - cr);  // (Z - conj Z') / 2i
        T wr, wi;
        unit_root(k, n, wr, wi);
        xr = er + wr * orr - wi * oi;
        xi = ei + wr * oi + wi * orr;
      } else {
        xr = zr[k];
        xi = zi[k];
      }
      const bool edge = k == 0 || 2 * k == n;
      if (edge) xi = T(0);
      if (kIrfftAdjoint) {
        const T scale = (edge ? T(1) : T(2)) / static_cast<T>(n);
        xr *= scale;
        xi *= scale;
      }
      out[2 * k] = xr;
      out[2 * k + 1] = xi;
    }
    __syncthreads();  // the next row reuses the buffers
  }
}

// Real rows x_t = out_scale · Σ_{k<n} Y_k e^{+2πi kt/n}, Y Hermitian with first half
// w_k X_k (Im X_0, Im X_{n/2} read as 0); kRfftAdjoint halves the interior bins (w_k = 1/2):
// the backward of rfft.
template <typename T, bool kRfftAdjoint>
__global__ void c2r_kernel(const T* __restrict__ spectrum, T* __restrict__ x, int64_t rows,
                           int n, int m, FftStages stages, T out_scale) {
  T* re0 = shared_buffer<T>();
  T *im0 = re0 + m, *re1 = im0 + m, *im1 = re1 + m;
  const int bins = n / 2 + 1;
  const bool even = n % 2 == 0;
  auto weight = [n](int k) { return kRfftAdjoint && k != 0 && 2 * k != n ? T(0.5) : T(1); };
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* in = spectrum + row * 2 * bins;
    T* out = x + row * n;
    // im holds -Im: the inverse FFT is conj(FFT(conj(.))).
    if (even) {
      for (int k = threadIdx.x; k < m; k += blockDim.x) {
        const int b = m - k;
        const T wk = weight(k), wb = weight(b);
        const T xr = wk * in[2 * k], xi = k == 0 ? T(0) : wk * in[2 * k + 1];
        const T cr = wb * in[2 * b], ci = b == m ? T(0) : -wb * in[2 * b + 1];  // conj X_{m-k}
        const T er = T(0.5) * (xr + cr), ei = T(0.5) * (xi + ci);
        const T dr = T(0.5) * (xr - cr), di = T(0.5) * (xi - ci);
        T wr, wi;
        unit_root(k, n, wr, wi);
        wi = -wi;  // e^{+2πi k/n}
        const T orr = dr * wr - di * wi, oi = dr * wi + di * wr;
        re0[k] = er - oi;       // Re(E + iO)
        im0[k] = -(ei + orr);   // -Im(E + iO)
      }
    } else {
      for (int k = threadIdx.x; k < bins; k += blockDim.x) {
        const T w = weight(k);
        const T yr = w * in[2 * k], yi = k == 0 ? T(0) : -w * in[2 * k + 1];
        re0[k] = yr;
        im0[k] = yi;
        if (k > 0) {
          re0[n - k] = yr;
          im0[n - k] = -yi;
        }
      }
    }
    __syncthreads();
    T *zr, *zi;
    block_fft(stages, m, re0, im0, re1, im1, zr, zi);
    if (even) {
      const T s = T(2) * out_scale;  // the half-length sum is half the Hermitian one
      for (int t = threadIdx.x; t < m; t += blockDim.x) {
        out[2 * t] = s * zr[t];
        out[2 * t + 1] = -s * zi[t];
      }
    } else {
      for (int t = threadIdx.x; t < n; t += blockDim.x) out[t] = out_scale * zr[t];
    }
    __syncthreads();
  }
}

// Threads: enough for the widest stage (m/2 butterflies of radix 2), a whole number of warps.
int threads_for(int64_t m) {
  return static_cast<int>(std::clamp<int64_t>((m / 2 + 31) / 32 * 32, 32, 256));
}

// Launches one block per row (grid-stride past kMaxBlocks rows) with 4 m values of shared
// memory; `extra` are the kernel's arguments after the stages (c2r's output scale).
template <typename T, typename... Extra>
void launch_rows(void (*kernel)(const T*, T*, int64_t, int, int, FftStages, Extra...),
                 int64_t rows, int64_t n, const T* in, T* out, Extra... extra) {
  if (rows == 0) return;
  const int64_t m = fft_complex_length(n);
  const size_t shared = 4 * static_cast<size_t>(m) * sizeof(T);
  if (shared > 48 * 1024)
    TT_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       static_cast<int>(shared)));
  const int blocks = static_cast<int>(std::min<int64_t>(rows, kMaxBlocks));
  kernel<<<blocks, threads_for(m), shared, current_stream()>>>(
      in, out, rows, static_cast<int>(n), static_cast<int>(m), stages_for(m), extra...);
  TT_CUDA_CHECK_LAUNCH();
}

}  // namespace

void rfft_forward(const Tensor& x, const Tensor& spectrum, int64_t rows, int64_t n) {
  dispatch_floating(x.dtype(), "rfft", [&](auto tag) {
    using T = decltype(tag);
    launch_rows(r2c_kernel<T, false>, rows, n, device_data<T>(x), device_data<T>(spectrum));
  });
}

void irfft_backward(const Tensor& grad_x, const Tensor& grad_spectrum, int64_t rows, int64_t n) {
  dispatch_floating(grad_x.dtype(), "irfft backward", [&](auto tag) {
    using T = decltype(tag);
    launch_rows(r2c_kernel<T, true>, rows, n, device_data<T>(grad_x),
                device_data<T>(grad_spectrum));
  });
}

void irfft_forward(const Tensor& spectrum, const Tensor& x, int64_t rows, int64_t n) {
  dispatch_floating(spectrum.dtype(), "irfft", [&](auto tag) {
    using T = decltype(tag);
    launch_rows(c2r_kernel<T, false>, rows, n, device_data<T>(spectrum), device_data<T>(x),
                T(1) / static_cast<T>(n));
  });
}

void rfft_backward(const Tensor& grad_spectrum, const Tensor& grad_x, int64_t rows, int64_t n) {
  dispatch_floating(grad_spectrum.dtype(), "rfft backward", [&](auto tag) {
    using T = decltype(tag);
    launch_rows(c2r_kernel<T, true>, rows, n, device_data<T>(grad_spectrum),
                device_data<T>(grad_x), T(1));
  });
}

}  // namespace tt::cuda

// CPU FFT kernels: mixed-radix (4, 2, 3, 5) Stockham FFT, 16 rows at a time in SIMD lanes,
// tiles of rows split across OpenMP threads (each row written by one thread, and a row's
// arithmetic does not depend on its lane: results do not depend on the thread count).
//
// Complex FFT of length m (Govindaraju et al., "High performance discrete Fourier transforms
// on graphics processors", SC 2008, the Stockham form). Stage s has radix R and combines R
// transforms of length Ns into ones of length Ns·R; for each j in [0, m/R), with k = j mod Ns:
//   v_r = x[j + r·m/R] · e^{-2πi k r / (Ns R)}          (r = 0..R-1)
//   v   = DFT_R(v)
//   y[(j / Ns)·Ns·R + k + r·Ns] = v_r
// then x and y swap. No bit reversal: the output lands in natural order. Twiddles are computed
// once per length (in double, then rounded) and kept in a plan cache; the inverse transform
// is conj(FFT(conj(.))).
//
// The real transforms (fft_kernels.h): an even n packs the row into m = n/2 complex values,
// z_t = x_{2t} + i x_{2t+1}, and separates the spectra of the even and odd samples after one
// FFT of length m:
//   E_k = (Z_k + conj Z_{m-k}) / 2,  O_k = (Z_k - conj Z_{m-k}) / (2i),  X_k = E_k + w^k O_k,
//   w = e^{-2πi/n}, k = 0..m;
// the inverse runs the same steps backwards (E_k, O_k from X_k and conj X_{m-k}, then
// Z_k = E_k + i O_k, then an inverse FFT of length m). An odd n runs a length-n complex FFT.
// Buffers are split re/im arrays, lane-interleaved (see kLanes).
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>
#include <type_traits>
#include <vector>

#include "tinytune/core/ops/fft/fft_butterfly.h"
#include "tinytune/core/ops/fft/fft_kernels.h"
#include "tinytune/core/ops/iterate.h"

namespace tt::cpu {

namespace {

template <typename T>
struct FftPlan {
  int64_t n = 0, m = 0;
  std::vector<int> radices;
  // Stage s's twiddles e^{-2πi k r / (Ns R)} at tw[offset[s] + (r-1)·Ns + k], r = 1..R-1.
  std::vector<T> tw_re, tw_im;
  std::vector<int64_t> offset;
  // e^{-2πi k / n}, k = 0..m, for the real-FFT untangling (even n).
  std::vector<T> post_re, post_im;
};

// e^{-2πi j / len} in double; j is reduced first so the angle stays in [0, 2π).
void unit_root(int64_t j, int64_t len, double& re, double& im) {
  const double angle = 2.0 * std::numbers::pi * static_cast<double>(j % len) / static_cast<double>(len);
  re = std::cos(angle);
  im = -std::sin(angle);
}

template <typename T>
std::unique_ptr<FftPlan<T>> make_plan(int64_t n) {
  auto plan = std::make_unique<FftPlan<T>>();
  plan->n = n;
  plan->m = fft_complex_length(n);
  int radices[kMaxFftStages];
  const int stages = fft_radices(plan->m, radices);
  TT_CHECK(stages >= 0, "fft: internal: length ", n, " reached the CPU kernel unsupported");
  plan->radices.assign(radices, radices + stages);
  int64_t ns = 1;
  for (int radix : plan->radices) {
    plan->offset.push_back(static_cast<int64_t>(plan->tw_re.size()));
    for (int r = 1; r < radix; ++r)
      for (int64_t k = 0; k < ns; ++k) {
        double re, im;
        unit_root(k * r, ns * radix, re, im);
        plan->tw_re.push_back(static_cast<T>(re));
        plan->tw_im.push_back(static_cast<T>(im));
      }
    ns *= radix;
  }
  if (n % 2 == 0)
    for (int64_t k = 0; k <= plan->m; ++k) {
      double re, im;
      unit_root(k, n, re, im);
      plan->post_re.push_back(static_cast<T>(re));
      plan->post_im.push_back(static_cast<T>(im));
    }
  return plan;
}

// Plans live for the process (one per length and dtype ever used: a handful).
template <typename T>
const FftPlan<T>& plan_for(int64_t n) {
  static std::mutex mutex;
  static std::map<int64_t, std::unique_ptr<FftPlan<T>>> plans;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = plans[n];
  if (!slot) slot = make_plan<T>(n);
  return *slot;
}

// Rows are transformed kLanes at a time, one row per SIMD lane: every buffer holds value t of
// lane l at [t·kLanes + l], so each butterfly's loads and stores are unit-stride runs over the
// lanes and the lane loop vectorises fully (the twiddles are the same for every lane). Past
// kMaxTiledLength complex values a row takes the buffers alone (kLanes = 1): 16 rows of a
// long transform would not stay in cache, and the per-thread scratch would grow 16-fold.
constexpr int64_t kWideLanes = 16, kMaxTiledLength = 8192;

// One radix-R stage (the Stockham step above) on kLanes rows at once.
template <int64_t kLanes, int R, typename T>
void stockham_stage(int64_t m, int64_t ns, const T* wr, const T* wi, const T* xr, const T* xi,
                    T* yr, T* yi) {
  const int64_t stride = m / R, groups = m / (R * ns);
  for (int64_t q = 0; q < groups; ++q)
    for (int64_t k = 0; k < ns; ++k) {
      const int64_t j = q * ns + k, out = q * ns * R + k;
      T cr[R], ci[R];
      for (int r = 1; r < R; ++r) cr[r] = wr[(r - 1) * ns + k], ci[r] = wi[(r - 1) * ns + k];
      // (not `omp simd`: GCC then keeps ar/ai as per-lane arrays in memory and gives up)
#pragma GCC ivdep
      for (int64_t l = 0; l < kLanes; ++l) {
        T ar[R], ai[R];
        ar[0] = xr[j * kLanes + l], ai[0] = xi[j * kLanes + l];
        for (int r = 1; r < R; ++r) {
          const T vr = xr[(j + r * stride) * kLanes + l], vi = xi[(j + r * stride) * kLanes + l];
          ar[r] = vr * cr[r] - vi * ci[r];
          ai[r] = vr * ci[r] + vi * cr[r];
        }
        fft_butterfly<R>(ar, ai);
        for (int r = 0; r < R; ++r) {
          yr[(out + r * ns) * kLanes + l] = ar[r];
          yi[(out + r * ns) * kLanes + l] = ai[r];
        }
      }
    }
}

// Forward complex FFT of length plan.m of the kLanes rows in (re, im), using (re2, im2) as
// the other buffer. Returns the buffer pair holding the result through out_re / out_im.
template <int64_t kLanes, typename T>
void complex_fft(const FftPlan<T>& plan, T* re, T* im, T* re2, T* im2, T*& out_re, T*& out_im) {
  T *xr = re, *xi = im, *yr = re2, *yi = im2;
  int64_t ns = 1;
  for (size_t s = 0; s < plan.radices.size(); ++s) {
    const T* wr = plan.tw_re.data() + plan.offset[s];
    const T* wi = plan.tw_im.data() + plan.offset[s];
    switch (plan.radices[s]) {
      case 2: stockham_stage<kLanes, 2>(plan.m, ns, wr, wi, xr, xi, yr, yi); break;
      case 3: stockham_stage<kLanes, 3>(plan.m, ns, wr, wi, xr, xi, yr, yi); break;
      case 4: stockham_stage<kLanes, 4>(plan.m, ns, wr, wi, xr, xi, yr, yi); break;
      case 5: stockham_stage<kLanes, 5>(plan.m, ns, wr, wi, xr, xi, yr, yi); break;
    }
    std::swap(xr, yr);
    std::swap(xi, yi);
    ns *= plan.radices[s];
  }
  out_re = xr;
  out_im = xi;
}

// One thread's scratch: four arrays of (m + 1) · kLanes values.
template <int64_t kLanes, typename T>
T* scratch(int64_t m) {
  thread_local std::vector<T> buffer;
  const int64_t size = 4 * (m + 1) * kLanes;
  if (static_cast<int64_t>(buffer.size()) < size) buffer.resize(size);
  return buffer.data();
}

// Spectra X (bins 0..n/2, interleaved re/im, rows `out_stride` apart) of `count` <= kLanes
// real rows (`in_stride` apart), bin k multiplied by bin_scale(k). Im X_0 and Im X_{n/2} are
// written as exact zeros.
template <int64_t kLanes, typename T, typename Scale>
void r2c_tile(const FftPlan<T>& plan, const T* x, int64_t in_stride, T* X, int64_t out_stride,
              int64_t count, Scale bin_scale) {
  const int64_t n = plan.n, m = plan.m, bins = n / 2 + 1, size = (m + 1) * kLanes;
  T* buf = scratch<kLanes, T>(m);
  T *re = buf, *im = buf + size, *out_re, *out_im;
  const bool even = n % 2 == 0;
  for (int64_t l = 0; l < kLanes; ++l) {
    if (l >= count) {
      for (int64_t t = 0; t < m; ++t) re[t * kLanes + l] = 0, im[t * kLanes + l] = 0;
      continue;
    }
    const T* row = x + l * in_stride;
    if (even)
      for (int64_t t = 0; t < m; ++t) re[t * kLanes + l] = row[2 * t], im[t * kLanes + l] = row[2 * t + 1];
    else
      for (int64_t t = 0; t < m; ++t) re[t * kLanes + l] = row[t], im[t * kLanes + l] = 0;
  }
  complex_fft<kLanes>(plan, re, im, buf + 2 * size, buf + 3 * size, out_re, out_im);
  // The spectra, still lane-interleaved, go to whichever buffer pair the FFT left free.
  T* spec_re = out_re == re ? buf + 2 * size : re;
  T* spec_im = out_re == re ? buf + 3 * size : im;
  for (int64_t k = 0; k < bins; ++k) {
    const T s = bin_scale(k);
    if (even) {
      const int64_t a = k == m ? 0 : k, b = k == 0 ? 0 : m - k;
      const T wr = plan.post_re[k], wi = plan.post_im[k];
#pragma omp simd
      for (int64_t l = 0; l < kLanes; ++l) {
        // Z_k and conj Z_{m-k}
        const T zr = out_re[a * kLanes + l], zi = out_im[a * kLanes + l];
        const T cr = out_re[b * kLanes + l], ci = -out_im[b * kLanes + l];
        const T er = T(0.5) * (zr + cr), ei = T(0.5) * (zi + ci);
        // O = (Z_k - conj Z_{m-k}) / (2i)
        const T orr = T(0.5) * (zi - ci), oi = -T(0.5) * (zr - cr);
        spec_re[k * kLanes + l] = s * (er + wr * orr - wi * oi);
        spec_im[k * kLanes + l] = s * (ei + wr * oi + wi * orr);
      }
    } else {
#pragma omp simd
      for (int64_t l = 0; l < kLanes; ++l) {
        spec_re[k * kLanes + l] = s * out_re[k * kLanes + l];
        spec_im[k * kLanes + l] = s * out_im[k * kLanes + l];
      }
    }
  }
  for (int64_t l = 0; l < count; ++l) {
    T* row = X + l * out_stride;
    for (int64_t k = 0; k < bins; ++k) row[2 * k] = spec_re[k * kLanes + l], row[2 * k + 1] = spec_im[k * kLanes + l];
    row[1] = 0;
    if (even) row[2 * m + 1] = 0;
  }
}

// `count` <= kLanes real rows x_t = out_scale · Σ_{k<n} Y_k e^{+2πi kt/n}, Y the Hermitian
// spectrum whose first half is bin_weight(k) · X_k (Im X_0 and Im X_{n/2} read as 0).
template <int64_t kLanes, typename T, typename Weight>
void c2r_tile(const FftPlan<T>& plan, const T* X, int64_t in_stride, T* x, int64_t out_stride,
              int64_t count, Weight bin_weight, T out_scale) {
  const int64_t n = plan.n, m = plan.m, bins = n / 2 + 1, size = (m + 1) * kLanes;
  T* buf = scratch<kLanes, T>(m);
  T *re = buf, *im = buf + size, *out_re, *out_im;
  T *spec_re = buf + 2 * size, *spec_im = buf + 3 * size;
  // The weighted spectra, lane-interleaved, with Im X_0 and Im X_{n/2} dropped.
  for (int64_t l = 0; l < kLanes; ++l) {
    if (l >= count) {
      for (int64_t k = 0; k < bins; ++k) spec_re[k * kLanes + l] = 0, spec_im[k * kLanes + l] = 0;
      continue;
    }
    const T* row = X + l * in_stride;
    for (int64_t k = 0; k < bins; ++k) {
      const T w = bin_weight(k);
      spec_re[k * kLanes + l] = w * row[2 * k];
      spec_im[k * kLanes + l] = k == 0 || 2 * k == n ? T(0) : w * row[2 * k + 1];
    }
  }
  // The inverse FFT is conj(FFT(conj(.))): im holds -Im of the spectrum fed to the FFT.
  if (n % 2 == 0) {
    for (int64_t k = 0; k < m; ++k) {
      const int64_t b = m - k;
      // O = d · e^{+2πi k/n} = d · conj(post_k)
      const T wr = plan.post_re[k], wi = -plan.post_im[k];
#pragma omp simd
      for (int64_t l = 0; l < kLanes; ++l) {
        const T xr = spec_re[k * kLanes + l], xi = spec_im[k * kLanes + l];
        const T cr = spec_re[b * kLanes + l], ci = -spec_im[b * kLanes + l];  // conj X_{m-k}
        const T er = T(0.5) * (xr + cr), ei = T(0.5) * (xi + ci);
        const T dr = T(0.5) * (xr - cr), di = T(0.5) * (xi - ci);
        const T orr = dr * wr - di * wi, oi = dr * wi + di * wr;
        re[k * kLanes + l] = er - oi;       // Re(E + iO)
        im[k * kLanes + l] = -(ei + orr);   // -Im(E + iO)
      }
    }
  } else {
    for (int64_t k = 0; k < bins; ++k) {
#pragma omp simd
      for (int64_t l = 0; l < kLanes; ++l) {
        const T yr = spec_re[k * kLanes + l], yi = -spec_im[k * kLanes + l];
        re[k * kLanes + l] = yr, im[k * kLanes + l] = yi;
        if (k > 0) re[(n - k) * kLanes + l] = yr, im[(n - k) * kLanes + l] = -yi;
      }
    }
  }
  complex_fft<kLanes>(plan, re, im, spec_re, spec_im, out_re, out_im);
  for (int64_t l = 0; l < count; ++l) {
    T* row = x + l * out_stride;
    if (n % 2 == 0) {
      // Σ over the half-length spectrum is half the full Hermitian sum.
      const T s = 2 * out_scale;
      for (int64_t t = 0; t < m; ++t)
        row[2 * t] = s * out_re[t * kLanes + l], row[2 * t + 1] = -s * out_im[t * kLanes + l];
    } else {
      for (int64_t t = 0; t < n; ++t) row[t] = out_scale * out_re[t * kLanes + l];
    }
  }
}

// Runs tile(lanes, plan, in, in_stride, out, out_stride, count) over all rows, `lanes` rows a
// call; `lanes` is a std::integral_constant (kWideLanes, or 1 for long rows).
template <typename F>
void for_each_tile(const Tensor& in, const Tensor& out, int64_t rows, int64_t n,
                   int64_t in_row, int64_t out_row, const char* op, F tile) {
  dispatch_floating(in.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const FftPlan<T>& plan = plan_for<T>(n);
    const T* pin = in.data<T>();
    T* pout = out.data<T>();
    auto run = [&](auto lanes) {
      const int64_t tiles = (rows + lanes() - 1) / lanes();
#pragma omp parallel for schedule(static) if (rows * n >= kParallelGrain && tiles > 1)
      for (int64_t i = 0; i < tiles; ++i) {
        const int64_t first = i * lanes();
        tile(lanes, plan, pin + first * in_row, in_row, pout + first * out_row, out_row,
             std::min<int64_t>(lanes(), rows - first));
      }
    };
    if (plan.m <= kMaxTiledLength)
      run(std::integral_constant<int64_t, kWideLanes>{});
    else
      run(std::integral_constant<int64_t, 1>{});
  });
}

}  // namespace

void rfft_forward(const Tensor& x, const Tensor& spectrum, int64_t rows, int64_t n) {
  for_each_tile(x, spectrum, rows, n, n, 2 * (n / 2 + 1), "rfft",
                [](auto lanes, const auto& plan, auto in, int64_t is, auto out, int64_t os, int64_t count) {
                  using T = std::remove_const_t<std::remove_pointer_t<decltype(in)>>;
                  r2c_tile<decltype(lanes)::value>(plan, in, is, out, os, count, [](int64_t) { return T(1); });
                });
}

void irfft_backward(const Tensor& grad_x, const Tensor& grad_spectrum, int64_t rows, int64_t n) {
  for_each_tile(grad_x, grad_spectrum, rows, n, n, 2 * (n / 2 + 1), "irfft backward",
                [n](auto lanes, const auto& plan, auto in, int64_t is, auto out, int64_t os, int64_t count) {
                  using T = std::remove_const_t<std::remove_pointer_t<decltype(in)>>;
                  const T edge = T(1) / static_cast<T>(n), interior = T(2) / static_cast<T>(n);
                  r2c_tile<decltype(lanes)::value>(plan, in, is, out, os, count,
                           [=](int64_t k) { return k == 0 || 2 * k == n ? edge : interior; });
                });
}

void irfft_forward(const Tensor& spectrum, const Tensor& x, int64_t rows, int64_t n) {
  for_each_tile(spectrum, x, rows, n, 2 * (n / 2 + 1), n, "irfft",
                [n](auto lanes, const auto& plan, auto in, int64_t is, auto out, int64_t os, int64_t count) {
                  using T = std::remove_const_t<std::remove_pointer_t<decltype(in)>>;
                  c2r_tile<decltype(lanes)::value>(plan, in, is, out, os, count, [](int64_t) { return T(1); },
                           T(1) / static_cast<T>(n));
                });
}

void rfft_backward(const Tensor& grad_spectrum, const Tensor& grad_x, int64_t rows, int64_t n) {
  for_each_tile(grad_spectrum, grad_x, rows, n, 2 * (n / 2 + 1), n, "rfft backward",
                [n](auto lanes, const auto& plan, auto in, int64_t is, auto out, int64_t os, int64_t count) {
                  using T = std::remove_const_t<std::remove_pointer_t<decltype(in)>>;
                  c2r_tile<decltype(lanes)::value>(plan, in, is, out, os, count,
                           [n](int64_t k) { return k == 0 || 2 * k == n ? T(1) : T(0.5); }, T(1));
                });
}

}  // namespace tt::cpu

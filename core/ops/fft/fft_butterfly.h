// The radix-R butterflies (R = 2, 3, 4, 5) of the Stockham FFT, shared by the CPU and CUDA
// kernels: y_s = Σ_r v_r e^{-2πi rs/R} on split re/im arrays, in place.
#pragma once

#ifdef __CUDACC__
#define TT_FFT_HOST_DEVICE __host__ __device__
#else
#define TT_FFT_HOST_DEVICE
#endif

namespace tt {

// DFT_R of (ar, ai) in place, forward sign (e^{-2πi rs/R}).
template <int R, typename T>
TT_FFT_HOST_DEVICE inline void fft_butterfly(T* ar, T* ai) {
  if constexpr (R == 2) {
    const T r0 = ar[0] + ar[1], i0 = ai[0] + ai[1];
    const T r1 = ar[0] - ar[1], i1 = ai[0] - ai[1];
    ar[0] = r0, ai[0] = i0, ar[1] = r1, ai[1] = i1;
  } else if constexpr (R == 3) {
    constexpr T s = static_cast<T>(0.86602540378443864676);  // sin(2π/3)
    const T tr = ar[1] + ar[2], ti = ai[1] + ai[2];
    const T dr = ar[1] - ar[2], di = ai[1] - ai[2];
    const T mr = ar[0] - T(0.5) * tr, mi = ai[0] - T(0.5) * ti;
    ar[0] += tr, ai[0] += ti;
    // y1 = m - i s d, y2 = m + i s d
    ar[1] = mr + s * di, ai[1] = mi - s * dr;
    ar[2] = mr - s * di, ai[2] = mi + s * dr;
  } else if constexpr (R == 4) {
    const T ar02 = ar[0] + ar[2], ai02 = ai[0] + ai[2];
    const T sr02 = ar[0] - ar[2], si02 = ai[0] - ai[2];
    const T ar13 = ar[1] + ar[3], ai13 = ai[1] + ai[3];
    const T sr13 = ar[1] - ar[3], si13 = ai[1] - ai[3];
    ar[0] = ar02 + ar13, ai[0] = ai02 + ai13;
    ar[2] = ar02 - ar13, ai[2] = ai02 - ai13;
    // y1 = (v0 - v2) - i (v1 - v3), y3 = (v0 - v2) + i (v1 - v3)
    ar[1] = sr02 + si13, ai[1] = si02 - sr13;
    ar[3] = sr02 - si13, ai[3] = si02 + sr13;
  } else {
    static_assert(R == 5);
    constexpr T c1 = static_cast<T>(0.30901699437494742410);   // cos(2π/5)
    constexpr T c2 = static_cast<T>(-0.80901699437494742410);  // cos(4π/5)
    constexpr T s1 = static_cast<T>(0.95105651629515357212);   // sin(2π/5)
    constexpr T s2 = static_cast<T>(0.58778525229247312917);   // sin(4π/5)
    const T t1r = ar[1] + ar[4], t1i = ai[1] + ai[4], d1r = ar[1] - ar[4], d1i = ai[1] - ai[4];
    const T t2r = ar[2] + ar[3], t2i = ai[2] + ai[3], d2r = ar[2] - ar[3], d2i = ai[2] - ai[3];
    const T a1r = ar[0] + c1 * t1r + c2 * t2r, a1i = ai[0] + c1 * t1i + c2 * t2i;
    const T a2r = ar[0] + c2 * t1r + c1 * t2r, a2i = ai[0] + c2 * t1i + c1 * t2i;
    const T b1r = s1 * d1r + s2 * d2r, b1i = s1 * d1i + s2 * d2i;
    const T b2r = s2 * d1r - s1 * d2r, b2i = s2 * d1i - s1 * d2i;
    ar[0] += t1r + t2r, ai[0] += t1i + t2i;
    // y1 = a1 - i b1, y4 = a1 + i b1, y2 = a2 - i b2, y3 = a2 + i b2
    ar[1] = a1r + b1i, ai[1] = a1i - b1r;
    ar[4] = a1r - b1i, ai[4] = a1i + b1r;
    ar[2] = a2r + b2i, ai[2] = a2i - b2r;
    ar[3] = a2r - b2i, ai[3] = a2i + b2r;
  }
}

}  // namespace tt

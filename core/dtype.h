// Element types. f32 is the reference precision, f64 is for gradient checks, i32/i64 hold indices.
// bf16 is a storage type: tensors of it can be created, copied and converted (to(DType), on CPU
// and CUDA), and the CUDA GEMM reads it, but no op computes in it. The kernel dispatchers below
// (dispatch_floating, dispatch_all) refuse it with an error that says so; conversions use
// dispatch_storage. Mixed precision is the autocast switch (core/autocast.h), not bf16 tensors.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "tinytune/core/error.h"

// Conversions of bfloat16 are usable in CUDA kernels too (this header is seen by nvcc).
#if defined(__CUDACC__)
#define TT_HOST_DEVICE __host__ __device__
#else
#define TT_HOST_DEVICE
#endif

namespace tt {

enum class DType : uint8_t { f32, f64, i32, i64, bf16 };

// bfloat16: the upper 16 bits of an IEEE binary32 (1 sign, 8 exponent, 7 mantissa bits), the
// bit layout of torch.bfloat16, __nv_bfloat16 and safetensors "BF16".
//   float -> bfloat16 rounds to nearest, ties to even (as torch and __float2bfloat16_rn do);
//   values past the largest bfloat16 (3.3895e38) round to +-inf; NaN stays a (quiet) NaN of
//   the same sign; subnormals are rounded like any other value (bfloat16 has float's range).
//   bfloat16 -> float is exact.
// Other arithmetic types convert through float (double -> float -> bfloat16 rounds twice, as
// torch's c10::BFloat16 does). No arithmetic operators on purpose: nothing computes in bf16.
struct bfloat16 {
  uint16_t bits;  // trivially constructible; bfloat16{} is zero

  bfloat16() = default;
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  TT_HOST_DEVICE explicit bfloat16(T value) : bits(from_float(static_cast<float>(value))) {}
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  TT_HOST_DEVICE explicit operator T() const {
    return static_cast<T>(to_float(bits));
  }

  static TT_HOST_DEVICE bfloat16 from_bits(uint16_t b) {
    bfloat16 out;
    out.bits = b;
    return out;
  }
  static TT_HOST_DEVICE uint16_t from_float(float f) {
    uint32_t u = float_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)        // NaN: keep sign and top payload bits and
      return static_cast<uint16_t>((u >> 16) | 0x0040u);  // set the quiet bit (never inf)
    // Round to nearest even: add 0x7fff plus the lowest kept bit, then truncate. A carry into
    // the exponent is the correct rounding (up to inf past the largest finite value).
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
  }
  static TT_HOST_DEVICE float to_float(uint16_t b) {
    return bits_float(static_cast<uint32_t>(b) << 16);
  }

 private:
  static TT_HOST_DEVICE uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
    return __float_as_uint(f);
#else
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
#endif
  }
  static TT_HOST_DEVICE float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(u);
#else
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
#endif
  }
};
static_assert(sizeof(bfloat16) == 2, "bfloat16 must be 2 bytes (tensors store it packed)");

inline size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::i32: return 4;
    case DType::i64: return 8;
    case DType::bf16: return 2;
  }
  return 0;
}

inline const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "f32";
    case DType::f64: return "f64";
    case DType::i32: return "i32";
    case DType::i64: return "i64";
    case DType::bf16: return "bf16";
  }
  return "?";
}

// The dtypes ops compute in and gradients flow through. bf16 is not one (see the top).
inline bool is_floating(DType dtype) { return dtype == DType::f32 || dtype == DType::f64; }

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<bfloat16>() { return DType::bf16; }

namespace detail {
[[noreturn]] inline void throw_bf16_not_computable(const char* op) {
  throw Error(concat(op, ": bf16 tensors are storage-only (no op computes in bf16); convert with "
                         ".to(DType::f32) first, or run f32 matmuls under tt::AutocastBf16 "
                         "(core/autocast.h) for bf16 tensor-core GEMMs on CUDA"));
}
}  // namespace detail

// Calls f(T{}) with T the C++ type of a floating dtype; any other dtype is an error naming `op`.
template <typename F>
decltype(auto) dispatch_floating(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    case DType::bf16: detail::throw_bf16_not_computable(op);
    default: break;
  }
  throw Error(detail::concat(op, ": expected a floating dtype (f32 or f64), got ", dtype_name(dtype)));
}

// Calls f(T{}) for every dtype a kernel computes in (all but bf16, which is refused).
template <typename F>
decltype(auto) dispatch_all(DType dtype, F&& f) {
  switch (dtype) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    case DType::i32: return f(int32_t{});
    case DType::i64: return f(int64_t{});
    case DType::bf16: detail::throw_bf16_not_computable("kernel dispatch");
  }
  throw Error("unknown dtype");
}

// Calls f(T{}) for every dtype, bf16 included (T = bfloat16): for code that only stores, loads
// and converts elements with static_cast (copies, to(DType), element access, printing).
template <typename F>
decltype(auto) dispatch_storage(DType dtype, F&& f) {
  switch (dtype) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    case DType::i32: return f(int32_t{});
    case DType::i64: return f(int64_t{});
    case DType::bf16: return f(bfloat16{});
  }
  throw Error("unknown dtype");
}

}  // namespace tt

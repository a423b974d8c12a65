// bf16: the float <-> bfloat16 conversion (round to nearest even, inf, NaN, subnormals), bf16
// tensors on the CPU (to(DType), element access), the errors of ops that do not compute in
// bf16, and the autocast switch on the CPU (which ignores it).
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "tinytune/core/autocast.h"
#include "tinytune/core/dtype.h"
#include "tinytune/core/ops.h"
#include "tests/test_util.h"

namespace {

uint16_t round_bits(uint32_t float_bits) {
  return tt::bfloat16::from_float(std::bit_cast<float>(float_bits));
}

// An independent reference for finite inputs: the two bfloat16 neighbours of f (truncation and
// the next one up in magnitude, 2^128 standing for the step past the largest finite value),
// the nearer in exact double arithmetic, the one with an even last bit on a tie.
uint16_t reference_round(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const uint32_t sign = u & 0x80000000u, magnitude = u & 0x7fffffffu;
  const uint32_t down = magnitude >> 16, up = down + 1;
  const double x = std::abs(static_cast<double>(f));
  const double down_value = static_cast<double>(std::bit_cast<float>(down << 16));
  const double up_value = up == 0x7f80u ? std::ldexp(1.0, 128)
                                        : static_cast<double>(std::bit_cast<float>(up << 16));
  uint32_t chosen;
  if (x - down_value < up_value - x) chosen = down;
  else if (x - down_value > up_value - x) chosen = up;
  else chosen = (down & 1u) == 0 ? down : up;
  return static_cast<uint16_t>((sign >> 16) | chosen);
}

bool is_bf16_nan(uint16_t b) { return (b & 0x7f80u) == 0x7f80u && (b & 0x007fu) != 0; }

}  // namespace

TEST_CASE("bf16: float -> bfloat16 rounds to nearest, ties to even") {
  CHECK(round_bits(0x3f800000u) == 0x3f80u);  // 1.0 exactly
  // 1 + 2^-8 lies halfway between 0x3f80 and 0x3f81: the even one, 0x3f80.
  CHECK(round_bits(0x3f808000u) == 0x3f80u);
  // Halfway between 0x3f81 and 0x3f82: the even one, 0x3f82.
  CHECK(round_bits(0x3f818000u) == 0x3f82u);
  CHECK(round_bits(0x3f808001u) == 0x3f81u);  // just above half: up
  CHECK(round_bits(0x3f807fffu) == 0x3f80u);  // just below half: down
  CHECK(round_bits(0xbf808000u) == 0xbf80u);  // negative tie: even, sign kept
  CHECK(round_bits(0xbf818000u) == 0xbf82u);
  // A carry through the mantissa into the exponent: 1.9999 rounds to 2.0.
  CHECK(round_bits(0x3fffffffu) == 0x4000u);
  CHECK(round_bits(0x00000000u) == 0x0000u);
  CHECK(round_bits(0x80000000u) == 0x8000u);  // -0 stays -0
}

TEST_CASE("bf16: overflow, infinities, NaN and subnormals") {
  CHECK(round_bits(0x7f7fffffu) == 0x7f80u);  // FLT_MAX is past the last midpoint: +inf
  CHECK(round_bits(0x7f7f8000u) == 0x7f80u);  // the midpoint itself: tie to even (inf)
  CHECK(round_bits(0x7f7f7fffu) == 0x7f7fu);  // below it: the largest finite bfloat16
  CHECK(round_bits(0xff7fffffu) == 0xff80u);  // -FLT_MAX: -inf
  CHECK(round_bits(0x7f800000u) == 0x7f80u);  // +inf
  CHECK(round_bits(0xff800000u) == 0xff80u);  // -inf
  // NaN stays NaN (even a payload only in the dropped bits, which truncation would turn into
  // inf), quiet, with its sign.
  for (uint32_t nan : {0x7fc00000u, 0x7f800001u, 0x7fa00000u, 0xffc00000u, 0xff800001u}) {
    const uint16_t b = round_bits(nan);
    INFO("float bits ", nan, " -> ", b);
    CHECK(is_bf16_nan(b));
    CHECK((b & 0x0040u) != 0);
    CHECK((b & 0x8000u) == ((nan >> 16) & 0x8000u));
  }
  CHECK(std::isnan(static_cast<float>(tt::bfloat16(std::numeric_limits<float>::quiet_NaN()))));
  // Subnormals round like any other value.
  CHECK(round_bits(0x00000001u) == 0x0000u);  // the smallest subnormal: down to 0
  CHECK(round_bits(0x00008000u) == 0x0000u);  // tie: even (0)
  CHECK(round_bits(0x00018000u) == 0x0002u);  // tie: even (2)
  CHECK(round_bits(0x00008001u) == 0x0001u);
  CHECK(round_bits(0x807fffffu) == 0x8080u);  // the largest negative subnormal: up to -2^-126
}

TEST_CASE("bf16: rounding agrees with an independent reference on random floats") {
  std::mt19937 rng(2024);
  std::uniform_int_distribution<uint32_t> bits;
  int checked = 0;
  for (int i = 0; i < 200000; ++i) {
    const uint32_t u = bits(rng);
    const float f = std::bit_cast<float>(u);
    if (!std::isfinite(f)) continue;
    const uint16_t got = tt::bfloat16::from_float(f), want = reference_round(f);
    if (got != want) {
      INFO("float bits ", u, ": got ", got, ", expected ", want);
      CHECK(got == want);
      break;
    }
    ++checked;
  }
  CHECK(checked > 190000);
}

TEST_CASE("bf16: bfloat16 -> float is exact, and round-trips") {
  CHECK(tt::bfloat16::to_float(0x3f81u) == 1.0078125f);
  CHECK(tt::bfloat16::to_float(0xc0490000u >> 16) == -3.140625f);
  CHECK(std::isinf(tt::bfloat16::to_float(0xff80u)));
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits(0, 0xffff);
  for (int i = 0; i < 1000; ++i) {
    const uint16_t b = static_cast<uint16_t>(bits(rng));
    if (is_bf16_nan(b)) continue;
    CHECK(tt::bfloat16::from_float(tt::bfloat16::to_float(b)) == b);
  }
  // Other arithmetic types go through float.
  CHECK(static_cast<double>(tt::bfloat16(3)) == 3.0);
  CHECK(static_cast<int64_t>(tt::bfloat16(-2.5)) == -2);
  CHECK(tt::bfloat16(1.00390625).bits == 0x3f80u);  // 1 + 2^-8: a tie, to even
}

TEST_CASE("bf16: tensors on the CPU: to(DType), element access, strided sources") {
  CHECK(tt::dtype_size(tt::DType::bf16) == 2);
  CHECK(std::string(tt::dtype_name(tt::DType::bf16)) == "bf16");
  CHECK(!tt::is_floating(tt::DType::bf16));
  tt::Generator gen(11);
  tt::Tensor x = tt::uniform({5, 7}, -3.0, 3.0, tt::DType::f32, gen);
  tt::Tensor xt = x.transpose(0, 1);  // a strided source
  tt::Tensor b = xt.to(tt::DType::bf16);
  CHECK(b.dtype() == tt::DType::bf16);
  CHECK(b.shape() == tt::Shape{7, 5});
  tt::Tensor back = b.to(tt::DType::f32);
  const std::vector<float> src = xt.to_vector<float>(), got = back.to_vector<float>();
  REQUIRE(src.size() == got.size());
  for (size_t i = 0; i < src.size(); ++i) {
    INFO("element ", i);
    CHECK(got[i] == tt::bfloat16::to_float(tt::bfloat16::from_float(src[i])));
    CHECK(std::abs(got[i] - src[i]) <= std::abs(src[i]) * 0x1p-8f);  // half an ulp of 8 bits
    CHECK(b.get(static_cast<int64_t>(i)) == static_cast<double>(got[i]));
  }
  // f64 and integer sources convert through float.
  tt::Tensor d = tt::from_vector(std::vector<double>{1.00390625, -7.0, 1e30}, {3}, tt::DType::f64);
  const std::vector<double> dv = d.to(tt::DType::bf16).to_vector<double>();
  CHECK(dv[0] == 1.0);
  CHECK(dv[1] == -7.0);
  CHECK(std::abs(dv[2] - 1e30) <= 1e30 * 0x1p-8);
}

TEST_CASE("bf16: ops that do not compute in bf16 say so") {
  tt::Generator gen(3);
  tt::Tensor x = tt::uniform({3, 4}, 0.5, 1.5, tt::DType::f32, gen).to(tt::DType::bf16);
  tt::test::check_error([&] { tt::exp(x); }, {"exp", "bf16", "f32 or f64"});
  tt::test::check_error([&] { tt::add(x, x); }, {"bf16", "storage-only", ".to(DType::f32)"});
  tt::test::check_error([&] { tt::sum(x); }, {"sum", "bf16"});
  tt::test::check_error([&] { tt::matmul(x, x.transpose(0, 1)); },
                        {"matmul", "bf16", "AutocastBf16"});
  tt::test::check_error([&] { x.detach().set_requires_grad(true); }, {"require grad", "bf16"});
}

TEST_CASE("bf16: the autocast switch is scoped, thread-local, and ignored by CPU matmul") {
  CHECK(!tt::autocast_bf16());
  {
    tt::AutocastBf16 on;
    CHECK(tt::autocast_bf16());
    {
      tt::AutocastBf16 off(false);
      CHECK(!tt::autocast_bf16());
    }
    CHECK(tt::autocast_bf16());
  }
  CHECK(!tt::autocast_bf16());

  tt::Generator gen(5);
  tt::Tensor a = tt::uniform({9, 13}, -1.0, 1.0, tt::DType::f32, gen).set_requires_grad(true);
  tt::Tensor b = tt::uniform({13, 6}, -1.0, 1.0, tt::DType::f32, gen).set_requires_grad(true);
  tt::Tensor plain = tt::matmul(a, b);
  tt::sum(plain).backward();
  const std::vector<float> plain_ga = a.grad().to_vector<float>();
  a.zero_grad();
  tt::Tensor cast;
  {
    tt::AutocastBf16 on;
    cast = tt::matmul(a, b);
    tt::sum(cast).backward();
  }
  CHECK(cast.dtype() == tt::DType::f32);
  CHECK(cast.to_vector<float>() == plain.to_vector<float>());  // bit for bit
  CHECK(a.grad().to_vector<float>() == plain_ga);
}

// The float fast_exp/fast_erf used by the CPU kernels, against libm in double; and fast_exp's
// underflow edge as softmax sees it (a masked score must give exactly 0, never a subnormal).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "tinytune/core/ops.h"
#include "tinytune/core/ops/fast_math.h"

TEST_CASE("fast_math: float exp within 3 ulp of the true value over its range") {
  double worst = 0;
  for (double x = -87.0; x <= 88.0; x += 0.001) {
    const float xf = static_cast<float>(x);
    const double exact = std::exp(static_cast<double>(xf));
    worst = std::max(worst, std::abs(tt::fast_exp(xf) - exact) / exact);
  }
  CHECK(worst < 3.0 * 5.96e-8);  // float ulp at 1 is 2^-23; relative half-ulp is 5.96e-8
  CHECK(tt::fast_exp(0.0f) == 1.0f);
}

TEST_CASE("fast_math: float exp underflows to exactly 0, never to a subnormal") {
  // Subnormal floats cost ~100 cycles an operation on many x86 CPUs; a clamped 1e-38 for masked
  // scores once made a quarter of the backward pass's values subnormal.
  CHECK(tt::fast_exp(-1000.0f) == 0.0f);
  CHECK(tt::fast_exp(std::numeric_limits<float>::lowest()) == 0.0f);
  CHECK(tt::fast_exp(-std::numeric_limits<float>::infinity()) == 0.0f);
  CHECK(std::isnan(tt::fast_exp(std::numeric_limits<float>::quiet_NaN())));
  int subnormal = 0, negative = 0;
  for (double x = -120.0; x <= -80.0; x += 0.0005) {
    const float y = tt::fast_exp(static_cast<float>(x));
    subnormal += std::fpclassify(y) == FP_SUBNORMAL;
    negative += y < 0.0f;
  }
  CHECK(subnormal == 0);
  CHECK(negative == 0);
  CHECK(tt::fast_exp(-87.0f) > 0.0f);  // just above the cut: still the normal 1.6e-38
}

TEST_CASE("fast_math: a float softmax gives masked entries (lowest, -inf) exactly 0, gradient too") {
  using namespace tt;
  const float lowest = std::numeric_limits<float>::lowest();
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x = from_vector(std::vector<double>{0.3, -1.2, lowest, 2.0, -inf, lowest, 0.5, -0.4},
                         {2, 4}, DType::f32)
                 .set_requires_grad(true);
  Tensor y = softmax(x, -1);
  Tensor g = from_vector(std::vector<double>{0.7, -0.2, 1.3, 0.4, -0.9, 0.6, 0.1, 1.1}, {2, 4},
                         DType::f32);
  sum(mul(y, g)).backward();
  for (int64_t i : {2, 4, 5}) {
    CAPTURE(i);
    CHECK(y.get(i) == 0.0);
    CHECK(x.grad().get(i) == 0.0);
  }
  for (int64_t i : {0, 1, 3, 6, 7}) CHECK(y.get(i) > 1e-3);
}

TEST_CASE("fast_math: float erf within 1.5e-7 absolute (Abramowitz & Stegun 7.1.26)") {
  double worst = 0;
  for (double x = -6.0; x <= 6.0; x += 0.0005) {
    const float xf = static_cast<float>(x);
    worst = std::max(worst, std::abs(tt::fast_erf(xf) - std::erf(static_cast<double>(xf))));
  }
  // The formula's 1.5e-7 plus float rounding of 1 - p·t·exp(-x²), which cancels near 0.
  CHECK(worst < 5e-7);
  CHECK(tt::fast_erf(0.0f) == doctest::Approx(0.0f).epsilon(1e-6));
  CHECK(tt::fast_erf(-2.0f) == doctest::Approx(-std::erf(2.0)).epsilon(1e-6));
}

TEST_CASE("fast_math: double stays exact libm") {
  CHECK(tt::fast_exp(0.7) == std::exp(0.7));
  CHECK(tt::fast_erf(0.7) == std::erf(0.7));
}

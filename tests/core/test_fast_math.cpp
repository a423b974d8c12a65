// The float fast_exp/fast_erf used by the CPU kernels, against libm in double.
#include <doctest/doctest.h>

#include <cmath>

#include "core/ops/fast_math.h"

TEST_CASE("fast_math: float exp within 3 ulp of the true value over its range") {
  double worst = 0;
  for (double x = -87.0; x <= 88.0; x += 0.001) {
    const float xf = static_cast<float>(x);
    const double exact = std::exp(static_cast<double>(xf));
    worst = std::max(worst, std::abs(tt::fast_exp(xf) - exact) / exact);
  }
  CHECK(worst < 3.0 * 5.96e-8);  // float ulp at 1 is 2^-23; relative half-ulp is 5.96e-8
  CHECK(tt::fast_exp(-1000.0f) >= 0.0f);
  CHECK(tt::fast_exp(-1000.0f) < 1e-37f);
  CHECK(tt::fast_exp(0.0f) == 1.0f);
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

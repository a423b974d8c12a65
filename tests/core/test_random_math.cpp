// The portable log, sin and cos behind normal draws (core/random_math.h): the CUDA draw uses
// the same code, so these accuracy checks on the CPU hold for both devices.
#include <cmath>
#include <cstring>

#include "tinytune/core/random_math.h"
#include "tests/test_util.h"

using namespace tt;

namespace {

// Distance in units in the last place between two positive finite doubles.
int64_t ulp_distance(double a, double b) {
  int64_t ia, ib;
  std::memcpy(&ia, &a, sizeof a);
  std::memcpy(&ib, &b, sizeof b);
  return ia > ib ? ia - ib : ib - ia;
}

}  // namespace

TEST_CASE("random math: log_unit is within 1 ulp of a correctly rounded log below 1") {
  Generator gen(3);
  Tensor u = uniform({200000}, 0.0, 1.0, DType::f64, gen);
  int64_t worst = 0;
  for (double v : u.to_vector<double>()) {
    const double x = 1.0 - v;  // what Box-Muller passes: a multiple of 2^-53 in (0, 1]
    const double exact = static_cast<double>(std::log(static_cast<long double>(x)));
    worst = std::max(worst, ulp_distance(-random_math::log_unit(x), -exact));
  }
  CHECK(worst <= 1);
  // the ends: x = 1 (u = 0) and the smallest x, 2^-53; a value just below 1
  CHECK(random_math::log_unit(1.0) == 0.0);
  CHECK(random_math::log_unit(std::ldexp(1.0, -53)) == doctest::Approx(-53 * std::log(2.0)).epsilon(1e-15));
  CHECK(random_math::log_unit(1.0 - std::ldexp(1.0, -53)) == -std::ldexp(1.0, -53));
}

TEST_CASE("random math: sincos_turn(u) is sin and cos of 2 pi u to a few 1e-16") {
  Generator gen(4);
  Tensor u = uniform({200000}, 0.0, 1.0, DType::f64, gen);
  std::vector<double> values = u.to_vector<double>();
  for (double q : {0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875}) values.push_back(q);
  double worst = 0;
  for (double v : values) {
    double s, c;
    random_math::sincos_turn(v, &s, &c);
    const long double angle = 2.0L * 3.14159265358979323846264338327950288L * v;
    worst = std::max(worst, static_cast<double>(std::fabs(s - std::sin(angle))));
    worst = std::max(worst, static_cast<double>(std::fabs(c - std::cos(angle))));
  }
  CHECK(worst < 4e-16);
  double s, c;
  random_math::sincos_turn(0.25, &s, &c);  // a quarter turn: exactly (1, 0)
  CHECK(s == 1.0);
  CHECK(c == 0.0);
}

TEST_CASE("random math: normal draws follow Box-Muller on the generator's uniforms") {
  // Element 2k and 2k+1 of a normal draw are mean + stddev * radius * (cos, sin) of counter k.
  Generator a(8), b(8);
  Tensor z = normal({6}, 1.0, 2.0, DType::f64, a);
  Tensor u = uniform({6}, 0.0, 1.0, DType::f64, b);
  for (int64_t k = 0; k < 3; ++k) {
    const double u0 = u.get(2 * k), u1 = u.get(2 * k + 1);
    const double radius = std::sqrt(-2.0 * std::log(1.0 - u0));
    CHECK(z.get(2 * k) == doctest::Approx(1.0 + 2.0 * radius * std::cos(2 * M_PI * u1)).epsilon(1e-13));
    CHECK(z.get(2 * k + 1) == doctest::Approx(1.0 + 2.0 * radius * std::sin(2 * M_PI * u1)).epsilon(1e-13));
  }
}

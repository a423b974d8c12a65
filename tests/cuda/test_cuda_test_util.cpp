// The comparison of the CUDA tests (tests/cuda/cuda_test_util.h) on the CPU: these cases need
// no device and must run (not skip) everywhere, so that a tolerance bug shows before a GPU run.
#include <limits>

#include "tests/cuda/cuda_test_util.h"

using namespace tt;
using namespace tt::test;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Whether the one-element comparison of a (result) with e (reference) passes.
bool passes(double a, double e, double rel_tol, double abs_tol) {
  return !close_mismatch({a}, {e}, rel_tol, abs_tol).has_value();
}

}  // namespace

TEST_CASE("close_mismatch: finite values within and beyond the tolerance") {
  CHECK(passes(1.0, 1.0, 0.0, 0.0));
  CHECK(passes(1.0 + 0.9e-6, 1.0, 1e-6, 0.0));
  CHECK_FALSE(passes(1.0 + 1.1e-6, 1.0, 1e-6, 0.0));
  CHECK(passes(0.5, 0.0, 0.0, 0.5));
  CHECK_FALSE(passes(0.51, 0.0, 0.0, 0.5));
}

TEST_CASE("close_mismatch: same-signed infinities and NaN pairs are equal") {
  CHECK(passes(-kInf, -kInf, 0.0, 0.0));
  CHECK(passes(kInf, kInf, 0.0, 0.0));
  CHECK(passes(kNaN, kNaN, 0.0, 0.0));
}

TEST_CASE("close_mismatch: an infinity against anything else fails, whatever the tolerance") {
  // rel_tol * |inf| is an infinite bound: the comparison must not lean on it.
  for (double rel : {0.0, 1e-5, 1.0}) {
    CAPTURE(rel);
    CHECK_FALSE(passes(-kInf, kInf, rel, 1.0));
    CHECK_FALSE(passes(kInf, -kInf, rel, 1.0));
    CHECK_FALSE(passes(1.0, kInf, rel, 1.0));
    CHECK_FALSE(passes(kInf, 1.0, rel, 1.0));
    CHECK_FALSE(passes(-kInf, 0.0, rel, 1.0));
    CHECK_FALSE(passes(kNaN, 1.0, rel, 1.0));
    CHECK_FALSE(passes(1.0, kNaN, rel, 1.0));
    CHECK_FALSE(passes(kNaN, -kInf, rel, 1.0));
  }
}

TEST_CASE("close_mismatch: reports the worst element") {
  const std::vector<double> expected = {1.0, -kInf, 2.0, 3.0, 4.0};
  const std::vector<double> actual = {1.0, -kInf, 2.1, 3.5, 4.2};
  const std::optional<CloseMismatch> worst = close_mismatch(actual, expected, 0.0, 0.01);
  REQUIRE(worst.has_value());
  CHECK(worst->index == 3);
  CHECK(worst->actual == 3.5);
  CHECK(worst->expected == 3.0);
  CHECK(worst->excess == doctest::Approx(0.49));
  // An infinity on one side only outranks any finite excess.
  const std::optional<CloseMismatch> inf_worst =
      close_mismatch({1.0, 0.0, 9.0}, {1.0, -kInf, 1.0}, 0.0, 0.0);
  REQUIRE(inf_worst.has_value());
  CHECK(inf_worst->index == 1);
}

TEST_CASE("check_close: CPU tensors with -inf entries (a masked log_softmax row) match") {
  // The shape of tests/cuda/test_softmax_cuda.cpp's "-inf entries" case, both sides on the CPU.
  Tensor x = random_signed({2, 9}, DType::f32, 5);
  for (int64_t j = 4; j < 9; ++j) x.set(9 + j, -kInf);
  Tensor y = log_softmax(x, -1);
  REQUIRE(y.get(9 + 5) == -kInf);
  check_close(y.clone(), y, 1e-5, 1e-5);
}

TEST_CASE("finite_max_abs: the tolerance scale ignores infinities and NaN") {
  Tensor t = from_vector(std::vector<float>{-3.f, 2.f, 0.f, 1.f}, {4});
  CHECK(finite_max_abs(t) == 3.0);
  t.set(1, -kInf);
  t.set(2, kNaN);
  CHECK(finite_max_abs(t) == 3.0);
}

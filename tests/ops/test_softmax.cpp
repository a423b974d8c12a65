// softmax's guarded case on the CPU: a line whose every entry is -inf (a fully masked attention
// row) gives zeros and a zero gradient, not NaN (softmax.h), along the last dim and along a
// middle one, in f32 and f64; one NaN still gives NaN, and log_softmax is not guarded.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "tinytune/core/ops.h"

using namespace tt;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("softmax: a line of only -inf gives zeros and zero gradient, other lines unchanged") {
  for (DType dtype : {DType::f32, DType::f64}) {
    for (int64_t dim : {1, 0}) {  // dim 1: contiguous rows; dim 0: lines with stride 3
      CAPTURE(dtype_name(dtype));
      CAPTURE(dim);
      // [3, 3]: along dim 1 row 1 is all -inf; along dim 0 column 1 is.
      const std::vector<double> rows = {0.3, -1.2, 2.0, -kInf, -kInf, -kInf, 0.5, -kInf, 1.0};
      const std::vector<double> cols = {0.3, -kInf, 2.0, -1.2, -kInf, -kInf, 0.5, -kInf, 1.0};
      Tensor x = from_vector(dim == 1 ? rows : cols, {3, 3}, dtype).set_requires_grad(true);
      Tensor y = softmax(x, dim);
      Tensor g = from_vector(std::vector<double>{0.7, -0.2, 1.3, 0.4, -0.9, 0.6, 0.1, 1.1, -0.5},
                             {3, 3}, dtype);
      sum(mul(y, g)).backward();
      const int64_t masked[] = {dim == 1 ? 3 : 1, 4, dim == 1 ? 5 : 7};
      for (int64_t i : masked) {
        CAPTURE(i);
        CHECK(y.get(i) == 0.0);
        CHECK(x.grad().get(i) == 0.0);
      }
      // Every other line still sums to 1, and its gradient is finite.
      Tensor line_sums = sum(y.detach(), {dim});
      for (int64_t l : {0, 2}) CHECK(line_sums.get(l) == doctest::Approx(1.0).epsilon(1e-6));
      for (double v : x.grad().to_vector<double>()) CHECK(std::isfinite(v));
    }
  }
}

TEST_CASE("softmax: NaN still propagates, and log_softmax of a line of only -inf stays NaN") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = from_vector(std::vector<double>{-kInf, nan, -kInf}, {1, 3}, DType::f32);
  CHECK(std::isnan(softmax(x, -1).get(1)));
  Tensor all_masked = from_vector(std::vector<double>{-kInf, -kInf}, {1, 2}, DType::f32);
  CHECK(std::isnan(log_softmax(all_masked, -1).get(0)));
}

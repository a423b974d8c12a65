// Sums over leading dims of a contiguous tensor (bias gradients) take their own CPU kernel,
// sum_columns; it must give the bits of the general path, which moves the dims last first.
#include <cstring>

#include "tests/test_util.h"

using namespace tt;

static bool same_bits(const Tensor& a, const Tensor& b) {
  Tensor ac = a.contiguous(), bc = b.contiguous();
  return ac.shape() == bc.shape() && ac.dtype() == bc.dtype() &&
         std::memcmp(ac.raw_data(), bc.raw_data(), ac.numel() * dtype_size(ac.dtype())) == 0;
}

TEST_CASE("sum: leading dims of a contiguous tensor give the general path's bits") {
  for (DType dtype : {DType::f32, DType::f64}) {
    INFO(dtype_name(dtype));
    Generator gen(11);
    // 300 columns: a full 256-column strip and a partial one; 37·41·300 elements: threaded.
    for (const Shape& shape : {Shape{37, 41, 300}, Shape{3, 5}, Shape{2, 3, 4, 7}}) {
      INFO(shape_str(shape));
      Tensor x = uniform(shape, -2.0, 3.0, dtype, gen);
      const int64_t n = x.dim();
      // The same sums through the general path: a permuted copy whose reduced dims come last.
      std::vector<int64_t> leading_last;
      for (int64_t d = 1; d < n; ++d) leading_last.push_back(d);
      leading_last.push_back(0);
      Tensor moved = x.permute(leading_last).contiguous();
      CHECK(same_bits(sum(x, {0}), sum(moved, {n - 1})));
      if (n > 2) {
        std::vector<int64_t> two_last;
        for (int64_t d = 2; d < n; ++d) two_last.push_back(d);
        two_last.push_back(0);
        two_last.push_back(1);
        Tensor moved2 = x.permute(two_last).contiguous();
        CHECK(same_bits(sum(x, {0, 1}, true).reshape(sum(moved2, {n - 2, n - 1}).shape()),
                        sum(moved2, {n - 2, n - 1})));
        CHECK(same_bits(mean(x, {1, 0}), mean(moved2, {n - 1, n - 2})));
      }
      // sum_to, as AddBackward calls it for a bias: every dim but the last
      std::vector<int64_t> last_first{n - 1};
      for (int64_t d = 0; d < n - 1; ++d) last_first.push_back(d);
      Tensor rows = x.permute(last_first).contiguous().reshape({shape.back(), x.numel() / shape.back()});
      CHECK(same_bits(sum_to(x, {shape.back()}), sum(rows, {1})));
    }
  }
}

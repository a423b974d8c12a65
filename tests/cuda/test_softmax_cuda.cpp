// softmax and log_softmax on CUDA against the CPU kernels: rows from 1 to 30522 values (warp
// rows up to 1024, block rows beyond; lengths that take the 16-byte vector path and lengths
// that do not), the softmax dim in the middle, non-contiguous inputs, -inf entries.
// Tolerances: docs/conventions.md's f32 1e-5 and f64 1e-12 relative (per-tensor floor the same fraction
// of the tensor's largest value).
#include <limits>

#include "tests/cuda/cuda_test_util.h"

using namespace tt;
using namespace tt::test;

namespace {

Tensor apply(const Tensor& x, int64_t dim, bool log) {
  return log ? log_softmax(x, dim) : softmax(x, dim);
}

}  // namespace

TEST_CASE("cuda softmax: rows of every length, forward and backward, f32 and f64") {
  TT_SKIP_WITHOUT_CUDA();
  const int64_t lengths[] = {1, 7, 32, 97, 128, 1000, 1024, 1025, 4099, 30522};
  for (DType dtype : {DType::f32, DType::f64}) {
    const double rel = default_rel(dtype);
    uint64_t seed = 1;
    for (int64_t n : lengths) {
      const int64_t rows = n > 2000 ? 5 : 37;
      for (bool log : {false, true}) {
        INFO(dtype_name(dtype), log ? " log_softmax" : " softmax", " rows ", rows, " x ", n);
        check_op_on_cuda([log](const std::vector<Tensor>& x) { return apply(x[0], -1, log); },
                         {{random_signed({rows, n}, dtype, seed++, 0.1, 4.0)}}, rel, rel);
      }
    }
  }
}

TEST_CASE("cuda softmax: over a middle or first dim, and on a transposed view") {
  TT_SKIP_WITHOUT_CUDA();
  auto transposed = [](const Tensor& t) { return t.transpose(0, 1); };
  for (DType dtype : {DType::f32, DType::f64}) {
    const double rel = default_rel(dtype);
    for (bool log : {false, true}) {
      INFO(dtype_name(dtype), log ? " log_softmax" : " softmax");
      check_op_on_cuda([log](const std::vector<Tensor>& x) { return apply(x[0], 1, log); },
                       {{random_signed({5, 97, 3}, dtype, 11, 0.1, 3.0)}}, rel, rel);
      check_op_on_cuda([log](const std::vector<Tensor>& x) { return apply(x[0], 0, log); },
                       {{random_signed({1000, 6}, dtype, 12, 0.1, 3.0)}}, rel, rel);
      check_op_on_cuda([log](const std::vector<Tensor>& x) { return apply(x[0], -1, log); },
                       {{random_signed({130, 33}, dtype, 13, 0.1, 3.0), transposed}}, rel, rel);
    }
  }
}

TEST_CASE("cuda softmax: -inf entries (a masked row) get probability 0") {
  TT_SKIP_WITHOUT_CUDA();
  // Both give exactly 0 there (the CPU's float exp returns 0 below -87.3, as the GPU's does).
  for (DType dtype : {DType::f32, DType::f64}) {
    const double rel = default_rel(dtype);
    Tensor x = random_signed({4, 97}, dtype, 21);
    for (int64_t j = 50; j < 97; ++j) x.set(1 * 97 + j, -std::numeric_limits<double>::infinity());
    x.set(2 * 97 + 3, -std::numeric_limits<double>::infinity());
    Tensor y_cpu = softmax(x, -1);
    Tensor y_cuda = softmax(x.to(Device::cuda()), -1);
    check_close(y_cuda, y_cpu, rel, rel);
    CHECK(y_cuda.to(Device::cpu()).get(1 * 97 + 60) == 0.0);
    CHECK(y_cpu.get(1 * 97 + 60) == 0.0);
    check_close(log_softmax(x.to(Device::cuda()), -1), log_softmax(x, -1), rel, rel);
  }
}

TEST_CASE("cuda softmax: a row of only -inf gives zeros and zero gradient, as on the CPU") {
  TT_SKIP_WITHOUT_CUDA();
  // Row lengths for the warp kernel (97, 128: the 16-byte path), the block kernel (2000), and
  // dim 0 for the lines kernel; row / column 1 is all -inf.
  const double inf = std::numeric_limits<double>::infinity();
  for (DType dtype : {DType::f32, DType::f64}) {
    for (int64_t n : {97, 128, 2000}) {
      for (int64_t dim : {1, 0}) {
        CAPTURE(dtype_name(dtype));
        CAPTURE(n);
        CAPTURE(dim);
        Tensor x = random_signed({3, n}, dtype, 23);
        if (dim == 1)
          for (int64_t j = 0; j < n; ++j) x.set(n + j, -inf);
        else
          for (int64_t i = 0; i < 3; ++i) x.set(i * n + 1, -inf);
        Tensor g = random_signed({3, n}, dtype, 24);
        Tensor xc = x.to(Device::cuda()).set_requires_grad(true);
        Tensor xl = x.clone().set_requires_grad(true);
        Tensor y_cuda = softmax(xc, dim), y_cpu = softmax(xl, dim);
        y_cuda.backward(g.to(Device::cuda()));
        y_cpu.backward(g);
        const double rel = default_rel(dtype);
        check_close(y_cuda, y_cpu, rel, rel);
        check_close(xc.grad(), xl.grad(), rel, rel * finite_max_abs(xl.grad()));
        const int64_t masked = dim == 1 ? n + 5 : 2 * n + 1;
        CHECK(y_cuda.to(Device::cpu()).get(masked) == 0.0);
        CHECK(xc.grad().to(Device::cpu()).get(masked) == 0.0);
      }
    }
  }
}

TEST_CASE("cuda softmax: the same bits on every run") {
  TT_SKIP_WITHOUT_CUDA();
  Tensor x = random_signed({64, 30522}, DType::f32, 31).to(Device::cuda());
  Tensor g = random_signed({64, 30522}, DType::f32, 32).to(Device::cuda());
  Tensor first, first_grad;
  for (int run = 0; run < 2; ++run) {
    Tensor leaf = x.detach().set_requires_grad(true);
    Tensor y = softmax(leaf, -1);
    y.backward(g);
    if (run == 0) {
      first = y.detach();
      first_grad = leaf.grad();
    } else {
      check_equal(y, first);
      check_equal(leaf.grad(), first_grad);
    }
  }
}

// Givens stages on CUDA against the CPU op: both directions, forward and both gradients, f32
// and f64, non-contiguous x, d from 2 to 4096 (one launch holds the row in shared memory);
// bit-identical block gradients on a second run (no atomics); a d too large for shared memory
// is a clear error; GOFT's angle blocks.
#include "tests/cuda/cuda_test_util.h"

using namespace tt;
using namespace tt::test;

namespace {

Tensor transposed(const Tensor& t) { return t.transpose(-1, -2); }

}  // namespace

TEST_CASE("cuda givens: givens_rotate and its adjoint match the CPU, forward and gradients") {
  TT_SKIP_WITHOUT_CUDA();
  for (DType dtype : {DType::f32, DType::f64}) {
    const double rel = default_rel(dtype);
    // d = 4096 in f64 needs 224 KiB of shared memory in the backward: an H100 has 227, an A100 163.
    for (int64_t d : {2, 3, 5, 64, 97, 384, 768, 4096}) {
      if (d == 4096 && dtype == DType::f64) continue;
      for (bool adjoint : {false, true}) {
        INFO(dtype_name(dtype), " d = ", d, adjoint ? " adjoint" : "");
        auto op = [adjoint](const std::vector<Tensor>& in) {
          return adjoint ? givens_rotate_adjoint(in[0], in[1]) : givens_rotate(in[0], in[1]);
        };
        // x [3, 37, d] as a transposed view (rows not contiguous); 111 rows span several chunks.
        check_op_on_cuda(op, {{random_signed({3, d, 37}, dtype, 1 + d), transposed},
                              {random_signed({d - 1, 2, 2}, dtype, 2 + d)}},
                         rel, rel);
      }
    }
  }
}

TEST_CASE("cuda givens: x-only gradients, GOFT's angle blocks, and d = 1") {
  TT_SKIP_WITHOUT_CUDA();
  for (DType dtype : {DType::f32, DType::f64}) {
    const double rel = default_rel(dtype);
    INFO(dtype_name(dtype));
    Tensor fixed = random_signed({95, 2, 2}, dtype, 3);
    check_op_on_cuda([&](const std::vector<Tensor>& in) { return givens_rotate(in[0], fixed.to(in[0].device())); },
                     {{random_signed({50, 96}, dtype, 4)}}, rel, rel);
    check_op_on_cuda([](const std::vector<Tensor>& in) { return givens_rotation_blocks(in[0]); },
                     {{random_signed({300}, dtype, 5, 0.05, 3.0)}}, rel, rel);
    check_op_on_cuda(
        [](const std::vector<Tensor>& in) { return givens_rotate(in[0], givens_rotation_blocks(in[1])); },
        {{random_signed({40, 64}, dtype, 6)}, {random_signed({63}, dtype, 7, 0.05, 3.0)}}, rel, rel);
    Tensor x1 = random_signed({7, 1}, dtype, 8);
    check_equal(givens_rotate(x1.to(Device::cuda()), zeros({0, 2, 2}, dtype).to(Device::cuda())), x1);
  }
}

TEST_CASE("cuda givens: block gradients are bit-identical run to run (fixed-order sums, no atomics)") {
  TT_SKIP_WITHOUT_CUDA();
  Tensor x = random_signed({2000, 768}, DType::f32, 9).to(Device::cuda());
  Tensor w = random_signed({2000, 768}, DType::f32, 10).to(Device::cuda());
  Tensor base = random_signed({767, 2, 2}, DType::f32, 11);
  auto grads = [&] {
    Tensor blocks = base.to(Device::cuda()).set_requires_grad(true);
    Tensor xs = x.detach().set_requires_grad(true);
    sum(mul(givens_rotate(xs, blocks), w)).backward();
    return std::pair{blocks.grad().to_vector<float>(), xs.grad().to_vector<float>()};
  };
  auto first = grads(), second = grads();
  CHECK(first.first == second.first);
  CHECK(first.second == second.second);
}

TEST_CASE("cuda givens: a row too long for shared memory is an error naming d and the limit") {
  TT_SKIP_WITHOUT_CUDA();
  const int64_t d = 1 << 16;  // forward needs 256 KiB in f32: past any device's per-block limit
  Tensor x = zeros({2, d}).to(Device::cuda());
  Tensor blocks = zeros({d - 1, 2, 2}).to(Device::cuda());
  check_error([&] { givens_rotate(x, blocks); }, {"givens_rotate", "d = 65536", "shared memory"});
}

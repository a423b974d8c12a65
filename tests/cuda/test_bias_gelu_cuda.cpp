// bias_gelu's fused CUDA kernels against its CPU definition gelu(add(x, bias)): BERT's
// shapes, odd column counts, 3-D and non-contiguous inputs, and 70000 rows (the bias gradient's
// row chunks). Tolerances: f32 1e-5, f64 1e-12 relative (per-tensor floor the same fraction
// of the tensor's largest value); the CPU's float erf is a polynomial within 1.5e-7 of erff.
#include "tests/cuda/cuda_test_util.h"

using namespace tt;
using namespace tt::test;

TEST_CASE("cuda bias_gelu: forward and backward against the CPU composite") {
  TT_SKIP_WITHOUT_CUDA();
  const Shape shapes[] = {{33, 97}, {256, 1536}, {3, 5, 1000}, {70000, 3}, {1, 1}};
  for (DType dtype : {DType::f32, DType::f64}) {
    const double rel = default_rel(dtype);
    uint64_t seed = 1;
    for (const Shape& shape : shapes) {
      INFO(dtype_name(dtype), " ", shape_str(shape));
      check_op_on_cuda([](const std::vector<Tensor>& x) { return bias_gelu(x[0], x[1]); },
                       {{random_signed(shape, dtype, seed++, 0.05, 4.0)},
                        {random_signed({shape.back()}, dtype, seed++, 0.05, 1.0)}},
                       rel, rel);
    }
    INFO(dtype_name(dtype), " transposed input");
    check_op_on_cuda([](const std::vector<Tensor>& x) { return bias_gelu(x[0], x[1]); },
                     {{random_signed({97, 40}, dtype, 50, 0.05, 4.0),
                       [](const Tensor& t) { return t.transpose(0, 1); }},
                      {random_signed({97}, dtype, 51)}},
                     rel, rel);
  }
}

TEST_CASE("cuda bias_gelu: the bias gradient has the same bits on every run") {
  TT_SKIP_WITHOUT_CUDA();
  Tensor x = random_signed({4096, 1536}, DType::f32, 61).to(Device::cuda());
  Tensor g = random_signed({4096, 1536}, DType::f32, 62).to(Device::cuda());
  Tensor b0 = random_signed({1536}, DType::f32, 63).to(Device::cuda());
  Tensor first;
  for (int run = 0; run < 2; ++run) {
    Tensor b = b0.detach().set_requires_grad(true);
    bias_gelu(x, b).backward(g);
    if (run == 0)
      first = b.grad();
    else
      check_equal(b.grad(), first);
  }
}

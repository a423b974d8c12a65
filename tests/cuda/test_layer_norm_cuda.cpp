// layer_norm and the fused add_layer_norm on CUDA against the CPU: rows of 1 to 4099 values
// (warp rows up to 1024, block rows beyond), optional weight and bias, non-contiguous inputs,
// and enough rows (70000) that the parameter gradients use chunks longer than the CPU's.
// add_layer_norm's CPU side is its definition, layer_norm(add(x, residual)).
// Tolerances: f32 1e-5, f64 1e-12 relative (per-tensor floor the same fraction of the
// tensor's largest value).
#include "tests/cuda/cuda_test_util.h"

using namespace tt;
using namespace tt::test;

TEST_CASE("cuda layer_norm: forward and backward against the CPU, f32 and f64") {
  TT_SKIP_WITHOUT_CUDA();
  const std::pair<int64_t, int64_t> shapes[] = {{9, 1},    {33, 7},   {64, 97},  {40, 384},
                                                {17, 1000}, {8, 1024}, {6, 1500}, {3, 4099},
                                                {70000, 8}};
  for (DType dtype : {DType::f32, DType::f64}) {
    const double rel = default_rel(dtype);
    uint64_t seed = 1;
    for (auto [rows, d] : shapes) {
      INFO(dtype_name(dtype), " rows ", rows, " x ", d);
      check_op_on_cuda(
          [](const std::vector<Tensor>& x) { return layer_norm(x[0], x[1], x[2], 1e-5); },
          {{random_signed({rows, d}, dtype, seed++, 0.2, 3.0)},
           {random_input({d}, dtype, seed++)},
           {random_signed({d}, dtype, seed++)}},
          rel, rel);
    }
    INFO(dtype_name(dtype), " no weight or bias, BERT's eps, 3-D transposed input");
    check_op_on_cuda(
        [](const std::vector<Tensor>& x) { return layer_norm(x[0], Tensor(), Tensor(), 1e-12); },
        {{random_signed({3, 50, 97}, dtype, 101), [](const Tensor& t) { return t.transpose(0, 1); }}},
        rel, rel);
  }
}

TEST_CASE("cuda add_layer_norm: the fused kernel against the CPU composite") {
  TT_SKIP_WITHOUT_CUDA();
  const std::pair<int64_t, int64_t> shapes[] = {{33, 7}, {64, 97}, {40, 384}, {6, 1500},
                                                {70000, 8}};
  for (DType dtype : {DType::f32, DType::f64}) {
    const double rel = default_rel(dtype);
    uint64_t seed = 200;
    for (auto [rows, d] : shapes) {
      INFO(dtype_name(dtype), " rows ", rows, " x ", d);
      check_op_on_cuda(
          [](const std::vector<Tensor>& x) {
            return add_layer_norm(x[0], x[1], x[2], x[3], 1e-12);
          },
          {{random_signed({rows, d}, dtype, seed++, 0.2, 3.0)},
           {random_signed({rows, d}, dtype, seed++, 0.2, 3.0)},
           {random_input({d}, dtype, seed++)},
           {random_signed({d}, dtype, seed++)}},
          rel, rel);
    }
    INFO(dtype_name(dtype), " non-contiguous residual, no weight or bias");
    check_op_on_cuda(
        [](const std::vector<Tensor>& x) { return add_layer_norm(x[0], x[1], Tensor(), Tensor()); },
        {{random_signed({20, 33}, dtype, 300)},
         {random_signed({33, 20}, dtype, 301), [](const Tensor& t) { return t.transpose(0, 1); }}},
        rel, rel);
  }
}

TEST_CASE("cuda layer_norm: the same bits on every run (parameter gradients without atomics)") {
  TT_SKIP_WITHOUT_CUDA();
  Tensor x = random_signed({4096, 384}, DType::f32, 41).to(Device::cuda());
  Tensor r = random_signed({4096, 384}, DType::f32, 42).to(Device::cuda());
  Tensor g = random_signed({4096, 384}, DType::f32, 43).to(Device::cuda());
  Tensor w0 = random_input({384}, DType::f32, 44).to(Device::cuda());
  Tensor b0 = random_signed({384}, DType::f32, 45).to(Device::cuda());
  std::vector<Tensor> first;
  for (int run = 0; run < 2; ++run) {
    Tensor w = w0.detach().set_requires_grad(true), b = b0.detach().set_requires_grad(true);
    Tensor xl = x.detach().set_requires_grad(true);
    add_layer_norm(xl, r, w, b, 1e-12).backward(g);
    std::vector<Tensor> got{xl.grad(), w.grad(), b.grad()};
    if (run == 0) {
      first = got;
    } else {
      for (size_t i = 0; i < got.size(); ++i) check_equal(got[i], first[i]);
    }
  }
}

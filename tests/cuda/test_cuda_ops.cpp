// Every op with a CUDA kernel (binary, unary, where/masked_fill, concat, reductions, dropout,
// mse_loss, view backward): forward and backward on fresh random inputs against the CPU op,
// with broadcasting and non-contiguous views. Tolerances: f64 1e-12, f32 1e-5 relative
// (per-tensor absolute floor the same fraction of the tensor's largest value), except where a
// case says why.
#include "tests/cuda/cuda_test_util.h"

using namespace tt;
using namespace tt::test;

namespace {

const DType kFloatTypes[] = {DType::f32, DType::f64};

Tensor transposed(const Tensor& t) { return t.transpose(-1, -2); }

}  // namespace

TEST_CASE("cuda ops: add sub mul div, same shape, broadcast, scalar, non-contiguous") {
  TT_SKIP_WITHOUT_CUDA();
  using BinaryFn = Tensor (*)(const Tensor&, const Tensor&);
  const std::pair<const char*, BinaryFn> ops[] = {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }}};
  for (DType dtype : kFloatTypes) {
    const double rel = default_rel(dtype);
    for (const auto& [name, fn] : ops) {
      INFO(name, " ", dtype_name(dtype));
      auto op = [fn](const std::vector<Tensor>& x) { return fn(x[0], x[1]); };
      // same shape
      check_op_on_cuda(op, {{random_signed({33, 65}, dtype, 1)}, {random_signed({33, 65}, dtype, 2)}},
                       rel, rel);
      // broadcasting both ways: [3, 1, 5] with [4, 5]
      check_op_on_cuda(op, {{random_signed({3, 1, 5}, dtype, 3)}, {random_signed({4, 5}, dtype, 4)}},
                       rel, rel);
      // a non-contiguous view against a broadcast row
      check_op_on_cuda(op, {{random_signed({40, 30}, dtype, 5), transposed}, {random_signed({40}, dtype, 6)}},
                       rel, rel);
      // a 0-d tensor operand
      check_op_on_cuda(op, {{random_signed({}, dtype, 7)}, {random_signed({6, 7}, dtype, 8)}}, rel, rel);
    }
    INFO("scalar forms ", dtype_name(dtype));
    check_op_on_cuda([](const std::vector<Tensor>& x) {
      return div(2.0, sub(mul(add(x[0], 1.5), 3.0), 0.25)) + div(x[0], 4.0) - sub(1.0, x[0]);
    }, {{random_input({17, 9}, dtype, 9)}}, rel, rel);
  }
  // integer add/sub/mul are exact
  Tensor a = from_vector(std::vector<int64_t>{1, -2, 3, 40000000000}, {4});
  Tensor b = from_vector(std::vector<int64_t>{5, 6, -7, 3}, {4});
  for (BinaryFn fn : {+[](const Tensor& x, const Tensor& y) { return add(x, y); },
                      +[](const Tensor& x, const Tensor& y) { return sub(x, y); },
                      +[](const Tensor& x, const Tensor& y) { return mul(x, y); }})
    check_equal(fn(a.to(Device::cuda()), b.to(Device::cuda())), fn(a, b));
  // f32 elementwise arithmetic is one IEEE operation per element: bit-exact.
  Tensor x = random_signed({1000}, DType::f32, 10), y = random_signed({1000}, DType::f32, 11);
  check_equal(div(x.to(Device::cuda()), y.to(Device::cuda())), div(x, y));
}

TEST_CASE("cuda ops: neg exp log sqrt pow tanh gelu relu, forward and backward") {
  TT_SKIP_WITHOUT_CUDA();
  using UnaryFn = std::function<Tensor(const Tensor&)>;
  const std::pair<const char*, UnaryFn> ops[] = {
      {"neg", [](const Tensor& x) { return neg(x); }},
      {"exp", [](const Tensor& x) { return exp(x); }},
      {"log", [](const Tensor& x) { return log(x); }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }},
      {"pow", [](const Tensor& x) { return pow(x, 2.7); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"relu", [](const Tensor& x) { return relu(x); }}};
  for (DType dtype : kFloatTypes) {
    for (const auto& [name, fn] : ops) {
      INFO(name, " ", dtype_name(dtype));
      const bool positive_only = std::string(name) == "log" || std::string(name) == "sqrt" ||
                                 std::string(name) == "pow";
      auto input = [&](const Shape& shape, uint64_t seed) {
        return positive_only ? random_input(shape, dtype, seed, 0.2, 3.0)
                             : random_signed(shape, dtype, seed, 0.05, 3.0);
      };
      double rel = default_rel(dtype), abs_scale = rel;
      // f32 gelu: the CPU's erf is Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7 absolute,
      // core/ops/fast_math.h), CUDA's erff is within 2 ulp; where gelu and its derivative
      // are tiny (x < -2) that absolute error is a large relative one. Bound it absolutely.
      if (dtype == DType::f32 && std::string(name) == "gelu") abs_scale = 1e-6;
      auto op = [fn = fn](const std::vector<Tensor>& x) { return fn(x[0]); };
      check_op_on_cuda(op, {{input({1000, 37}, 20)}}, rel, abs_scale);
      check_op_on_cuda(op, {{input({24, 16}, 21), transposed}}, rel, abs_scale);
    }
  }
  // neg of integers
  Tensor i = from_vector(std::vector<int64_t>{3, -4, 0, 9000000000}, {4});
  check_equal(neg(i.to(Device::cuda())), neg(i));
}

TEST_CASE("cuda ops: where and masked_fill with broadcasting") {
  TT_SKIP_WITHOUT_CUDA();
  Tensor cond = bernoulli({4, 1}, 0.5, DType::f32);
  REQUIRE(cond.to_vector<float>() != std::vector<float>(4, cond.get(0)));  // both branches taken
  for (DType dtype : kFloatTypes) {
    INFO(dtype_name(dtype));
    const double rel = default_rel(dtype);
    check_op_on_cuda([](const std::vector<Tensor>& x) { return where(x[0], x[1], x[2]); },
                     {{cond, {}, false},
                      {random_signed({3, 4, 5}, dtype, 30)},
                      {random_signed({5}, dtype, 31)}},
                     rel, rel);
    // integer condition, non-contiguous a
    Tensor icond = bernoulli({6, 8}, 0.5, DType::f64).to(DType::i64);
    check_op_on_cuda([](const std::vector<Tensor>& x) { return where(x[0], x[1], x[2]); },
                     {{icond, {}, false},
                      {random_signed({8, 6}, dtype, 32), transposed},
                      {random_signed({6, 8}, dtype, 33)}},
                     rel, rel);
    Tensor mask = bernoulli({1, 9}, 0.4, DType::f32);
    check_op_on_cuda([](const std::vector<Tensor>& x) { return masked_fill(x[0], x[1], -1e4); },
                     {{random_signed({7, 9}, dtype, 34)}, {mask, {}, false}}, rel, rel);
  }
}

TEST_CASE("cuda ops: concat along each dim, with a non-contiguous input") {
  TT_SKIP_WITHOUT_CUDA();
  for (DType dtype : kFloatTypes) {
    for (int64_t dim : {0, 1, 2}) {
      INFO(dtype_name(dtype), " dim ", dim);
      Shape s0 = {2, 3, 4}, s1 = {2, 3, 4}, s2 = {2, 3, 4};
      s1[dim] = 5;
      s2[dim] = 1;
      Shape s2t = s2;  // stored transposed in its last two dims
      std::swap(s2t[1], s2t[2]);
      check_op_on_cuda(
          [dim](const std::vector<Tensor>& x) { return concat(x, dim); },
          {{random_signed(s0, dtype, 40)}, {random_signed(s1, dtype, 41)},
           {random_signed(s2t, dtype, 42), transposed}},
          0.0, 0.0);  // copies only: exact
    }
  }
}

TEST_CASE("cuda ops: sum and mean over dims, every kernel layout") {
  TT_SKIP_WITHOUT_CUDA();
  for (DType dtype : kFloatTypes) {
    const double rel = default_rel(dtype);
    INFO(dtype_name(dtype));
    struct Case {
      Shape shape;
      std::vector<int64_t> dims;
      bool keepdim;
    };
    // [rows, cols] after moving reduced dims last: warp per row (cols <= 1024), block per row,
    // and the two-pass split of a few long rows (cols > 32768 with fewer than 264 rows).
    const Case cases[] = {{{1000, 40}, {1}, false},   {{300, 2000}, {-1}, true},
                          {{2, 100003}, {1}, false},  {{100003}, {}, false},
                          {{5, 6, 7}, {0, 2}, true},  {{5, 6, 7}, {1}, false},
                          {{4, 3}, {0}, false},       {{}, {}, false}};
    for (const Case& c : cases) {
      INFO("shape ", shape_str(c.shape), " dims ", c.dims.size());
      auto s = [c](const std::vector<Tensor>& x) { return sum(x[0], c.dims, c.keepdim); };
      auto m = [c](const std::vector<Tensor>& x) { return mean(x[0], c.dims, c.keepdim); };
      check_op_on_cuda(s, {{random_signed(c.shape, dtype, 50)}}, rel, rel);
      check_op_on_cuda(m, {{random_signed(c.shape, dtype, 51)}}, rel, rel);
    }
    // a non-contiguous input
    check_op_on_cuda([](const std::vector<Tensor>& x) { return sum(x[0], {0}); },
                     {{random_signed({50, 70}, dtype, 52), transposed}}, rel, rel);
    check_op_on_cuda([](const std::vector<Tensor>& x) { return sum(x[0]); },
                     {{random_signed({3, 5}, dtype, 53)}}, rel, rel);
    // sum_to: the adjoint of broadcasting
    check_op_on_cuda([](const std::vector<Tensor>& x) { return sum_to(x[0], {4, 1}); },
                     {{random_signed({3, 4, 6}, dtype, 54)}}, rel, rel);
    check_op_on_cuda([](const std::vector<Tensor>& x) { return sum_to(x[0], {6}); },
                     {{random_signed({6, 3}, dtype, 55), transposed}}, rel, rel);
  }
}

TEST_CASE("cuda ops: a sum is the same bits on every run (no atomics)") {
  TT_SKIP_WITHOUT_CUDA();
  Tensor x = random_signed({3, 200003}, DType::f32, 56).to(Device::cuda());
  const std::vector<float> first = sum(x, {1}).to_vector<float>();
  for (int run = 0; run < 3; ++run) CHECK(sum(x, {1}).to_vector<float>() == first);
}

TEST_CASE("cuda ops: max and argmax along a dim") {
  TT_SKIP_WITHOUT_CUDA();
  for (DType dtype : kFloatTypes) {
    INFO(dtype_name(dtype));
    for (int64_t dim : {0, 1, -1}) {
      for (bool keepdim : {false, true}) {
        INFO("dim ", dim, " keepdim ", keepdim);
        // max picks one element: exact on both devices
        check_op_on_cuda([=](const std::vector<Tensor>& x) { return max(x[0], dim, keepdim); },
                         {{random_signed({6, 1000, 3}, dtype, 60)}}, 0.0, 0.0);
        check_op_on_cuda([=](const std::vector<Tensor>& x) { return argmax(x[0], dim, keepdim); },
                         {{random_signed({6, 1000, 3}, dtype, 61), {}, false}}, 0.0, 0.0);
      }
    }
    // the last dim (a warp per row), long rows, non-contiguous
    check_op_on_cuda([](const std::vector<Tensor>& x) { return max(x[0], -1); },
                     {{random_signed({4000, 7}, dtype, 62), transposed}}, 0.0, 0.0);
    check_op_on_cuda([](const std::vector<Tensor>& x) { return argmax(x[0], 1); },
                     {{random_signed({3, 30522}, dtype, 63), {}, false}}, 0.0, 0.0);
  }
  // ties go to the first index, NaN wins (as on the CPU), integers too
  Tensor ties = from_vector(std::vector<double>{1, 3, 3, 2, 5, 5, 5, 0, 4, NAN, 9, NAN}, {3, 4});
  check_equal(argmax(ties.to(Device::cuda()), 1), argmax(ties, 1));
  check_equal(argmax(ties.to(Device::cuda()), 0), argmax(ties, 0));
  Tensor ints = from_vector(std::vector<int64_t>{4, 9, 9, -1, 7, 9}, {2, 3});
  check_equal(max(ints.to(Device::cuda()), 1), max(ints, 1));
  check_equal(argmax(ints.to(Device::cuda()), 0), argmax(ints, 0));
}

TEST_CASE("cuda ops: dropout equals the CPU dropout bit for bit, forward and backward") {
  TT_SKIP_WITHOUT_CUDA();
  for (DType dtype : kFloatTypes) {
    for (double p : {0.1, 0.5}) {
      INFO(dtype_name(dtype), " p ", p);
      Generator cpu_gen(21), cuda_gen(21);
      check_op_on_cuda(
          [&](const std::vector<Tensor>& x) {
            Generator& gen = x[0].device().is_cpu() ? cpu_gen : cuda_gen;
            return dropout(x[0], p, true, gen);
          },
          {{random_signed({37, 41}, dtype, 70), transposed}}, 0.0, 0.0);
      CHECK(cpu_gen.offset() == cuda_gen.offset());
    }
  }
  // eval mode and p = 0 are the identity; p = 1 zeroes
  Tensor x = random_signed({5, 5}, DType::f32, 71).to(Device::cuda());
  CHECK(dropout(x, 0.5, false).impl_ptr() == x.impl_ptr());
  check_equal(dropout(x, 1.0, true), zeros({5, 5}));
}

TEST_CASE("cuda ops: mse_loss") {
  TT_SKIP_WITHOUT_CUDA();
  for (DType dtype : kFloatTypes) {
    const double rel = default_rel(dtype);
    check_op_on_cuda([](const std::vector<Tensor>& x) { return mse_loss(x[0], x[1]); },
                     {{random_signed({64, 10}, dtype, 80)}, {random_signed({10, 64}, dtype, 81), transposed}},
                     rel, rel);
  }
}

TEST_CASE("cuda ops: view backward (narrow, expand, permute, reshape of a view)") {
  TT_SKIP_WITHOUT_CUDA();
  for (DType dtype : kFloatTypes) {
    const double rel = default_rel(dtype);
    INFO(dtype_name(dtype));
    check_op_on_cuda([](const std::vector<Tensor>& x) { return exp(x[0].narrow(1, 2, 3)); },
                     {{random_signed({4, 7}, dtype, 90)}}, rel, rel);
    check_op_on_cuda([](const std::vector<Tensor>& x) { return mul(x[0].expand({5, 3, 4}), 2.0); },
                     {{random_signed({3, 1}, dtype, 91)}}, rel, rel);
    check_op_on_cuda(
        [](const std::vector<Tensor>& x) { return tanh(x[0].permute({2, 0, 1}).reshape({4, 6})); },
        {{random_signed({2, 3, 4}, dtype, 92)}}, rel, rel);
  }
}

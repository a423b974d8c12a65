// Bad input: every op throws tt::Error whose message names the op and the offending shapes,
// dtype or dim. Each case asserts on the message text, so a vague message fails the test.
#include "tests/test_util.h"

using namespace tt;
using tt::test::check_error;

TEST_CASE("errors: shapes that do not broadcast name the op and both shapes") {
  check_error([] { add(ones({2, 3}), ones({4})); }, {"add", "[2, 3]", "[4]", "broadcast"});
  check_error([] { mul(ones({2, 3}), ones({3, 2})); }, {"mul", "[2, 3]", "[3, 2]"});
  check_error([] { where(ones({2}), ones({3}), ones({3})); }, {"where", "[2]", "[3]"});
  check_error([] { masked_fill(ones({2}), ones({3, 2}), 0); }, {"masked_fill", "[3, 2]", "[2]"});
}

TEST_CASE("errors: matmul with mismatched inner dims names both shapes") {
  check_error([] { matmul(ones({2, 3}), ones({4, 5})); }, {"matmul", "[2, 3]", "[4, 5]"});
  check_error([] { matmul(ones({2, 2, 3}), ones({3, 3, 1})); }, {"matmul", "[2]", "[3]"});
  check_error([] { matmul(ones({}), ones({3})); }, {"matmul", "at least 1 dim"});
}

TEST_CASE("errors: wrong dtypes") {
  check_error([] { add(ones({2}), ones({2}, DType::f64)); }, {"add", "f32", "f64", "[2]"});
  check_error([] { exp(ones({2}, DType::i64)); }, {"exp", "i64", "[2]"});
  check_error([] { matmul(ones({2, 2}, DType::i32), ones({2, 2}, DType::i32)); },
              {"matmul", "i32"});
  check_error([] { embedding(ones({4, 2}), ones({3})); }, {"embedding", "indices", "f32"});
  check_error([] { cross_entropy(ones({2, 3}), ones({2})); }, {"cross_entropy", "target", "f32"});
  check_error([] { ones({2}).data<double>(); }, {"f64", "f32"});
  check_error([] { div(ones({2}, DType::i64), zeros({2}, DType::i64)); }, {"div", "i64", "[2]"});
  check_error([] { layer_norm(ones({2, 3}), ones({3}, DType::f64), Tensor()); },
              {"layer_norm", "weight", "f64", "f32"});
}

TEST_CASE("errors: out-of-range dims name the op, the dim and the rank") {
  check_error([] { sum(ones({2, 3}), {2}); }, {"sum", "dim 2", "2 dims"});
  check_error([] { softmax(ones({2, 3}), -3); }, {"softmax", "dim -3"});
  check_error([] { max(ones({2}), 1); }, {"max", "dim 1"});
  check_error([] { ones({2, 3}).transpose(0, 5); }, {"transpose", "dim 5"});
  check_error([] { ones({2, 3}).narrow(1, 2, 2); }, {"narrow", "out of bounds", "[2, 3]"});
  check_error([] { concat({ones({2, 3})}, 2); }, {"concat", "dim 2"});
  check_error([] { ones({2}).size(3); }, {"size", "dim 3"});
}

TEST_CASE("errors: shape mismatches in reshape, expand, concat, layer_norm, losses") {
  check_error([] { ones({2, 3}).reshape({4, 2}); }, {"reshape", "[2, 3]", "[4, 2]"});
  check_error([] { ones({2, 3}).view({-1, -1}); }, {"view", "-1"});
  check_error([] { ones({2, 3}).expand({2, 4}); }, {"expand", "[2, 3]", "[2, 4]"});
  check_error([] { concat({ones({2, 3}), ones({3, 3})}, 1); }, {"concat", "[3, 3]", "[2, 3]"});
  check_error([] { layer_norm(ones({2, 3}), ones({4}), Tensor()); },
              {"layer_norm", "weight", "[4]", "[2, 3]"});
  check_error([] { mse_loss(ones({3}), ones({3, 1})); }, {"mse_loss", "[3]", "[3, 1]"});
  check_error([] { cross_entropy(ones({2, 3}), from_vector(std::vector<int64_t>{0}, {1})); },
              {"cross_entropy", "[1]", "[2, 3]"});
  check_error([] { ones({2, 3}).permute({0, 0}); }, {"permute", "repeated"});
}

TEST_CASE("errors: index values out of range") {
  check_error([] { embedding(ones({4, 2}), from_vector(std::vector<int64_t>{1, 4}, {2})); },
              {"embedding", "index 4", "[0, 4)", "[4, 2]"});
  check_error([] { cross_entropy(ones({2, 3}), from_vector(std::vector<int64_t>{0, 3}, {2})); },
              {"cross_entropy", "target 3", "row 1", "[0, 3)"});
  check_error([] { ones({2, 2}).get(4); }, {"index 4", "[2, 2]"});
  check_error([] { ones({2}).item(); }, {"item", "[2]"});
}

TEST_CASE("errors: backward of a non-scalar without a gradient names the shape") {
  Tensor x = ones({2, 3}).set_requires_grad(true);
  Tensor y = mul(x, 2.0);
  check_error([&] { y.backward(); }, {"backward", "[2, 3]", "pass the gradient"});
  check_error([&] { y.backward(ones({3, 2})); }, {"backward", "[3, 2]", "[2, 3]"});
  check_error([] { sum(ones({2})).backward(); }, {"backward", "does not require grad"});
}

TEST_CASE("errors: invalid arguments of creation and random functions") {
  check_error([] { empty({2, -1}); }, {"empty", "negative", "[2, -1]"});
  check_error([] { arange(0, 1, 0); }, {"arange", "step"});
  check_error([] { bernoulli({2}, 1.5); }, {"bernoulli", "1.5"});
  check_error([] { dropout(ones({2}), -0.1, true); }, {"dropout", "-0.1"});
  check_error([] { from_vector(std::vector<double>{1, 2, 3}, {2, 2}); },
              {"from_vector", "3 values", "[2, 2]"});
  check_error([] { Tensor().shape(); }, {"undefined"});
}

// Float64 central-difference gradient checks of every op: random shapes, broadcasting and
// non-contiguous inputs. One TEST_CASE per op family; each asserts gradcheck(...).ok.
#include "tests/test_util.h"

using namespace tt;
using tt::test::broadcast_partner;
using tt::test::leaf;
using tt::test::leaf_away_from_zero;
using tt::test::random_shape;
using tt::test::strided_leaf;
using Inputs = std::vector<Tensor>;

TEST_CASE("gradcheck: add/sub/mul/div with broadcasting on random shapes") {
  std::mt19937 rng(1);
  for (int trial = 0; trial < 4; ++trial) {
    Shape sa = random_shape(rng, 3);
    Shape sb = broadcast_partner(rng, sa);
    CAPTURE(shape_str(sa));
    CAPTURE(shape_str(sb));
    Tensor a = leaf(sa, 10 + trial), b = leaf_away_from_zero(sb, 20 + trial);
    CHECK_GRADCHECK([](const Inputs& x) { return add(x[0], x[1]); }, {a, b});
    CHECK_GRADCHECK([](const Inputs& x) { return sub(x[0], x[1]); }, {a, b});
    CHECK_GRADCHECK([](const Inputs& x) { return mul(x[0], x[1]); }, {a, b});
    CHECK_GRADCHECK([](const Inputs& x) { return div(x[0], x[1]); }, {a, b});
    // And with the broadcast on the other side.
    CHECK_GRADCHECK([](const Inputs& x) { return div(x[1], x[0]); },
                    {leaf_away_from_zero(sa, 30 + trial), leaf(sb, 40 + trial)});
  }
}

TEST_CASE("gradcheck: binary ops on non-contiguous inputs and scalars") {
  Tensor a = strided_leaf({3, 4}, 1), b = strided_leaf({3, 4}, 2);
  Tensor c = leaf_away_from_zero({3, 4}, 3);
  CHECK_GRADCHECK([](const Inputs& x) { return mul(x[0], x[1]); }, {a, b});
  CHECK_GRADCHECK([](const Inputs& x) { return div(x[0], x[1]); }, {a, c});
  CHECK_GRADCHECK([](const Inputs& x) { return add(mul(x[0], 2.5), 1.0); }, {a});
  CHECK_GRADCHECK([](const Inputs& x) { return sub(3.0, x[0]); }, {a});
  CHECK_GRADCHECK([](const Inputs& x) { return div(2.0, x[0]); }, {c});
  CHECK_GRADCHECK([](const Inputs& x) { return div(x[0], 4.0); }, {a});
}

TEST_CASE("gradcheck: unary ops") {
  std::mt19937 rng(2);
  Shape shape = random_shape(rng, 3, 2, 4);
  CAPTURE(shape_str(shape));
  Tensor any = leaf(shape, 1, -2.0, 2.0);
  Tensor positive = leaf(shape, 2, 0.3, 2.0);
  Tensor apart = leaf_away_from_zero(shape, 3);
  CHECK_GRADCHECK([](const Inputs& x) { return neg(x[0]); }, {any});
  CHECK_GRADCHECK([](const Inputs& x) { return exp(x[0]); }, {any});
  CHECK_GRADCHECK([](const Inputs& x) { return log(x[0]); }, {positive});
  CHECK_GRADCHECK([](const Inputs& x) { return sqrt(x[0]); }, {positive});
  CHECK_GRADCHECK([](const Inputs& x) { return pow(x[0], 2.5); }, {positive});
  CHECK_GRADCHECK([](const Inputs& x) { return pow(x[0], 3.0); }, {any});
  CHECK_GRADCHECK([](const Inputs& x) { return tanh(x[0]); }, {any});
  CHECK_GRADCHECK([](const Inputs& x) { return gelu(x[0]); }, {any});
  CHECK_GRADCHECK([](const Inputs& x) { return relu(x[0]); }, {apart});
  // Non-contiguous input.
  Tensor strided = strided_leaf({4, 3}, 4, -2.0, 2.0);
  CHECK_GRADCHECK([](const Inputs& x) { return gelu(x[0]); }, {strided});
  CHECK_GRADCHECK([](const Inputs& x) { return tanh(x[0]); }, {strided});
}

TEST_CASE("gradcheck: sum, mean and max over dims") {
  std::mt19937 rng(3);
  Shape shape = random_shape(rng, 3, 2, 4);
  CAPTURE(shape_str(shape));
  Tensor x = leaf(shape, 5);
  Tensor s = strided_leaf({3, 5}, 6);
  CHECK_GRADCHECK([](const Inputs& v) { return sum(v[0]); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return sum(v[0], {1}); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return sum(v[0], {0, 2}, true); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return sum(v[0], {-1}); }, {s});
  CHECK_GRADCHECK([](const Inputs& v) { return mean(v[0]); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return mean(v[0], {2}, true); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return mean(v[0], {0}); }, {s});
  CHECK_GRADCHECK([](const Inputs& v) { return max(v[0], 1); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return max(v[0], -1, true); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return max(v[0], 0); }, {s});
}

TEST_CASE("gradcheck: softmax and log_softmax") {
  Tensor x = leaf({2, 3, 4}, 7, -2.0, 2.0);
  Tensor s = strided_leaf({3, 5}, 8, -2.0, 2.0);
  for (int64_t dim : {0, 1, 2, -1}) {
    CAPTURE(dim);
    CHECK_GRADCHECK([dim](const Inputs& v) { return softmax(v[0], dim); }, {x});
    CHECK_GRADCHECK([dim](const Inputs& v) { return log_softmax(v[0], dim); }, {x});
  }
  CHECK_GRADCHECK([](const Inputs& v) { return softmax(v[0], -1); }, {s});
  CHECK_GRADCHECK([](const Inputs& v) { return log_softmax(v[0], 0); }, {s});
}

TEST_CASE("gradcheck: layer_norm") {
  Tensor x = leaf({2, 3, 5}, 9, -2.0, 2.0);
  Tensor w = leaf({5}, 10, 0.5, 1.5), b = leaf({5}, 11);
  CHECK_GRADCHECK([](const Inputs& v) { return layer_norm(v[0], v[1], v[2], 1e-5); }, {x, w, b});
  CHECK_GRADCHECK([](const Inputs& v) { return layer_norm(v[0], Tensor(), Tensor(), 1e-12); },
                  {x});
  Tensor s = strided_leaf({4, 6}, 12, -2.0, 2.0);
  Tensor w6 = leaf({6}, 13), b6 = leaf({6}, 14);
  CHECK_GRADCHECK([](const Inputs& v) { return layer_norm(v[0], v[1], v[2], 1e-5); }, {s, w6, b6});
  // Many rows: the weight/bias gradients are summed over several row chunks.
  Tensor tall = leaf({150, 3}, 15);
  Tensor w3 = leaf({3}, 16), b3 = leaf({3}, 17);
  CHECK_GRADCHECK([](const Inputs& v) { return layer_norm(v[0], v[1], v[2], 1e-5); },
                  {tall.detach(), w3, b3});
}

TEST_CASE("gradcheck: embedding (repeated indices scatter-add)") {
  Tensor weight = leaf({6, 4}, 18);
  Tensor indices = from_vector(std::vector<int64_t>{1, 4, 1, 0, 5, 4}, {2, 3});
  CHECK_GRADCHECK([&](const Inputs& v) { return embedding(v[0], indices); }, {weight});
  Tensor indices32 = from_vector(std::vector<double>{3, 3, 2}, {3}, DType::i32);
  CHECK_GRADCHECK([&](const Inputs& v) { return embedding(v[0], indices32); }, {weight});
}

TEST_CASE("gradcheck: dropout with a fixed generator") {
  Tensor x = leaf({4, 5}, 19);
  CHECK_GRADCHECK(
      [](const Inputs& v) {
        Generator gen(99);  // the same mask at every evaluation
        return dropout(v[0], 0.3, true, gen);
      },
      {x});
  Tensor s = strided_leaf({4, 5}, 20);
  CHECK_GRADCHECK(
      [](const Inputs& v) {
        Generator gen(7);
        return dropout(v[0], 0.5, true, gen);
      },
      {s});
}

TEST_CASE("gradcheck: cross_entropy with ignored rows, and mse_loss") {
  Tensor logits = leaf({5, 4}, 21, -2.0, 2.0);
  Tensor target = from_vector(std::vector<int64_t>{2, -100, 0, 3, -100}, {5});
  CHECK_GRADCHECK([&](const Inputs& v) { return cross_entropy(v[0], target); }, {logits});
  Tensor strided_logits = strided_leaf({3, 6}, 22, -2.0, 2.0);
  Tensor target2 = from_vector(std::vector<int64_t>{5, 0, 1}, {3});
  CHECK_GRADCHECK([&](const Inputs& v) { return cross_entropy(v[0], target2, 5); },
                  {strided_logits});
  Tensor a = leaf({3, 4}, 23), b = strided_leaf({3, 4}, 24);
  CHECK_GRADCHECK([](const Inputs& v) { return mse_loss(v[0], v[1]); }, {a, b});
}

TEST_CASE("gradcheck: concat") {
  Tensor a = leaf({2, 3}, 25), b = leaf({2, 1}, 26), c = strided_leaf({2, 4}, 27);
  CHECK_GRADCHECK([](const Inputs& v) { return concat(v, 1); }, {a, b, c});
  Tensor d = leaf({1, 3}, 28);
  CHECK_GRADCHECK([](const Inputs& v) { return concat({v[0], v[1]}, 0); }, {a, d});
}

TEST_CASE("gradcheck: where and masked_fill with broadcasting") {
  Tensor cond = from_vector(std::vector<int64_t>{1, 0, 0, 1}, {1, 4});
  Tensor a = leaf({3, 4}, 29), b = leaf({3, 1}, 30);
  CHECK_GRADCHECK([&](const Inputs& v) { return where(cond, v[0], v[1]); }, {a, b});
  Tensor mask = from_vector(std::vector<double>{0, 1, 0}, {3, 1}, DType::f64);
  Tensor s = strided_leaf({3, 4}, 31);
  CHECK_GRADCHECK([&](const Inputs& v) { return masked_fill(v[0], mask, -5.0); }, {s});
}

TEST_CASE("gradcheck: matmul, 2-D, batched with broadcast batch dims, vectors, transposes") {
  std::mt19937 rng(4);
  Shape mnk = random_shape(rng, 3, 1, 5);
  const int64_t M = mnk[0], N = mnk[1], K = mnk[2];
  CAPTURE(shape_str(mnk));
  CHECK_GRADCHECK([](const Inputs& v) { return matmul(v[0], v[1]); },
                  {leaf({M, K}, 32), leaf({K, N}, 33)});
  CHECK_GRADCHECK([](const Inputs& v) { return matmul(v[0], v[1]); },
                  {leaf({2, 1, M, K}, 34), leaf({3, K, N}, 35)});
  CHECK_GRADCHECK([](const Inputs& v) { return matmul(v[0], v[1]); },
                  {strided_leaf({M, K}, 36), strided_leaf({K, N}, 37)});
  CHECK_GRADCHECK([](const Inputs& v) { return matmul(v[0], v[1]); },  // Linear-layer path
                  {leaf({2, 3, K}, 38), strided_leaf({K, N}, 39)});
  CHECK_GRADCHECK([](const Inputs& v) { return matmul(v[0], v[1]); },
                  {leaf({K}, 40), leaf({2, K, N}, 41)});
  CHECK_GRADCHECK([](const Inputs& v) { return matmul(v[0], v[1]); },
                  {leaf({M, K}, 42), leaf({K}, 43)});
  // A narrowed (row-strided) operand, as attention heads slice a fused projection.
  Tensor wide = leaf({M, 2 * K}, 44);
  CHECK_GRADCHECK([](const Inputs& v) { return matmul(v[0].narrow(1, 1, v[1].size(0)), v[1]); },
                  {wide, leaf({K, N}, 45)});
}

TEST_CASE("gradcheck: view ops") {
  Tensor x = leaf({2, 3, 4}, 46);
  CHECK_GRADCHECK([](const Inputs& v) { return v[0].reshape({6, 4}); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return v[0].view({4, -1}); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return v[0].permute({2, 0, 1}); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return v[0].transpose(0, 2).reshape({-1}); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return v[0].narrow(1, 1, 2); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return v[0].unsqueeze(1).expand({2, 5, 3, 4}); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return v[0].unsqueeze(-1).squeeze(-1); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return v[0].narrow(0, 1, 1).squeeze(); }, {x});
  CHECK_GRADCHECK([](const Inputs& v) { return v[0].contiguous(); }, {strided_leaf({3, 4}, 47)});
  CHECK_GRADCHECK([](const Inputs& v) { return v[0].clone(); }, {x});
}

TEST_CASE("gradcheck: a composite attention-like chain reusing a tensor") {
  Tensor x = leaf({2, 3, 4}, 48), w = leaf({4, 4}, 49);
  Tensor mask = from_vector(std::vector<double>{1, 1, 0}, {1, 1, 3}, DType::f64);
  CHECK_GRADCHECK(
      [&](const Inputs& v) {
        Tensor q = matmul(v[0], v[1]);
        Tensor scores = div(matmul(q, v[0].transpose(-1, -2)), 2.0);
        Tensor p = softmax(masked_fill(scores, sub(1.0, mask), -1e4), -1);
        return layer_norm(add(matmul(p, v[0]), v[0]), Tensor(), Tensor(), 1e-12);
      },
      {x, w});
}

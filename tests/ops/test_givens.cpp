// Givens stages (core/ops/givens): the v1 butterfly schedule, both directions against a dense R
// built here from docs/families.md §4.1 in float64, orthogonality for rotation blocks, float64
// gradchecks (non-contiguous x), thread-count independence of the block gradients, bad inputs.
#include <omp.h>

#include <cmath>

#include "tests/test_util.h"

using namespace tt;
using Inputs = std::vector<Tensor>;

namespace {

const int64_t kDims[] = {2, 3, 5, 8, 64, 96, 384};

// Dense R = P_L ⋯ P_1 (row-major d×d), written from docs/families.md §4.1 independently of the op:
// stride t = 2^{s−1}, c_1 = d, c_{s+1} = ⌈c_s/2⌉, pairs (2t·k, 2t·k + t) for k < ⌊c_s/2⌋, the
// block [[g00, g01], [g10, g11]] at (i,i), (i,j), (j,i), (j,j) of P_s; blocks consumed stage-major.
std::vector<double> dense_r(int64_t d, const std::vector<double>& g) {
  std::vector<double> r(d * d, 0.0);
  for (int64_t i = 0; i < d; ++i) r[i * d + i] = 1.0;
  int64_t live = d, t = 1, next = 0;
  while (live > 1) {
    std::vector<double> p(d * d, 0.0);
    for (int64_t i = 0; i < d; ++i) p[i * d + i] = 1.0;
    for (int64_t k = 0; k < live / 2; ++k, ++next) {
      const int64_t i = 2 * t * k, j = i + t;
      p[i * d + i] = g[4 * next];
      p[i * d + j] = g[4 * next + 1];
      p[j * d + i] = g[4 * next + 2];
      p[j * d + j] = g[4 * next + 3];
    }
    std::vector<double> pr(d * d, 0.0);  // P_s · (P_{s−1} ⋯ P_1)
    for (int64_t a = 0; a < d; ++a)
      for (int64_t c = 0; c < d; ++c)
        if (p[a * d + c] != 0.0)
          for (int64_t b = 0; b < d; ++b) pr[a * d + b] += p[a * d + c] * r[c * d + b];
    r.swap(pr);
    live = (live + 1) / 2;
    t *= 2;
  }
  REQUIRE(next == d - 1);
  return r;
}

// Row form of the column maps: rows of X times M (M row-major d×d), or times Mᵀ.
std::vector<double> rows_times(const std::vector<double>& x, int64_t d, const std::vector<double>& m,
                               bool transpose_m) {
  const int64_t rows = static_cast<int64_t>(x.size()) / d;
  std::vector<double> y(x.size(), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < d; ++c) {
      double s = 0;
      for (int64_t k = 0; k < d; ++k) s += x[r * d + k] * (transpose_m ? m[c * d + k] : m[k * d + c]);
      y[r * d + c] = s;
    }
  return y;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

Tensor random_angles(int64_t n, uint64_t seed) {
  Generator gen(seed);
  return uniform({n}, -M_PI, M_PI, DType::f64, gen);
}

}  // namespace

TEST_CASE("givens: the v1 schedule has d - 1 pairs in ceil(log2 d) stages, disjoint within a stage") {
  for (int64_t d = 1; d <= 1100; ++d) {
    CAPTURE(d);
    const auto stages = givens_schedule(d);
    CHECK(static_cast<int64_t>(stages.size()) == static_cast<int64_t>(std::ceil(std::log2(static_cast<double>(d)))));
    int64_t total = 0, live = d;
    for (size_t s = 0; s < stages.size(); ++s) {
      CHECK(stages[s].stride == (int64_t{1} << s));
      CHECK(stages[s].pairs == live / 2);
      CHECK(stages[s].first_pair == total);
      // Every coordinate a stage touches is inside the row and touched once.
      std::vector<int> touched(d, 0);
      for (int64_t k = 0; k < stages[s].pairs; ++k) {
        const int64_t i = 2 * stages[s].stride * k, j = i + stages[s].stride;
        REQUIRE(j < d);
        ++touched[i];
        ++touched[j];
      }
      CHECK(*std::max_element(touched.begin(), touched.end()) <= 1);
      total += stages[s].pairs;
      live = (live + 1) / 2;
    }
    CHECK(total == d - 1);
  }
  // docs/families.md's counts: 768 -> 10 stages, 3072 -> 12.
  CHECK(givens_schedule(768).size() == 10);
  CHECK(givens_schedule(3072).size() == 12);
  // d = 5: (0,1) (2,3) | (0,2) | (0,4).
  const auto five = givens_schedule(5);
  REQUIRE(five.size() == 3);
  CHECK((five[0].pairs == 2 && five[1].pairs == 1 && five[1].stride == 2 && five[2].stride == 4));
}

TEST_CASE("givens: givens_rotate is x -> R^T x (x R in rows) and the adjoint x -> R x, against a dense R in float64") {
  for (int64_t d : kDims) {
    CAPTURE(d);
    Generator gen(100 + d);
    Tensor blocks = uniform({d - 1, 2, 2}, -1.5, 1.5, DType::f64, gen);  // general blocks (qGOFT)
    Tensor x = uniform({3, 2, d}, -1.0, 1.0, DType::f64, gen);
    const std::vector<double> r = dense_r(d, blocks.to_vector<double>());
    const std::vector<double> xs = x.to_vector<double>();
    Tensor y = givens_rotate(x, blocks);
    Tensor ya = givens_rotate_adjoint(x, blocks);
    CHECK(y.shape() == x.shape());
    // Column form y = Rᵀ x  <=>  row form y = x R; the adjoint y = R x  <=>  y = x Rᵀ.
    const double scale = 1e-12 * std::max(1.0, *std::max_element(r.begin(), r.end()));
    CHECK(max_abs_diff(y.to_vector<double>(), rows_times(xs, d, r, false)) <= 1e3 * scale);
    CHECK(max_abs_diff(ya.to_vector<double>(), rows_times(xs, d, r, true)) <= 1e3 * scale);
    // float32 agrees with the float64 result to f32 rounding.
    Tensor y32 = givens_rotate(x.to(DType::f32), blocks.to(DType::f32));
    CHECK(test::max_relative_error(y32, y) <= 1e-5);
  }
}

TEST_CASE("givens: GOFT's per-pair rule under P^T: x_i <- cos x_i + sin x_j, x_j <- -sin x_i + cos x_j") {
  // d = 2: one pair, one stage.
  const double theta = 0.7;
  Tensor blocks = givens_rotation_blocks(from_vector(std::vector<double>{theta}, {1}, DType::f64));
  CHECK(blocks.to_vector<double>() ==
        std::vector<double>{std::cos(theta), -std::sin(theta), std::sin(theta), std::cos(theta)});
  Tensor y = givens_rotate(from_vector(std::vector<double>{2.0, 3.0}, {1, 2}, DType::f64), blocks);
  CHECK(y.get(0) == doctest::Approx(std::cos(theta) * 2 + std::sin(theta) * 3).epsilon(1e-15));
  CHECK(y.get(1) == doctest::Approx(-std::sin(theta) * 2 + std::cos(theta) * 3).epsilon(1e-15));
  // d = 4: stage 2 (pair (0, 2)) is applied first, then stage 1 (pairs (0, 1), (2, 3)).
  Tensor angles = from_vector(std::vector<double>{0.3, -0.4, 1.1}, {3}, DType::f64);
  Tensor x = from_vector(std::vector<double>{1, 2, 3, 4}, {1, 4}, DType::f64);
  auto rot = [](double a, double b, double th) {
    return std::pair{std::cos(th) * a + std::sin(th) * b, -std::sin(th) * a + std::cos(th) * b};
  };
  auto [x0, x2] = rot(1, 3, 1.1);
  auto [y0, y1] = rot(x0, 2, 0.3);
  auto [y2, y3] = rot(x2, 4, -0.4);
  const auto got = givens_rotate(x, givens_rotation_blocks(angles)).to_vector<double>();
  const std::vector<double> expected{y0, y1, y2, y3};
  CHECK(max_abs_diff(got, expected) <= 1e-15);
}

TEST_CASE("givens: rotation blocks give an orthogonal R, |R^T R - I| <= 1e-12, and the adjoint inverts it") {
  for (int64_t d : kDims) {
    CAPTURE(d);
    Tensor blocks = givens_rotation_blocks(random_angles(d - 1, 7 + d));
    // Rows of I through the op: row r of (I R) is row r of R.
    Tensor eye = zeros({d, d}, DType::f64);
    for (int64_t i = 0; i < d; ++i) eye.set(i * d + i, 1.0);
    Tensor r = givens_rotate(eye, blocks);
    CHECK(max_abs_diff(r.to_vector<double>(), dense_r(d, blocks.to_vector<double>())) <= 1e-12);
    Tensor gram = matmul(r.transpose(0, 1), r);
    CHECK(max_abs_diff(gram.to_vector<double>(), eye.to_vector<double>()) <= 1e-12);
    Generator gen(d);
    Tensor x = uniform({5, d}, -1, 1, DType::f64, gen);
    CHECK(max_abs_diff(givens_rotate_adjoint(givens_rotate(x, blocks), blocks).to_vector<double>(),
                       x.to_vector<double>()) <= 1e-12);
  }
}

TEST_CASE("gradcheck: givens_rotate and givens_rotate_adjoint in x and blocks (non-contiguous x)") {
  for (int64_t d : {2, 3, 5, 8, 13}) {
    CAPTURE(d);
    Tensor x = test::strided_leaf({2, 3, d}, 10 + d);  // rows are not contiguous
    Tensor blocks = test::leaf({d - 1, 2, 2}, 20 + d, -1.5, 1.5);
    CHECK_GRADCHECK([](const Inputs& in) { return givens_rotate(in[0], in[1]); }, {x, blocks});
    CHECK_GRADCHECK([](const Inputs& in) { return givens_rotate_adjoint(in[0], in[1]); }, {x, blocks});
    // x alone (the blocks' gradient skipped: dL/dx is the other direction's forward) and blocks alone.
    Tensor fixed_blocks = blocks.detach();
    CHECK_GRADCHECK([&](const Inputs& in) { return givens_rotate(in[0], fixed_blocks); }, {x});
    CHECK_GRADCHECK([&](const Inputs& in) { return givens_rotate_adjoint(in[0], fixed_blocks); }, {x});
    Tensor fixed_x = x.detach();
    CHECK_GRADCHECK([&](const Inputs& in) { return givens_rotate(fixed_x, in[0]); }, {blocks});
  }
  // Through the angle parameterisation GOFT uses: θ = π tanh(p).
  CHECK_GRADCHECK(
      [](const Inputs& in) { return givens_rotate(in[0], givens_rotation_blocks(mul(tanh(in[1]), M_PI))); },
      {test::strided_leaf({4, 6}, 3), test::leaf({5}, 4)});
  CHECK_GRADCHECK([](const Inputs& in) { return givens_rotation_blocks(in[0]); }, {test::leaf({7}, 5, -4, 4)});
}

TEST_CASE("givens: block gradients are summed in fixed chunks, bit-identical for 1 and 2 threads") {
  Generator gen(3);
  Tensor x = uniform({700, 96}, -1, 1, DType::f32, gen).set_requires_grad(true);
  Tensor blocks = uniform({95, 2, 2}, -1, 1, DType::f32, gen).set_requires_grad(true);
  Tensor weights = uniform({700, 96}, -1, 1, DType::f32, gen);
  auto grads = [&](int threads) {
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    x.zero_grad();
    blocks.zero_grad();
    sum(mul(givens_rotate(x, blocks), weights)).backward();
    omp_set_num_threads(before);
    return std::pair{x.grad().to_vector<float>(), blocks.grad().to_vector<float>()};
  };
  auto one = grads(1), two = grads(2);
  CHECK(one.first == two.first);
  CHECK(one.second == two.second);
  // And the block gradient is Σ_rows a ⊗ gu: for d = 2 it is Σ_rows x guᵀ exactly.
  Tensor x2 = uniform({9, 2}, -1, 1, DType::f64, gen);
  Tensor b2 = uniform({1, 2, 2}, -1, 1, DType::f64, gen).set_requires_grad(true);
  Tensor w2 = uniform({9, 2}, -1, 1, DType::f64, gen);
  sum(mul(givens_rotate(x2, b2), w2)).backward();
  Tensor expected = matmul(x2.transpose(0, 1), w2);  // [m][k] = Σ_rows x_m w_k
  CHECK(max_abs_diff(b2.grad().reshape({2, 2}).to_vector<double>(), expected.to_vector<double>()) <= 1e-14);
}

TEST_CASE("givens: d = 1 passes x through, bad shapes and dtypes are clear errors") {
  Tensor x1 = from_vector(std::vector<double>{4.0, -2.0}, {2, 1}, DType::f64);
  CHECK(givens_rotate(x1, zeros({0, 2, 2}, DType::f64)).to_vector<double>() == x1.to_vector<double>());
  Tensor x = zeros({3, 8});
  test::check_error([&] { givens_rotate(x, zeros({8, 2, 2})); },
                    {"givens_rotate", "[8, 2, 2]", "[3, 8]", "expected [7, 2, 2]"});
  test::check_error([&] { givens_rotate_adjoint(x, zeros({7, 2, 2}, DType::f64)); },
                    {"givens_rotate_adjoint", "f64", "f32"});
  test::check_error([&] { givens_rotate(zeros({3, 8}, DType::i64), zeros({7, 2, 2}, DType::i64)); },
                    {"givens_rotate", "floating", "i64"});
  test::check_error([&] { givens_rotation_blocks(zeros({3, 2})); }, {"givens_rotation_blocks", "[n]", "[3, 2]"});
}

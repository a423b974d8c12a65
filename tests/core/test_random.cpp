// The counter-based generator: reproducible, order-independent, statistically sane.
#include "tinytune/core/random_math.h"
#include "tests/test_util.h"

using namespace tt;

TEST_CASE("random: philox4x32-10 matches the Random123 known-answer vectors") {
  // Known-answer tests from Random123 (kat_vectors): philox4x32 10 rounds.
  auto zero = philox4x32(0, 0, 0);
  CHECK(zero == std::array<uint32_t, 4>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  auto ones = philox4x32(~0ULL, ~0ULL, ~0ULL);
  CHECK(ones == std::array<uint32_t, 4>{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  auto pi = philox4x32(0x85a308d3243f6a88ULL, 0x0370734413198a2eULL, 0x299f31d0a4093822ULL);
  CHECK(pi == std::array<uint32_t, 4>{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("random: unit_bits < unit_threshold(q) is exactly unit_double < q") {
  Generator gen(8);
  std::vector<double> qs{0.0, 1.0, 0.5, 0.9, 0.1, 1.0 / 3.0, 0.7, 1e-9, 1.0 - 1e-16};
  for (double q : uniform({50}, 0, 1, DType::f64, gen).to_vector<double>()) qs.push_back(q);
  for (uint64_t c = 0; c < 4000; ++c) {
    const random_math::Words w = random_math::philox4x32(c, 0, 77);
    const double u = random_math::unit_double(w.w[0], w.w[1]);
    const uint64_t bits = random_math::unit_bits(w.w[0], w.w[1]);
    for (double q : qs) {
      CAPTURE(q);
      CHECK((bits < random_math::unit_threshold(q)) == (u < q));
      // Draws equal to q exactly: the edge the threshold must get right.
      const uint64_t edge = random_math::unit_threshold(q);
      if (edge > 0) CHECK(static_cast<double>(edge - 1) * 0x1p-53 < q);
      if (edge < (1ULL << 53)) CHECK(!(static_cast<double>(edge) * 0x1p-53 < q));
    }
  }
}

TEST_CASE("random: the same seed gives the same numbers, a new seed different ones") {
  Generator a(42), b(42), c(43);
  Tensor x = normal({1000}, 0, 1, DType::f32, a);
  Tensor y = normal({1000}, 0, 1, DType::f32, b);
  Tensor z = normal({1000}, 0, 1, DType::f32, c);
  CHECK(x.to_vector<float>() == y.to_vector<float>());
  CHECK(x.to_vector<float>() != z.to_vector<float>());
  // The generator advances: a second draw differs from the first.
  CHECK(normal({1000}, 0, 1, DType::f32, a).to_vector<float>() != x.to_vector<float>());
  // Restoring (seed, offset) reproduces a draw: what checkpoints save.
  Generator d(42);
  d.set_offset(a.offset() - 500);
  CHECK(normal({1000}, 0, 1, DType::f32, d).to_vector<float>() ==
        normal({1000}, 0, 1, DType::f32, b).to_vector<float>());
}

TEST_CASE("random: draws do not depend on the number of threads") {
  // Large enough to run in parallel; element i depends only on (seed, offset, i).
  Generator a(5), b(5);
  Tensor big = uniform({100000}, 0, 1, DType::f64, a);
  Tensor head = uniform({10}, 0, 1, DType::f64, b);
  for (int64_t i = 0; i < 10; ++i) CHECK(big.get(i) == head.get(i));
}

TEST_CASE("random: moments of uniform, normal and bernoulli") {
  Generator gen(7);
  const int64_t n = 200000;
  Tensor u = uniform({n}, -1, 3, DType::f64, gen);
  CHECK(mean(u).item() == doctest::Approx(1.0).epsilon(0.01));
  CHECK(max(u, 0).item() < 3.0);
  CHECK(-max(neg(u), 0).item() >= -1.0);
  Tensor g = normal({n}, 2.0, 0.5, DType::f64, gen);
  CHECK(mean(g).item() == doctest::Approx(2.0).epsilon(0.005));
  Tensor centred = sub(g, 2.0);
  CHECK(std::sqrt(mean(mul(centred, centred)).item()) == doctest::Approx(0.5).epsilon(0.01));
  Tensor bits = bernoulli({n}, 0.3, DType::f32, gen);
  CHECK(mean(bits).item() == doctest::Approx(0.3).epsilon(0.02));
}

TEST_CASE("random: dropout is identity in eval, scales kept values in training") {
  Tensor x = ones({10000});
  CHECK(dropout(x, 0.5, false).storage() == x.storage());
  Generator gen(3);
  Tensor y = dropout(x, 0.25, true, gen);
  auto values = y.to_vector<float>();
  int64_t kept = 0;
  for (float v : values) {
    CHECK((v == 0.0f || v == doctest::Approx(1.0f / 0.75f)));
    kept += v != 0.0f;
  }
  CHECK(static_cast<double>(kept) / 10000 == doctest::Approx(0.75).epsilon(0.03));
}

TEST_CASE("random: dropout masks keep 1 - p, independently across elements, rows and calls") {
  // BERT's hidden-state shape; the default generator, as the model's Dropout modules use it.
  const int64_t rows = 32, cols = 128 * 384, n = rows * cols;
  manual_seed(4);
  Tensor x = ones({rows, cols});
  const std::vector<float> a = dropout(x, 0.1, true).to_vector<float>();
  const std::vector<float> b = dropout(x, 0.1, true).to_vector<float>();
  int64_t kept_a = 0, kept_both = 0, kept_pairs = 0;
  std::vector<int64_t> kept_row(rows, 0);
  for (int64_t i = 0; i < n; ++i) {
    const bool ka = a[i] != 0.0f, kb = b[i] != 0.0f;
    kept_a += ka;
    kept_both += ka && kb;
    kept_row[i / cols] += ka;
    if (i + 1 < n) kept_pairs += ka && a[i + 1] != 0.0f;
  }
  const double N = static_cast<double>(n);
  CHECK(kept_a / N == doctest::Approx(0.9).epsilon(0.002));
  CHECK(kept_both / N == doctest::Approx(0.81).epsilon(0.003));   // calls independent
  CHECK(kept_pairs / N == doctest::Approx(0.81).epsilon(0.003));  // neighbours independent
  for (int64_t r = 0; r < rows; ++r) CHECK(kept_row[r] / double(cols) == doctest::Approx(0.9).epsilon(0.01));
}

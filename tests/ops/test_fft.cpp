// rfft / irfft: against a naive O(n²) DFT in float64, round trips, torch.fft golden values
// (tests/reference/make_fft_golden.py), float64 gradient checks and unsupported lengths.
// spectral_mix: against the same sum written with elementwise ops, gradient checks, and the
// block-circulant product it exists for.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <tuple>
#include <vector>

#include "tinytune/core/io/safetensors.h"
#include "tinytune/core/ops/fft/fft.h"
#include "tinytune/core/ops/fft/spectral_mix.h"
#include "tests/test_util.h"

using namespace tt;

namespace {

const std::vector<int64_t> kLengths{1, 2, 3, 5, 8, 12, 96, 128, 384, 768};

// cos/sin of 2π j / n with j reduced mod n first, so the reference twiddles are accurate.
void root(int64_t j, int64_t n, long double& c, long double& s) {
  const long double angle = 2.0L * std::numbers::pi_v<long double> * static_cast<long double>(j % n) / n;
  c = std::cos(angle);
  s = std::sin(angle);
}

// X_k = Σ_t x_t e^{-2πi kt/n} for every row of x [rows, n] (long double accumulation).
Tensor naive_rfft(const Tensor& x) {
  const int64_t n = x.size(-1), rows = x.numel() / n, bins = n / 2 + 1;
  std::vector<double> in = x.to_vector<double>(), out(rows * bins * 2);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < bins; ++k) {
      long double re = 0, im = 0;
      for (int64_t t = 0; t < n; ++t) {
        long double c, s;
        root(k * t, n, c, s);
        re += in[r * n + t] * c;
        im -= in[r * n + t] * s;
      }
      out[(r * bins + k) * 2] = static_cast<double>(re);
      out[(r * bins + k) * 2 + 1] = static_cast<double>(im);
    }
  Shape shape(x.shape().begin(), x.shape().end() - 1);
  shape.push_back(bins);
  shape.push_back(2);
  return from_vector(out, shape, DType::f64);
}

// x_t = (1/n) Σ_{k<n} Y_k e^{+2πi kt/n}, Y the Hermitian extension of X (Im X_0 and
// Im X_{n/2} dropped, as torch.fft.irfft does).
Tensor naive_irfft(const Tensor& X, int64_t n) {
  const int64_t bins = n / 2 + 1, rows = X.numel() / (2 * bins);
  std::vector<double> in = X.to_vector<double>(), out(rows * n);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = 0; t < n; ++t) {
      long double acc = 0;
      for (int64_t k = 0; k < n; ++k) {
        const int64_t h = k < bins ? k : n - k;  // Y_k = conj X_{n-k} past the half
        long double re = in[(r * bins + h) * 2], im = in[(r * bins + h) * 2 + 1];
        if (h == 0 || 2 * h == n) im = 0;
        if (k >= bins) im = -im;
        long double c, s;
        root(k * t, n, c, s);
        acc += re * c - im * s;
      }
      out[r * n + t] = static_cast<double>(acc / n);
    }
  Shape shape(X.shape().begin(), X.shape().end() - 2);
  shape.push_back(n);
  return from_vector(out, shape, DType::f64);
}

Tensor random(const Shape& shape, uint64_t seed, DType dtype = DType::f64) {
  Generator gen(seed);
  return uniform(shape, -1.0, 1.0, dtype, gen);
}

}  // namespace

TEST_CASE("fft: rfft matches a naive float64 DFT for mixed-radix lengths (2^a 3^b 5^c)") {
  for (int64_t n : kLengths) {
    CAPTURE(n);
    Tensor x = random({2, 3, n}, 100 + n);
    Tensor X = rfft(x);
    REQUIRE(X.shape() == Shape{2, 3, n / 2 + 1, 2});
    CHECK(test::max_relative_error(X, naive_rfft(x)) <= 1e-12);
    // float32 to its own precision
    CHECK(test::max_relative_error(rfft(x.to(DType::f32)), naive_rfft(x)) <= 1e-5);
  }
  // more rows than one tile of SIMD lanes (16), the last tile partial
  for (int64_t n : {12, 45, 96}) {
    CAPTURE(n);
    Tensor x = random({37, n}, 600 + n);
    CHECK(test::max_relative_error(rfft(x), naive_rfft(x)) <= 1e-12);
    Tensor X = random({37, n / 2 + 1, 2}, 700 + n);
    CHECK(test::max_relative_error(irfft(X, n), naive_irfft(X, n)) <= 1e-12);
  }
  // 60 = 4·3·5 and 75 = 3·5·5 exercise radix 5 with the others
  for (int64_t n : {60, 75, 1000}) {
    CAPTURE(n);
    Tensor x = random({4, n}, n);
    CHECK(test::max_relative_error(rfft(x), naive_rfft(x)) <= 1e-12);
  }
}

TEST_CASE("fft: long rows (past the lane-tiled kernel's 8192 complex values) against direct sums") {
  for (int64_t n : {24576, 40960}) {  // complex lengths m = 12288 and 20480
    CAPTURE(n);
    Tensor x = random({2, n}, 900 + n);
    Tensor X = rfft(x);
    const std::vector<double> xv = x.to_vector<double>(), Xv = X.to_vector<double>();
    const int64_t bins = n / 2 + 1;
    double worst = 0, scale = 0;
    for (int64_t r = 0; r < 2; ++r)
      for (int64_t k : {int64_t{0}, int64_t{1}, int64_t{7}, n / 3, n / 2}) {
        long double re = 0, im = 0;
        for (int64_t t = 0; t < n; ++t) {
          long double c, s;
          root(k * t, n, c, s);
          re += xv[r * n + t] * c;
          im -= xv[r * n + t] * s;
        }
        worst = std::max({worst, std::abs(static_cast<double>(re) - Xv[(r * bins + k) * 2]),
                          std::abs(static_cast<double>(im) - Xv[(r * bins + k) * 2 + 1])});
        scale = std::max({scale, std::abs(static_cast<double>(re)), std::abs(static_cast<double>(im))});
      }
    CHECK(worst / scale <= 1e-11);
    CHECK(test::max_relative_error(irfft(X, n), x) <= 1e-13);
  }
}

TEST_CASE("fft: irfft matches a naive float64 inverse DFT and ignores Im of the DC and Nyquist bins") {
  for (int64_t n : kLengths) {
    CAPTURE(n);
    Tensor X = random({3, n / 2 + 1, 2}, 200 + n);  // Im X_0, Im X_{n/2} nonzero on purpose
    Tensor x = irfft(X, n);
    REQUIRE(x.shape() == Shape{3, n});
    CHECK(test::max_relative_error(x, naive_irfft(X, n)) <= 1e-12);
    CHECK(test::max_relative_error(irfft(X.to(DType::f32), n), naive_irfft(X, n)) <= 1e-5);
  }
}

TEST_CASE("fft: irfft(rfft(x), n) == x, and rfft(irfft(X)) == X for a Hermitian-consistent X") {
  for (int64_t n : kLengths) {
    CAPTURE(n);
    Tensor x = random({5, n}, 300 + n);
    CHECK(test::max_relative_error(irfft(rfft(x), n), x) <= 1e-13);
    Tensor x32 = x.to(DType::f32);
    CHECK(test::max_relative_error(irfft(rfft(x32), n), x32) <= 1e-6);
    Tensor X = rfft(x);
    CHECK(test::max_relative_error(rfft(irfft(X, n)), X) <= 1e-13);
  }
}

TEST_CASE("fft: rfft, irfft and their gradients match torch.fft (float64)") {
  auto golden = io::load_safetensors(std::string(TINYTUNE_FIXTURE_DIR) + "/fft_golden.safetensors");
  int checked = 0;
  for (int64_t n : {1, 2, 6, 15, 16, 45, 96}) {
    CAPTURE(n);
    const std::string s = std::to_string(n);
    REQUIRE(golden.count("rfft_x_" + s));
    Tensor x = golden.at("rfft_x_" + s).detach().set_requires_grad(true);
    Tensor X = rfft(x);
    CHECK(test::max_relative_error(X, golden.at("rfft_out_" + s)) <= 1e-12);
    sum(mul(X, golden.at("rfft_r_" + s))).backward();
    CHECK(test::max_relative_error(x.grad(), golden.at("rfft_grad_" + s)) <= 1e-12);

    Tensor spec = golden.at("irfft_spec_" + s).detach().set_requires_grad(true);
    Tensor y = irfft(spec, n);
    CHECK(test::max_relative_error(y, golden.at("irfft_out_" + s)) <= 1e-12);
    sum(mul(y, golden.at("irfft_r_" + s))).backward();
    CHECK(test::max_relative_error(spec.grad(), golden.at("irfft_grad_" + s)) <= 1e-12);
    ++checked;
  }
  CHECK(checked == 7);
}

TEST_CASE("gradcheck: rfft and irfft in float64 (contiguous and non-contiguous inputs)") {
  for (int64_t n : {1, 2, 3, 5, 6, 8, 12, 15}) {
    CAPTURE(n);
    auto rfft_fn = [](const std::vector<Tensor>& in) { return rfft(in[0]); };
    CHECK_GRADCHECK(rfft_fn, {test::leaf({3, n}, 10 + n)});
    if (n > 1) CHECK_GRADCHECK(rfft_fn, {test::strided_leaf({2, 3, n}, 20 + n)});
    auto irfft_fn = [n](const std::vector<Tensor>& in) { return irfft(in[0], n); };
    CHECK_GRADCHECK(irfft_fn, {test::leaf({3, n / 2 + 1, 2}, 30 + n)});
    // [2, n/2+1, 2] read through a transposed view of [2, 2, n/2+1] (n = 1 has one bin: the
    // view would be contiguous)
    if (n > 1) CHECK_GRADCHECK(irfft_fn, {test::strided_leaf({2, n / 2 + 1, 2}, 40 + n)});
    // the composition as C3A uses it: a product of spectra, back to the signal
    auto conv_fn = [n](const std::vector<Tensor>& in) { return irfft(mul(rfft(in[0]), rfft(in[1])), n); };
    CHECK_GRADCHECK(conv_fn, {test::leaf({2, n}, 50 + n), test::leaf({2, n}, 60 + n)});
  }
}

TEST_CASE("fft: unsupported lengths and malformed spectra are clear errors") {
  test::check_error([] { rfft(zeros({2, 7}, DType::f64)); },
                    {"rfft", "n = 7", "2^a·3^b·5^c", "prime factor 7"});
  test::check_error([] { rfft(zeros({3, 2 * 3 * 11 * 13}, DType::f32)); },
                    {"rfft", "n = 858", "prime factor 11"});
  test::check_error([] { irfft(zeros({4, 8, 2}, DType::f64), 14); },
                    {"irfft", "n = 14", "prime factor 7"});
  test::check_error([] { irfft(zeros({4, 8, 2}, DType::f64), 16); },
                    {"irfft", "n = 16", "[..., 9, 2]", "[4, 8, 2]"});
  test::check_error([] { irfft(zeros({4, 9}, DType::f64), 16); }, {"irfft", "[4, 9]"});
  test::check_error([] { rfft(zeros({4, 8}, DType::i64)); }, {"rfft", "floating", "i64"});
  test::check_error([] { rfft(zeros({4, 0}, DType::f32)); }, {"rfft", "n must be >= 1"});
  CHECK(fft_length_supported(768));
  CHECK(fft_length_supported(1));
  CHECK(!fft_length_supported(7));
  CHECK(!fft_length_supported(0));
}

namespace {

// y[..., i, f] = Σ_j conj(w[i, j, f]) x[..., j, f] with broadcasting mul and sum.
Tensor reference_spectral_mix(const Tensor& x, const Tensor& w) {
  Tensor xr = x.narrow(-1, 0, 1).squeeze(-1).unsqueeze(-3);  // [..., 1, n, F]
  Tensor xi = x.narrow(-1, 1, 1).squeeze(-1).unsqueeze(-3);
  Tensor wr = w.narrow(-1, 0, 1).squeeze(-1), wi = w.narrow(-1, 1, 1).squeeze(-1);  // [m, n, F]
  Tensor yr = sum(add(mul(wr, xr), mul(wi, xi)), {-2});  // [..., m, F]
  Tensor yi = sum(sub(mul(wr, xi), mul(wi, xr)), {-2});
  return concat({yr.unsqueeze(-1), yi.unsqueeze(-1)}, -1);
}

}  // namespace

TEST_CASE("spectral_mix: matches Σ_j conj(w_ij) x_j written with elementwise ops, f64 and f32") {
  for (auto [m, n, bins] : {std::tuple<int64_t, int64_t, int64_t>{3, 2, 5}, {1, 1, 65}, {2, 4, 1}, {4, 3, 130}}) {
    CAPTURE(m);
    CAPTURE(n);
    CAPTURE(bins);
    Tensor x = random({2, 3, n, bins, 2}, 400 + bins), w = random({m, n, bins, 2}, 500 + bins);
    Tensor y = spectral_mix(x, w);
    REQUIRE(y.shape() == Shape{2, 3, m, bins, 2});
    CHECK(test::max_relative_error(y, reference_spectral_mix(x, w)) <= 1e-14);
    CHECK(test::max_relative_error(spectral_mix(x.to(DType::f32), w.to(DType::f32)),
                                   reference_spectral_mix(x, w)) <= 1e-6);
  }
}

TEST_CASE("gradcheck: spectral_mix in float64 (contiguous and non-contiguous inputs)") {
  auto fn = [](const std::vector<Tensor>& in) { return spectral_mix(in[0], in[1]); };
  CHECK_GRADCHECK(fn, {test::leaf({4, 2, 3, 2}, 71), test::leaf({3, 2, 3, 2}, 72)});
  CHECK_GRADCHECK(fn, {test::leaf({2, 2, 1, 4, 2}, 73), test::leaf({2, 1, 4, 2}, 74)});
  // x read through a transposed view; w a transposed view of [n, m, F, 2]
  Tensor x = test::strided_leaf({3, 2, 5, 2}, 75);
  Generator gen(76);
  Tensor w = uniform({2, 3, 5, 2}, -1.0, 1.0, DType::f64, gen).transpose(0, 1).detach().set_requires_grad(true);
  REQUIRE(!w.is_contiguous());
  CHECK_GRADCHECK(fn, {x, w});
  // the composition C3A uses: irfft(spectral_mix(rfft(x blocks), rfft(kernels)))
  auto c3a_fn = [](const std::vector<Tensor>& in) {
    return irfft(spectral_mix(rfft(in[0]), rfft(in[1])), 6);
  };
  CHECK_GRADCHECK(c3a_fn, {test::leaf({4, 3, 6}, 77), test::leaf({2, 3, 6}, 78)});
}

TEST_CASE("spectral_mix: irfft(spectral_mix(rfft(x_j), rfft(w_ij))) is Σ_j C(w_ij) x_j, C(w)[p, q] = w[(q - p) mod b]") {
  const int64_t m = 2, n = 3, b = 12;
  Tensor x = random({5, n, b}, 81), w = random({m, n, b}, 82);
  Tensor y = irfft(spectral_mix(rfft(x), rfft(w)), b);  // [5, m, b]
  std::vector<double> expected(5 * m * b, 0.0);
  for (int64_t t = 0; t < 5; ++t)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t p = 0; p < b; ++p)
        for (int64_t j = 0; j < n; ++j)
          for (int64_t q = 0; q < b; ++q)
            expected[(t * m + i) * b + p] += w.get((i * n + j) * b + (q - p + b) % b) * x.get((t * n + j) * b + q);
  CHECK(test::max_relative_error(y, from_vector(expected, {5, m, b}, DType::f64)) <= 1e-13);
}

TEST_CASE("spectral_mix: mismatched shapes and dtypes are clear errors") {
  test::check_error([] { spectral_mix(zeros({4, 3, 5, 2}, DType::f64), zeros({2, 2, 5, 2}, DType::f64)); },
                    {"spectral_mix", "[..., 2, 5, 2]", "[4, 3, 5, 2]"});
  test::check_error([] { spectral_mix(zeros({4, 3, 5, 2}, DType::f64), zeros({2, 3, 5}, DType::f64)); },
                    {"spectral_mix", "[m, n, bins, 2]", "[2, 3, 5]"});
  test::check_error([] { spectral_mix(zeros({4, 3, 5, 2}, DType::f32), zeros({2, 3, 5, 2}, DType::f64)); },
                    {"spectral_mix", "f32", "f64"});
}

// Helpers shared by the tests: seeded random leaves (contiguous or not), random shapes, and
// the gradcheck assertion.
#pragma once
#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>

#include "tinytune/core/autograd/gradcheck.h"
#include "tinytune/core/ops.h"

namespace tt::test {

// A float64 leaf that requires grad, uniform in [low, high).
inline Tensor leaf(const Shape& shape, uint64_t seed, double low = -1.0, double high = 1.0) {
  Generator gen(seed);
  return uniform(shape, low, high, DType::f64, gen).set_requires_grad(true);
}

// The same, but non-contiguous: a transposed view of a fresh tensor (needs >= 2 dims).
inline Tensor strided_leaf(const Shape& shape, uint64_t seed, double low = -1.0,
                           double high = 1.0) {
  Shape swapped = shape;
  std::swap(swapped[swapped.size() - 1], swapped[swapped.size() - 2]);
  Generator gen(seed);
  Tensor t = uniform(swapped, low, high, DType::f64, gen).transpose(-1, -2).detach();
  REQUIRE(!t.is_contiguous());
  return t.set_requires_grad(true);
}

// Values in ±[0.2, 1): away from the kinks of relu/max and the pole of division.
inline Tensor leaf_away_from_zero(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  Tensor magnitude = uniform(shape, 0.2, 1.0, DType::f64, gen);
  Tensor sign = sub(mul(bernoulli(shape, 0.5, DType::f64, gen), 2.0), 1.0);
  return mul(magnitude, sign).detach().set_requires_grad(true);
}

inline Shape random_shape(std::mt19937& rng, int ndim, int64_t low = 1, int64_t high = 4) {
  std::uniform_int_distribution<int64_t> size(low, high);
  Shape shape(ndim);
  for (auto& s : shape) s = size(rng);
  return shape;
}

// Two shapes that broadcast: b drops leading dims of a and has size 1 at random places.
inline Shape broadcast_partner(std::mt19937& rng, const Shape& a) {
  std::uniform_int_distribution<int> coin(0, 1);
  Shape b(a.begin() + coin(rng), a.end());
  for (auto& s : b)
    if (coin(rng)) s = 1;
  return b;
}

// max|a - e| / max|e|: the per-tensor relative error the golden tests bound.
inline double max_relative_error(const Tensor& actual, const Tensor& expected) {
  REQUIRE(actual.shape() == expected.shape());
  std::vector<double> a = actual.to_vector<double>(), e = expected.to_vector<double>();
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(a[i] - e[i]));
    scale = std::max(scale, std::abs(e[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

// Runs f, requires it to throw tt::Error, and checks that the message holds every fragment
// (so a vague message fails the test). Returns the message.
template <typename F>
std::string check_error(F f, std::initializer_list<std::string> fragments) {
  std::string message;
  try {
    f();
  } catch (const Error& e) {
    message = e.what();
  }
  INFO("message: ", message);
  REQUIRE_MESSAGE(!message.empty(), "expected a tt::Error");
  for (const std::string& fragment : fragments) {
    INFO("missing fragment: ", fragment);
    CHECK(message.find(fragment) != std::string::npos);
  }
  return message;
}

// A fresh directory under the system temp dir, removed with everything in it at scope exit
// (permissions restored first, for tests that make it read-only).
struct TempDir {
  std::filesystem::path dir;
  TempDir() {
    static int counter = 0;
    dir = std::filesystem::temp_directory_path() /
          ("tinytune_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(dir, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

}  // namespace tt::test

// Asserts the analytic gradient of fn matches central differences at `inputs`.
#define CHECK_GRADCHECK(fn, ...)                                      \
  do {                                                                \
    ::tt::GradcheckResult gc_result = ::tt::gradcheck(fn, __VA_ARGS__); \
    INFO(gc_result.message);                                          \
    CHECK(gc_result.ok);                                              \
  } while (0)

// Autograd behaviour: accumulation, retain_graph, freed graphs, no_grad, detach, leaves.
#include "tests/test_util.h"

using namespace tt;

TEST_CASE("autograd: a tensor used twice accumulates both contributions") {
  Tensor x = from_vector(std::vector<double>{2.0, -3.0}, {2}, DType::f64).set_requires_grad(true);
  Tensor y = add(mul(x, x), mul(x, 3.0));  // dy/dx = 2x + 3
  sum(y).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{7.0, -3.0});
}

TEST_CASE("autograd: gradients accumulate across backward calls until zero_grad") {
  Tensor x = ones({3}, DType::f64).set_requires_grad(true);
  sum(mul(x, 2.0)).backward();
  sum(mul(x, 2.0)).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{4, 4, 4});
  x.zero_grad();
  CHECK(!x.grad().defined());
  sum(x).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1, 1, 1});
}

TEST_CASE("autograd: backward with an explicit gradient for a non-scalar output") {
  Tensor x = from_vector(std::vector<double>{1, 2, 3}, {3}, DType::f64).set_requires_grad(true);
  Tensor y = mul(x, x);
  y.backward(from_vector(std::vector<double>{1, 0, -1}, {3}, DType::f64));
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2, 0, -6});
}

TEST_CASE("autograd: a second backward through a freed graph is a clear error") {
  Tensor x = ones({2}, DType::f64).set_requires_grad(true);
  Tensor loss = sum(exp(x));
  loss.backward();
  try {
    loss.backward();
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("second time") != std::string::npos);
    CHECK(std::string(e.what()).find("retain_graph") != std::string::npos);
  }
}

TEST_CASE("autograd: retain_graph allows walking the graph again") {
  Tensor x = from_vector(std::vector<double>{0.5}, {1}, DType::f64).set_requires_grad(true);
  Tensor loss = sum(exp(x));
  loss.backward(Tensor(), true);
  loss.backward();
  CHECK(x.grad().item() == doctest::Approx(2 * std::exp(0.5)));
}

TEST_CASE("autograd: saved tensors are released after backward") {
  Tensor x = ones({4}, DType::f64).set_requires_grad(true);
  Tensor y = exp(x);  // ExpBackward saves y
  CHECK(y.storage().use_count() == 2);
  sum(y).backward();
  CHECK(y.storage().use_count() == 1);
}

TEST_CASE("autograd: no_grad scope and detach record nothing") {
  Tensor x = ones({2}, DType::f64).set_requires_grad(true);
  {
    NoGradGuard no_grad;
    Tensor y = mul(x, 2.0);
    CHECK(!y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
  }
  CHECK(grad_enabled());
  Tensor d = x.detach();
  CHECK(!d.requires_grad());
  CHECK(d.storage() == x.storage());
  Tensor z = mul(d, 2.0);
  CHECK(!z.requires_grad());
  CHECK_THROWS_AS(sum(z).backward(), Error);
}

TEST_CASE("autograd: only leaves and floating tensors can set requires_grad") {
  Tensor x = ones({2}, DType::f64).set_requires_grad(true);
  Tensor y = mul(x, 2.0);
  CHECK(!y.is_leaf());
  CHECK_THROWS_AS(y.set_requires_grad(false), Error);
  Tensor i = from_vector(std::vector<int64_t>{1}, {1});
  CHECK_THROWS_AS(i.set_requires_grad(true), Error);
}

TEST_CASE("autograd: gradient flows through views into the base leaf") {
  Tensor x = arange(0, 6, 1, DType::f64).reshape({2, 3}).detach().set_requires_grad(true);
  Tensor y = mul(x.transpose(0, 1).narrow(0, 1, 2), 2.0);  // picks x[:, 1:3]
  sum(y).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 2, 2, 0, 2, 2});
}

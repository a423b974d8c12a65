// Tensor semantics: creation, views share storage, contiguity, dtype conversion, printing.
#include <sstream>

#include "tests/test_util.h"

using namespace tt;

TEST_CASE("tensor: creation functions fill the values they promise") {
  Tensor z = zeros({2, 3});
  CHECK(z.shape() == Shape{2, 3});
  CHECK(z.dtype() == DType::f32);
  CHECK(z.to_vector<float>() == std::vector<float>(6, 0.0f));
  CHECK(ones({4}, DType::f64).to_vector<double>() == std::vector<double>(4, 1.0));
  CHECK(full({2}, 2.5, DType::f32).to_vector<float>() == std::vector<float>{2.5f, 2.5f});
  CHECK(arange(0, 5).to_vector<float>() == std::vector<float>{0, 1, 2, 3, 4});
  CHECK(arange(1, 2, 0.25, DType::f64).to_vector<double>() ==
        std::vector<double>{1, 1.25, 1.5, 1.75});
  Tensor i = from_vector(std::vector<int64_t>{3, -1}, {2});
  CHECK(i.dtype() == DType::i64);
  CHECK(i.get(1) == -1);
  CHECK(scalar_tensor(7.0).dim() == 0);
  CHECK(scalar_tensor(7.0).item() == 7.0);
}

TEST_CASE("tensor: move_to its own device keeps the storage, only a leaf moves in place") {
  Tensor a = from_vector(std::vector<float>{1, 2, 3}, {3});
  const auto storage = a.storage();
  a.move_to(Device::cpu());
  CHECK(a.storage() == storage);
  Tensor w = a.clone();
  w.set_requires_grad(true);
  Tensor b = mul(w, 2.0);
  // Checked before any transfer, so it holds in a build without CUDA too.
  CHECK_THROWS_WITH_AS(b.move_to(Device::cuda()), doctest::Contains("leaf"), Error);
}

TEST_CASE("tensor: move_to a dtype converts a leaf in place, seen by every handle") {
  Tensor w = from_vector(std::vector<float>{1.5f, -2.25f, 3.0f, 4.0f}, {2, 2}).transpose(0, 1);
  w.set_requires_grad(true);
  Tensor handle = w;  // another owner, as an optimizer holds a parameter
  sum(mul(w, w)).backward();
  w.move_to(DType::f64);
  CHECK(handle.dtype() == DType::f64);
  CHECK(handle.to_vector<double>() == std::vector<double>{1.5, 3.0, -2.25, 4.0});
  CHECK(handle.requires_grad());
  CHECK(!handle.grad().defined());  // dropped, as Module::to(Device) drops it
  CHECK_THROWS_WITH_AS(w.move_to(DType::i64), doctest::Contains("floating"), Error);
  CHECK_THROWS_WITH_AS(mul(w, 2.0).move_to(DType::f32), doctest::Contains("leaf"), Error);
}

TEST_CASE("tensor: views share storage and never copy") {
  Tensor x = arange(0, 24, 1, DType::f64).reshape({2, 3, 4});
  CHECK(x.is_contiguous());
  Tensor t = x.transpose(0, 2);
  CHECK(t.shape() == Shape{4, 3, 2});
  CHECK(!t.is_contiguous());
  CHECK(t.storage() == x.storage());
  CHECK(t.get(1) == 12);  // t[0,0,1] = x[1,0,0]
  Tensor n = x.narrow(2, 1, 2);
  CHECK(n.storage() == x.storage());
  CHECK(n.offset() == 1);
  CHECK(n.to_vector<double>()[0] == 1);
  Tensor p = x.permute({1, 2, 0});
  CHECK(p.shape() == Shape{3, 4, 2});
  CHECK(p.get(1) == 12);
  Tensor e = from_vector(std::vector<double>{1, 2, 3}, {3, 1}, DType::f64).expand({3, 4});
  CHECK(e.strides() == Shape{1, 0});
  CHECK(e.get(5) == 2);
  Tensor u = x.unsqueeze(0);
  CHECK(u.shape() == Shape{1, 2, 3, 4});
  CHECK(u.squeeze(0).shape() == Shape{2, 3, 4});
  CHECK(ones({1, 3, 1}).squeeze().shape() == Shape{3});
  // Writing through a view is seen by the base.
  n.set(0, 100);
  CHECK(x.get(1) == 100);
}

TEST_CASE("tensor: reshape views when it can and copies when it must") {
  Tensor x = arange(0, 12, 1, DType::f64).reshape({3, 4});
  CHECK(x.reshape({4, 3}).storage() == x.storage());
  CHECK(x.view({2, 2, 3}).storage() == x.storage());
  Tensor t = x.transpose(0, 1);  // [4, 3], not contiguous
  Tensor r = t.reshape({12});
  CHECK(r.storage() != x.storage());
  CHECK(r.to_vector<double>() == std::vector<double>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  CHECK_THROWS_AS(t.view({12}), Error);
  // A split of one dim is still a view of a transposed tensor.
  CHECK(t.view({2, 2, 3}).storage() == x.storage());
  CHECK(t.view({2, 2, 3}).get(3) == t.get(3));
}

TEST_CASE("tensor: contiguous, clone and to(dtype)") {
  Tensor x = arange(0, 6, 1, DType::f32).reshape({2, 3});
  CHECK(x.contiguous().storage() == x.storage());
  Tensor c = x.transpose(0, 1).contiguous();
  CHECK(c.is_contiguous());
  CHECK(c.to_vector<float>() == std::vector<float>{0, 3, 1, 4, 2, 5});
  Tensor k = x.clone();
  CHECK(k.storage() != x.storage());
  k.set(0, 9);
  CHECK(x.get(0) == 0);
  Tensor d = x.to(DType::f64);
  CHECK(d.dtype() == DType::f64);
  CHECK(d.to_vector<double>() == std::vector<double>{0, 1, 2, 3, 4, 5});
  CHECK(from_vector(std::vector<double>{2.7, -1.2}, {2}).to(DType::i64).to_vector<int64_t>() ==
        std::vector<int64_t>{2, -1});
}

TEST_CASE("tensor: printing shows values, shape and dtype, abbreviated") {
  Tensor x = arange(0, 4, 1, DType::f32).reshape({2, 2});
  std::ostringstream out;
  out << x;
  CHECK(out.str() == "tensor([[0, 1], [2, 3]], shape=[2, 2], dtype=f32)");
  std::string long_row = arange(0, 100).str();
  CHECK(long_row.find("0, 1, 2, ..., 97, 98, 99") != std::string::npos);
  CHECK(Tensor().str() == "tensor(undefined)");
}

TEST_CASE("tensor: to(dtype) is differentiable") {
  Tensor x = from_vector(std::vector<double>{1.5, -2.0}, {2}, DType::f64).set_requires_grad(true);
  Tensor y = mul(x.to(DType::f32), 3.0);
  sum(y).backward();
  CHECK(x.grad().dtype() == DType::f64);
  CHECK(x.grad().to_vector<double>() == std::vector<double>{3.0, 3.0});
}

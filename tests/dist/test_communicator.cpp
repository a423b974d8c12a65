// The communicator and gradient averaging (dist/), run by ctest three ways: "single*" cases as a
// plain process, "mpi*" cases under `mpirun -np 1` and `mpirun -np 2` (CMakeLists.txt).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "tinytune/core/error.h"
#include "tinytune/core/ops.h"
#include "tinytune/dist/gradient_sync.h"

using namespace tt;

namespace {

// A tensor whose values depend on the rank, so a sum over ranks is checkable.
Tensor rank_values(int rank, int64_t n, DType dtype) {
  Tensor t = empty({n}, dtype);
  for (int64_t i = 0; i < n; ++i) t.set(i, (rank + 1) * 0.5 + i * 0.25);
  return t;
}

std::unique_ptr<dist::Communicator> mpi() {
  REQUIRE_MESSAGE(dist::launched_by_mpi(), "run the mpi* cases under mpirun");
  return dist::make_communicator(dist::Backend::mpi);
}

std::vector<Tensor> params_with_grads(int rank) {
  std::vector<Tensor> params;
  for (int64_t n : {5, 300, 7, 1000}) {
    Tensor p = zeros({n}).set_requires_grad(true);
    p.impl().grad = rank_values(rank, n, DType::f32).impl_ptr();
    params.push_back(p);
  }
  return params;
}

}  // namespace

TEST_CASE("single process: the none backend is the identity, unknown names and missing launchers are errors") {
  auto comm = dist::make_communicator(dist::Backend::none);
  CHECK(comm->rank() == 0);
  CHECK(comm->size() == 1);
  Tensor t = rank_values(0, 4, DType::f64), before = t.clone();
  comm->all_reduce_sum(t);
  comm->broadcast(t, 0);
  CHECK(t.to_vector<double>() == before.to_vector<double>());
  CHECK_THROWS_WITH_AS(dist::parse_backend("gloo"), doctest::Contains("--dist-backend: unknown backend 'gloo'"),
                       Error);
  CHECK(dist::parse_backend("mpi") == dist::Backend::mpi);
  if (!dist::launched_by_mpi())
    CHECK_THROWS_WITH_AS(dist::make_communicator(dist::Backend::mpi),
                         doctest::Contains(dist::backend_built(dist::Backend::mpi) ? "not started by an MPI launcher"
                                                                                   : "no mpi backend"),
                         Error);
}

TEST_CASE("single process: average_gradients divides by the example count and keeps the gradient") {
  auto comm = dist::make_communicator(dist::Backend::none);
  auto params = params_with_grads(0);
  const auto before = params[1].grad().to_vector<float>();
  CHECK(dist::average_gradients(*comm, params, 32) == 32);
  CHECK(params[1].grad().to_vector<float>() == before);  // 32 g / 32, exact in binary
  CHECK_THROWS_WITH_AS(dist::average_gradients(*comm, params, 0), doctest::Contains("no rank saw an example"),
                       Error);
}

TEST_CASE("mpi: all_reduce_sum and broadcast over every rank, f32 and f64") {
  auto comm = mpi();
  const int n = comm->size();
  for (DType dtype : {DType::f32, DType::f64}) {
    Tensor t = rank_values(comm->rank(), 1000, dtype);
    comm->all_reduce_sum(t);
    for (int64_t i = 0; i < 1000; i += 111) {
      double expected = 0;
      for (int r = 0; r < n; ++r) expected += (r + 1) * 0.5 + i * 0.25;
      CHECK(t.get(i) == doctest::Approx(expected));
    }
    Tensor b = rank_values(comm->rank(), 10, dtype);
    comm->broadcast(b, n - 1);
    CHECK(b.to_vector<double>() == rank_values(n - 1, 10, dtype).to_vector<double>());
  }
  comm->barrier();
  CHECK_THROWS_WITH_AS(comm->all_reduce_sum(zeros({2}, DType::i64)), doctest::Contains("expected f32 or f64"), Error);
}

TEST_CASE("mpi: gradients averaged by example count, the same bits in one bucket or many") {
  auto comm = mpi();
  const int n = comm->size();
  const int64_t mine = comm->rank() + 1;  // an uneven split: rank r saw r + 1 examples
  auto one_bucket = params_with_grads(comm->rank()), many_buckets = params_with_grads(comm->rank());
  one_bucket[2].zero_grad();  // no gradient on this rank: counts as zeros
  many_buckets[2].zero_grad();
  const int64_t total = dist::average_gradients(*comm, one_bucket, mine);
  dist::average_gradients(*comm, many_buckets, mine, /*bucket_bytes=*/64);
  CHECK(total == n * (n + 1) / 2);
  for (size_t k = 0; k < one_bucket.size(); ++k) {
    CAPTURE(k);
    CHECK(one_bucket[k].grad().to_vector<float>() == many_buckets[k].grad().to_vector<float>());
    for (int64_t i = 0; i < one_bucket[k].numel(); i += 97) {
      double expected = 0;
      for (int r = 0; r < n; ++r) expected += k == 2 ? 0.0 : (r + 1) * static_cast<double>(float((r + 1) * 0.5 + i * 0.25));
      CHECK(one_bucket[k].grad().get(i) == doctest::Approx(expected / total).epsilon(1e-6));
    }
  }
}

TEST_CASE("mpi: parameters are checked identical at start, and a difference stops every rank") {
  auto comm = mpi();
  std::vector<std::pair<std::string, Tensor>> named = {{"w", rank_values(0, 50, DType::f32)},
                                                       {"b", rank_values(0, 3, DType::f32)}};
  CHECK_NOTHROW(dist::check_parameters_identical(*comm, named));
  if (comm->size() < 2) return;
  if (comm->rank() == 1) named[1].second.set(2, 42.0);
  CHECK_THROWS_WITH_AS(dist::check_parameters_identical(*comm, named), doctest::Contains("parameters differ"), Error);
}

// How data-parallel training splits a step across ranks (train/data_parallel.h), without MPI: a
// communicator that only tells its rank and size. The runs under mpirun are in tests/dist/.
#include <doctest/doctest.h>

#include "tinytune/core/error.h"
#include "tinytune/train/data_parallel.h"

using namespace tt;

namespace {

class RankOnly : public dist::Communicator {
 public:
  RankOnly(int rank, int size) : rank_(rank), size_(size) {}
  dist::Backend backend() const override { return dist::Backend::mpi; }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void all_reduce_sum(const Tensor&) override { throw Error("RankOnly: no collectives"); }
  void broadcast(const Tensor&, int) override { throw Error("RankOnly: no collectives"); }
  void barrier() override {}
  [[noreturn]] void abort(int) override { throw Error("RankOnly: abort"); }

 private:
  int rank_, size_;
};

std::vector<int64_t> iota(int64_t begin, int64_t n) {
  std::vector<int64_t> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = begin + i;
  return v;
}

}  // namespace

TEST_CASE("rank_share: contiguous slices that cover the batch once, the first ranks one more") {
  const std::vector<int64_t> batch = iota(10, 7);
  CHECK(train::rank_share(batch, 0, 1) == batch);
  CHECK(train::rank_share(batch, 0, 2) == iota(10, 4));
  CHECK(train::rank_share(batch, 1, 2) == iota(14, 3));
  CHECK(train::rank_share(batch, 2, 3) == iota(15, 2));
  CHECK(train::rank_share({5}, 1, 2).empty());
}

TEST_CASE("step_share: one process trains on whole batches with weights of exactly 1") {
  train::TrainingRun run;
  run.config.grad_accum = 2;
  const std::vector<std::vector<int64_t>> plan = {iota(0, 3), iota(3, 3), iota(6, 1)};
  run.next_batch = 1;
  const train::StepShare share = train::step_share(run, plan);
  CHECK(share.examples == std::vector<std::vector<int64_t>>{iota(3, 3), iota(6, 1)});
  CHECK(share.loss_part == std::vector<double>{1.0, 1.0});
  CHECK(share.grad_scale == std::vector<double>{1.0, 1.0});
  CHECK(share.local_examples == 4);
  CHECK(share.step_examples == 4);
}

// After dist::average_gradients (weights n_r / T), an example of micro-batch m on rank r counts
// (n_r / T) * grad_scale / n_rm, with its loss divided by grad_accum: the single-process
// trainer's 1 / (grad_accum * n_m), whatever the batch sizes and the ranks' shares.
TEST_CASE("step_share: the ranks' weights give every example its single-process weight") {
  const std::vector<std::vector<int64_t>> plan = {iota(0, 5), iota(5, 5), iota(10, 1), iota(11, 2)};
  for (int ranks : {2, 3}) {
    for (int64_t accum : {1, 2, 4}) {
      for (int64_t first = 0; first + accum <= static_cast<int64_t>(plan.size()); first += accum) {
        std::vector<double> parts(accum, 0.0);
        for (int rank = 0; rank < ranks; ++rank) {
          train::TrainingRun run;
          run.config.grad_accum = accum;
          run.next_batch = first;
          run.comm = std::make_shared<RankOnly>(rank, ranks);
          const train::StepShare share = train::step_share(run, plan);
          for (int64_t m = 0; m < accum; ++m) {
            const double n_m = static_cast<double>(plan[first + m].size());
            const double n_rm = static_cast<double>(share.examples[m].size());
            parts[m] += n_rm / n_m;
            if (n_rm == 0) continue;
            const double weight = static_cast<double>(share.local_examples) / share.step_examples *
                                  share.grad_scale[m] / n_rm / accum;
            CHECK(weight == doctest::Approx(1.0 / (accum * n_m)).epsilon(1e-12));
          }
        }
        for (double part : parts) CHECK(part == doctest::Approx(1.0).epsilon(1e-12));  // the loss parts
      }
    }
  }
}

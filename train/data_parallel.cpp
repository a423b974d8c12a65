#include "tinytune/train/data_parallel.h"

#include <algorithm>

#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/random.h"
#include "tinytune/dist/gradient_sync.h"
#include "tinytune/train/run_report.h"

namespace tt::train {

namespace {

// Sums `values` over the ranks, on the run's device (MPI reduces CPU tensors, NCCL CUDA ones).
std::vector<double> sum_over_ranks(const TrainingRun& run, const std::vector<double>& values) {
  Tensor t = from_vector(values, {static_cast<int64_t>(values.size())}, DType::f64).to(run.device);
  run.comm->all_reduce_sum(t);
  return t.to(Device::cpu()).to_vector<double>();
}

// Every rank's `value`, in rank order; sent as two 32-bit halves, which doubles hold exactly.
std::vector<uint64_t> gather(const TrainingRun& run, uint64_t value) {
  const int ranks = ranks_of(run), rank = rank_of(run);
  std::vector<double> halves(2 * ranks, 0.0);
  halves[2 * rank] = static_cast<double>(value >> 32);
  halves[2 * rank + 1] = static_cast<double>(value & 0xffffffffu);
  halves = sum_over_ranks(run, halves);
  std::vector<uint64_t> out(ranks);
  for (int r = 0; r < ranks; ++r)
    out[r] = (static_cast<uint64_t>(halves[2 * r]) << 32) | static_cast<uint64_t>(halves[2 * r + 1]);
  return out;
}

// SplitMix64's finaliser: nearby (seed, rank) pairs give unrelated seeds.
uint64_t mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string rank_key(int rank, const char* what) { return "dist/rank" + std::to_string(rank) + "/rng/" + what; }

}  // namespace

std::unique_ptr<dist::Communicator> open_communicator(const std::string& backend, const std::string& device) {
  if (backend != "auto") return dist::make_communicator(dist::parse_backend(backend));
  if (!dist::launched_by_mpi()) return dist::make_communicator(dist::Backend::none);
  const bool cuda = device == "cuda" || (device == "auto" && cuda::is_available());
  return dist::make_communicator(cuda ? dist::Backend::nccl : dist::Backend::mpi);
}

int rank_of(const TrainingRun& run) { return run.comm ? run.comm->rank() : 0; }
int ranks_of(const TrainingRun& run) { return run.comm ? run.comm->size() : 1; }

std::vector<int64_t> rank_share(const std::vector<int64_t>& batch, int rank, int ranks) {
  const int64_t n = static_cast<int64_t>(batch.size()), base = n / ranks, extra = n % ranks;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  const int64_t count = base + (rank < extra ? 1 : 0);
  return {batch.begin() + begin, batch.begin() + begin + count};
}

StepShare step_share(const TrainingRun& run, const std::vector<std::vector<int64_t>>& plan) {
  StepShare share;
  const int rank = rank_of(run), ranks = ranks_of(run);
  for (int64_t micro = 0; micro < run.config.grad_accum; ++micro) {
    const std::vector<int64_t>& batch = plan[run.next_batch + micro];
    share.examples.push_back(rank_share(batch, rank, ranks));
    share.loss_part.push_back(static_cast<double>(share.examples.back().size()) / static_cast<double>(batch.size()));
    share.local_examples += static_cast<int64_t>(share.examples.back().size());
    share.step_examples += static_cast<int64_t>(batch.size());
  }
  for (double part : share.loss_part)
    share.grad_scale.push_back(share.local_examples == 0 ? 0.0
                                   : part * static_cast<double>(share.step_examples) /
                                         static_cast<double>(share.local_examples));
  return share;
}

double synchronize_step(TrainingRun& run, int64_t local_examples, double local_loss) {
  if (ranks_of(run) == 1) return local_loss;
  dist::average_gradients(*run.comm, run.trainable_params, local_examples);
  return sum_over_ranks(run, {local_loss})[0];
}

void seed_rank_generator(TrainingRun& run) {
  const int rank = rank_of(run);
  if (rank > 0) default_generator().manual_seed(mix(run.config.seed + 0x9e3779b97f4a7c15ULL * rank));
}

void check_same_start(TrainingRun& run) {
  if (ranks_of(run) > 1) dist::check_parameters_identical(*run.comm, run.model->named_parameters());
}

int agreed_stop_signal(const TrainingRun& run) {
  const int own = g_stop_signal.load();
  if (ranks_of(run) == 1) return own;
  constexpr int kSignals = 65;  // Linux's signal numbers, 1 to 64
  std::vector<double> received(kSignals, 0.0);
  if (own > 0 && own < kSignals) received[own] = 1.0;
  received = sum_over_ranks(run, received);
  for (int signal = 1; signal < kSignals; ++signal)
    if (received[signal] > 0) return signal;
  return 0;
}

void evaluate_on_rank0(TrainingRun& run, TrainResult& result) {
  if (writes_outputs(run)) record_eval(run, evaluate(run), result);
  if (ranks_of(run) == 1) return;
  Tensor state = from_vector(std::vector<double>{run.best_metric, static_cast<double>(run.evals_without_improvement)},
                             {2}, DType::f64).to(run.device);
  run.comm->broadcast(state, 0);
  const std::vector<double> shared = state.to(Device::cpu()).to_vector<double>();
  run.best_metric = shared[0];
  run.evals_without_improvement = static_cast<int64_t>(shared[1]);
  run.last_eval_step = run.step;
}

void add_rank_states(const TrainingRun& run, Checkpoint& checkpoint) {
  const int ranks = ranks_of(run);
  if (ranks == 1) return;
  const std::vector<uint64_t> seeds = gather(run, default_generator().seed());
  const std::vector<uint64_t> offsets = gather(run, default_generator().offset());
  checkpoint.integers["dist/ranks"] = ranks;
  for (int r = 1; r < ranks; ++r) {
    checkpoint.integers[rank_key(r, "seed")] = static_cast<int64_t>(seeds[r]);
    checkpoint.integers[rank_key(r, "offset")] = static_cast<int64_t>(offsets[r]);
  }
}

void restore_rank_state(TrainingRun& run, const Checkpoint& checkpoint, const std::string& path) {
  const auto stored = checkpoint.integers.find("dist/ranks");
  const int64_t saved_ranks = stored == checkpoint.integers.end() ? 1 : stored->second;
  const int ranks = ranks_of(run), rank = rank_of(run);
  TT_CHECK(saved_ranks == ranks, "--resume: ", path, " was saved by a run of ", saved_ranks,
           " process(es) and this run has ", ranks, ": resume it with ",
           saved_ranks == 1 ? std::string("a single process") : "mpirun -np " + std::to_string(saved_ranks),
           " (the ranks' shares of each batch and their dropout streams depend on the count)");
  if (rank == 0) return;  // rank 0's generator is "rng/seed" and "rng/offset", restored already
  const auto seed = checkpoint.integers.find(rank_key(rank, "seed"));
  const auto offset = checkpoint.integers.find(rank_key(rank, "offset"));
  TT_CHECK(seed != checkpoint.integers.end() && offset != checkpoint.integers.end(), "--resume: ", path,
           " has no generator state for rank ", rank, " ('", rank_key(rank, "seed"), "')");
  default_generator().manual_seed(static_cast<uint64_t>(seed->second));
  default_generator().set_offset(static_cast<uint64_t>(offset->second));
}

}  // namespace tt::train

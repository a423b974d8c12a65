// Data-parallel training (`mpirun -np N train_glue ...`, dist/README.md): what the trainer does
// differently with several processes. Every rank holds the whole model and reads the whole data
// set, walks the same batch plan, and trains on its share of each micro-batch; the ranks'
// gradients are averaged by example count (dist/gradient_sync.h) and every rank takes the same
// optimizer step. Rank 0 alone evaluates and writes the run's files. With one process (run.comm
// null or of size 1) each function here does exactly what the single-process trainer did.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tinytune/dist/communicator.h"
#include "tinytune/train/checkpoint.h"
#include "tinytune/train/trainer.h"
#include "tinytune/train/training_run.h"

namespace tt::train {

// The communicator of this process for --dist-backend: "auto" is none for a process that no MPI
// launcher started, else nccl for a run on CUDA (--device cuda, or auto with a GPU) and mpi on
// the CPU. Errors name the flag.
std::unique_ptr<dist::Communicator> open_communicator(const std::string& backend, const std::string& device);

int rank_of(const TrainingRun& run);
int ranks_of(const TrainingRun& run);
// Rank 0 writes the output directory, metrics and checkpoints and prints the progress.
inline bool writes_outputs(const TrainingRun& run) { return rank_of(run) == 0; }

// This rank's examples of one micro-batch: a contiguous slice, the first (size % ranks) ranks
// one example more than the others. The whole batch for one rank.
std::vector<int64_t> rank_share(const std::vector<int64_t>& batch, int rank, int ranks);

// This rank's part of one optimizer step: config.grad_accum micro-batches of the plan from
// run.next_batch. The weights make the example-weighted average of the ranks' gradients
// (dist::average_gradients) equal the single-process gradient, whose micro-batches count alike
// whatever their size: rank r's loss on micro-batch m is scaled by
// grad_scale = (n_rm / n_m) * (T / n_r), with n_m the micro-batch's size, n_rm this rank's share,
// n_r = sum_m n_rm and T = sum_m n_m. Both weights are exactly 1 with one process.
struct StepShare {
  std::vector<std::vector<int64_t>> examples;  // per micro-batch, this rank's (may be empty)
  std::vector<double> loss_part;               // n_rm / n_m: this rank's part of the batch's loss
  std::vector<double> grad_scale;
  int64_t local_examples = 0;  // n_r
  int64_t step_examples = 0;   // T, over all ranks
};
StepShare step_share(const TrainingRun& run, const std::vector<std::vector<int64_t>>& plan);

// After a step's backward passes: the gradients averaged over the ranks (weighted by
// local_examples); returns the step's loss, the sum of the ranks' parts. Nothing with one rank.
double synchronize_step(TrainingRun& run, int64_t local_examples, double local_loss);

// Ranks other than 0 draw their own dropout masks: once the model and its adapters are
// initialised (alike on every rank, from --seed), their generator is reseeded from (seed, rank).
void seed_rank_generator(TrainingRun& run);
// Throws on every rank, naming the first parameter, unless all of them equal rank 0's.
void check_same_start(TrainingRun& run);

// The signal that stops the run at this step boundary, the same on every rank: the lowest
// signal number any rank received (g_stop_signal), or 0.
int agreed_stop_signal(const TrainingRun& run);

// Rank 0 evaluates on the whole dev set and records it (metrics, best.h5); the other ranks
// receive the early-stopping state, so all of them stop at the same step.
void evaluate_on_rank0(TrainingRun& run, TrainResult& result);

// Collective. Several ranks: "dist/ranks" and every other rank's generator
// ("dist/rank<r>/rng/seed", "dist/rank<r>/rng/offset"; rank 0's is "rng/seed" and "rng/offset").
// One rank: nothing (a checkpoint without "dist/ranks" is a single process's).
void add_rank_states(const TrainingRun& run, Checkpoint& checkpoint);
// Refuses a checkpoint of another rank count, naming both; restores this rank's generator.
void restore_rank_state(TrainingRun& run, const Checkpoint& checkpoint, const std::string& path);

}  // namespace tt::train

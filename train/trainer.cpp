#include "tinytune/train/trainer.h"

#include <chrono>
#include <filesystem>
#include <optional>

#include "tinytune/train/data_parallel.h"
#include "tinytune/train/predict_test_file.h"
#include "tinytune/train/run_checkpoint.h"
#include "tinytune/train/run_lock.h"
#include "tinytune/train/run_report.h"
#include "tinytune/train/train_step.h"
#include "tinytune/train/training_run.h"

namespace tt::train {

std::atomic<int> g_stop_signal{0};

namespace {

bool early_stopping_due(const TrainingRun& run) {
  return run.config.early_stopping > 0 && run.evals_without_improvement >= run.config.early_stopping;
}

// What follows a step: progress, a due evaluation or checkpoint. Returns whether to stop (early
// stopping, a signal, --stop-after); every check runs either way.
bool after_step(TrainingRun& run, ProgressWindow& window, TrainResult& result) {
  const TrainConfig& c = run.config;
  bool stop = false;
  if (writes_outputs(run)) report_progress(run, window);
  if (c.eval_every > 0 && run.step % c.eval_every == 0) {
    evaluate_on_rank0(run, result);
    stop |= early_stopping_due(run);
  }
  if (c.save_every > 0 && run.step % c.save_every == 0) save_run(run);
  if (const int signal = agreed_stop_signal(run)) {  // any rank's, so every rank stops here
    result.stopped_by_signal = signal;
    stop = true;
  }
  if (c.stop_after > 0 && run.step >= c.stop_after) {
    result.stopped_early = true;
    stop = true;
  }
  return stop;
}

// Steps through the epochs until the last step or a stop. Micro-batches that do not fill a
// whole accumulation group at an epoch's end are dropped.
void train_epochs(TrainingRun& run, TrainResult& result) {
  const TrainConfig& c = run.config;
  ProgressWindow window;
  bool stop = false;
  while (!stop && run.step < run.total_steps) {
    const auto plan = run.train_batches->batch_plan(run.epoch);
    const int64_t usable = static_cast<int64_t>(plan.size()) / c.grad_accum * c.grad_accum;
    while (!stop && run.next_batch < usable && run.step < run.total_steps) {
      const auto step_start = std::chrono::steady_clock::now();
      window.add(train_step(run, plan));
      result.train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
      stop = after_step(run, window, result);
    }
    if (run.next_batch < usable) continue;  // stopped (or done) inside the epoch
    if (c.epoch_eval && run.last_eval_step != run.step) {
      evaluate_on_rank0(run, result);
      stop |= early_stopping_due(run);
    }
    ++run.epoch;
    run.next_batch = 0;
    // Saved past the epoch's end (its evaluation done), so a resume starts the next epoch; the
    // run's last step is saved below, after the loop.
    if (c.epoch_save && !stop && run.step < run.total_steps) save_run(run);
  }
}

}  // namespace

TrainResult train_glue(TrainConfig config, std::shared_ptr<dist::Communicator> comm) {
  TrainingRun run = start_run(std::move(config));
  run.comm = std::move(comm);
  std::optional<RunLock> lock;  // rank 0 alone touches the output directory
  if (writes_outputs(run)) {
    std::filesystem::create_directories(run.config.output_dir);
    lock.emplace(run.config.output_dir);  // before anything is read, removed or written there
    claim_output_dir(run.config);  // before anything slow: a refused directory fails at once
  }
  open_task(run);
  load_model(run);
  apply_adapters(run);
  seed_rank_generator(run);
  prepare_optimizer(run);
  if (!run.config.resume.empty()) restore_run(run, run.config.resume);
  check_same_start(run);
  if (writes_outputs(run)) open_report(run);

  TrainResult result;
  result.output_dir = run.config.output_dir;
  train_epochs(run, result);
  save_run(run);
  // The run ends with an evaluation of its last step (dev_last), unless a signal or --stop-after
  // cut it short.
  if (run.last_eval_step != run.step && !result.stopped_by_signal && !result.stopped_early)
    evaluate_on_rank0(run, result);
  result.steps = run.step;
  result.epochs = run.epoch + static_cast<double>(run.next_batch) / std::max<int64_t>(1, run.batches_per_epoch);
  if (writes_outputs(run)) {
    write_results(run, result, result.train_seconds);
    write_test_predictions(run, result);  // with the best weights write_results left in the model
  }
  return result;
}

}  // namespace tt::train

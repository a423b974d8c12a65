// What a training run tells its user and its output directory: the opening line, progress
// lines and metrics.jsonl entries, evaluations (and best.h5), results.json, training.svg.
#pragma once
#include <chrono>
#include <map>
#include <string>

#include "tinytune/train/train_step.h"
#include "tinytune/train/trainer.h"
#include "tinytune/train/training_run.h"

namespace tt::train {

// Opens <output-dir>/metrics.jsonl (appending on --resume) and prints the run's opening line:
// task, split sizes, peft, parameter counts, steps, lr, where it runs.
void open_report(TrainingRun& run);

// The steps since the last progress line.
struct ProgressWindow {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  int64_t examples = 0, steps = 0;
  double loss = 0, grad_norm = 0;
  void add(const StepStats& s);
};
// Every --log-every steps and at the last: a metrics.jsonl line and a progress line (a bar on
// a terminal); then the window starts afresh.
void report_progress(TrainingRun& run, ProgressWindow& window);

// Dev metrics of the model as it is, with the precision the run trains with.
std::map<std::string, double> evaluate(TrainingRun& run);
// Logs an evaluation; a new best is saved to best.h5 and counted for early stopping.
void record_eval(TrainingRun& run, const std::map<std::string, double>& metrics, TrainResult& result);

// results.json, the best adapter (PEFT runs) and training.svg.
void write_results(TrainingRun& run, const TrainResult& result, double train_seconds);

}  // namespace tt::train

// Fine-tuning a BERT checkpoint on a GLUE task: full fine-tuning or LoRA, AdamW with a warmup
// schedule, gradient accumulation and clipping, evaluation every N steps and at each epoch's
// end, the best checkpoint by the task's main metric, early stopping, HDF5 checkpoints with an
// exact resume, and SIGINT/SIGTERM handled at a step boundary.
//
// Files in the output directory:
//   metrics.jsonl   a line per logged step {"step","epoch","loss","lr","examples_per_second",
//                   "grad_norm" (the mean norm before clipping, when --max-grad-norm > 0)}
//                   and per evaluation {"step","epoch","eval":{...}}
//   results.json    task, peft, model, dev metrics of the best evaluation and of the last,
//                   parameter counts, steps, epochs, seconds in optimizer steps, examples/s,
//                   peak memory
//   checkpoint.h5   the full training state (resume from it); best.h5: the best weights
//   training.svg    loss and dev metric against the step
//   adapter/        PEFT runs: the best evaluation's adapter in HF PEFT's layout
//                   (adapter_config.json, adapter_model.safetensors; peft/adapter_io.h)
//   run.lock        locked while a run writes here: a second run on the directory is refused
//                   (train/run_lock.h)
#pragma once
#include <atomic>
#include <map>
#include <string>

#include "tinytune/train/train_config.h"

namespace tt::train {

// Set by the CLI's signal handler; the trainer finishes the step, saves and returns.
extern std::atomic<int> g_stop_signal;

struct TrainResult {
  std::map<std::string, double> best_metrics;  // dev metrics at the best evaluation
  std::map<std::string, double> final_metrics;
  int64_t steps = 0;
  double epochs = 0;
  int stopped_by_signal = 0;  // the signal number, or 0
  bool stopped_early = false;  // by --stop-after or --early-stopping
  // Seconds spent in optimizer steps (batch, forward, backward, clipping, AdamW, schedule):
  // no evaluation and no checkpoint write, the region the PyTorch reference times too
  // (benchmarks/RESULTS.md, "Training speed"). results.json's examples/s divide by it.
  double train_seconds = 0;
  std::string output_dir;
};

TrainResult train_glue(TrainConfig config);

}  // namespace tt::train

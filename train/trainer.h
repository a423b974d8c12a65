// Fine-tuning a BERT checkpoint on a GLUE task, or on your own CSV/TSV/JSONL files
// (data/text_dataset.h): full fine-tuning or LoRA, AdamW with a warmup schedule, gradient accumulation and clipping, evaluation every N steps and at each epoch's
// end, the best checkpoint by the task's main metric, early stopping, HDF5 checkpoints with an
// exact resume, and SIGINT/SIGTERM handled at a step boundary. Under `mpirun -np N` one model is
// trained data-parallel, rank 0 writing the files below (train/data_parallel.h).
//
// Files in the output directory (refused when it holds a run already, unless
// --overwrite-output-dir or --resume):
//   metrics.jsonl   a line per logged step {"step","epoch","loss","lr","examples_per_second",
//                   "grad_norm" (the mean norm before clipping, when --max-grad-norm > 0)}
//                   and per evaluation {"step","epoch","eval":{...}}; a resumed run appends
//                   (dropping any line past its checkpoint's step), so the file covers the run
//   results.json    task, peft, model, dev metrics of the best evaluation and of the last,
//                   parameter counts, steps, epochs, seconds in optimizer steps, examples/s,
//                   peak memory; own-data runs add "labels" (class-id order) and "problem_type".
//                   MNLI's metrics carry the mismatched dev set's beside ("accuracy_mm").
//   train_results.json, eval_results.json, all_results.json
//                   HF Trainer's keys: epoch, train_runtime, train_samples(_per_second),
//                   train_steps_per_second, train_loss (mean of the logged losses); eval_<metric>
//                   of the last evaluation, eval_loss, eval_samples
//   predict_results.txt, test_results.json
//                   own data with --test-file: the best model's predictions on it as HF's
//                   run_classification writes them ("index<TAB>prediction"), and, when it is
//                   labelled, test_<metric>, test_loss, test_samples (also in all_results.json);
//                   train/predict_test_file.h
//   checkpoint.h5   the full training state (resume from it), written at each epoch's end and
//                   at the run's end; best.h5: the best weights
//   training.svg    the logged loss and the dev metric against the step, read from metrics.jsonl
//   adapter/        PEFT runs: the best evaluation's adapter in HF PEFT's layout
//                   (adapter_config.json, adapter_model.safetensors; peft/adapter_io.h), with
//                   the task's label names (tinytune_label_names)
//   model/          full fine-tuning: the best evaluation's model as an HF model directory
//                   (config.json, model.safetensors, vocab.txt, tokenizer_config.json;
//                   train/hf_export.h)
//   run.lock        locked while a run writes here: a second run on the directory is refused
//                   (train/run_lock.h)
#pragma once
#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "tinytune/train/train_config.h"

namespace tt::dist {
class Communicator;
}

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

// `comm`: the data-parallel job this process is a rank of (train/data_parallel.h; every rank
// calls train_glue with the same config); null: a single process.
TrainResult train_glue(TrainConfig config, std::shared_ptr<dist::Communicator> comm = nullptr);

}  // namespace tt::train

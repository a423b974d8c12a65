// A training run's state in checkpoint files (train/checkpoint.h): checkpoint.h5 (everything a
// --resume needs), best.h5 (the best evaluation's weights) and, at the end of a run, the best
// weights as an HF PEFT adapter directory (PEFT) or an HF model directory (full fine-tuning).
#pragma once
#include <string>

#include "tinytune/train/checkpoint.h"
#include "tinytune/train/training_run.h"

namespace tt::train {

// The trainable tensors (CPU copies), the position, the generator, the early-stopping state and
// the config; with the optimizer's moments and step count when `with_optimizer`.
Checkpoint capture_run(const TrainingRun& run, bool with_optimizer);
// <output-dir>/checkpoint.h5 from capture_run(run, true), with the ranks' states
// (train/data_parallel.h). Every rank calls it; rank 0 writes.
void save_run(const TrainingRun& run);
// Continues `run` from `path` (--resume). Errors name the file: not a train_glue checkpoint, a
// setting that shapes the run (task, peft, batch size, seed, ...) that differs, a tensor
// missing or of another shape, another number of processes.
void restore_run(TrainingRun& run, const std::string& path);
// <output-dir>/adapter/ from best.h5's weights (nothing when no evaluation ran), with the
// task's label names. The run is over: this leaves the best weights in the model.
void save_best_adapter(TrainingRun& run);
// Full fine-tuning: <output-dir>/model/, best.h5's weights as an HF model directory
// (train/hf_export.h; replaced if there). Leaves the best weights in the model.
void save_best_model(TrainingRun& run);

}  // namespace tt::train

// One optimizer step of a training run, and the loss it minimises.
#pragma once
#include <cstdint>
#include <vector>

#include "tinytune/data/batching.h"
#include "tinytune/nn/bert.h"
#include "tinytune/train/training_run.h"

namespace tt::train {

// The loss a batch trains on: the task's (cross-entropy; MSE for a regression task) plus the
// sum of every installed adapter's extra_loss() (peft::adapters_extra_loss) — a family brings
// its own term (qGOFT's λ·Σ⟨α,β⟩²) without the trainer knowing it.
Tensor training_loss(nn::BertForSequenceClassification& model, const data::Batch& batch, bool regression);

struct StepStats {
  double loss = 0;        // the step's loss (the mean over its micro-batches)
  int64_t examples = 0;   // examples it trained on (all ranks')
  double grad_norm = 0;   // the gradient norm before clipping (0 when clipping is off)
};

// Sets the scheduled lr, runs config.grad_accum micro-batches of `plan` from run.next_batch
// (forward, training_loss, backward; under bf16 autocast with --bf16), clips, steps AdamW and
// zeroes the gradients. Advances run.next_batch, run.step and run.examples_seen. With several
// ranks each runs its share of every micro-batch and the gradients are averaged before
// clipping (train/data_parallel.h); the stats are the whole step's, over all ranks.
StepStats train_step(TrainingRun& run, const std::vector<std::vector<int64_t>>& plan);

}  // namespace tt::train

#include "tinytune/train/train_step.h"

#include "tinytune/core/autocast.h"
#include "tinytune/core/ops.h"
#include "tinytune/peft/peft.h"
#include "tinytune/train/clip_grad.h"
#include "tinytune/train/data_parallel.h"

namespace tt::train {

Tensor training_loss(nn::BertForSequenceClassification& model, const data::Batch& batch, bool regression) {
  Tensor logits = model.forward({batch.input_ids, batch.token_type_ids, batch.attention_mask});
  Tensor loss = regression ? mse_loss(logits.squeeze(-1), batch.labels.to(logits.dtype()))
                           : cross_entropy(logits, batch.labels);
  if (Tensor extra = peft::adapters_extra_loss(model); extra.defined()) loss = add(loss, extra);
  return loss;
}

StepStats train_step(TrainingRun& run, const std::vector<std::vector<int64_t>>& plan) {
  const TrainConfig& c = run.config;
  run.optimizer->set_lr(run.lr * run.schedule->factor(run.step));
  // This rank's examples of each micro-batch (all of them with one process) and their weights.
  const StepShare share = step_share(run, plan);
  StepStats stats;
  for (int64_t micro = 0; micro < c.grad_accum; ++micro, ++run.next_batch) {
    if (share.examples[micro].empty()) continue;  // a short batch can leave a rank without any
    data::Batch b = run.train_batches->make_batch(share.examples[micro]).to(run.device);
    AutocastBf16 bf16(c.bf16);  // --bf16: these matmuls, and their backward, in bf16
    Tensor loss = training_loss(*run.model, b, run.spec->is_regression);
    if (c.grad_accum > 1) loss = div(loss, static_cast<double>(c.grad_accum));
    stats.loss += loss.item() * share.loss_part[micro];
    if (share.grad_scale[micro] != 1.0) loss = mul(loss, share.grad_scale[micro]);
    loss.backward();
  }
  stats.examples = share.step_examples;
  stats.loss = synchronize_step(run, share.local_examples, stats.loss);
  if (c.max_grad_norm > 0) stats.grad_norm = clip_grad_norm(run.trainable_params, c.max_grad_norm);
  run.optimizer->step();
  run.optimizer->zero_grad();
  ++run.step;
  run.examples_seen += stats.examples;
  return stats;
}

}  // namespace tt::train

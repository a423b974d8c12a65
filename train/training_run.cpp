#include "tinytune/train/training_run.h"

#include <omp.h>

#include <iostream>

#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/random.h"
#include "tinytune/peft/peft.h"
#include "tinytune/train/few_shot.h"
#include "tinytune/train/glue_task.h"

namespace tt::train {

namespace {

// --device: auto takes the first CUDA device when there is one.
Device resolve_device(const TrainConfig& config) {
  if (config.device == "cpu") return Device::cpu();
  if (cuda::is_available()) return Device::cuda(0);
  if (config.device == "auto") return Device::cpu();
#ifdef TINYTUNE_WITH_CUDA
  throw Error("--device cuda: no CUDA device found (no GPU, or no driver); use --device cpu or auto");
#else
  throw Error("--device cuda: this build has no CUDA (configured with -DTINYTUNE_CUDA=OFF or "
              "without nvcc); use --device cpu or auto");
#endif
}

}  // namespace

TrainingRun start_run(TrainConfig config) {
  config.validate();
  TrainingRun run;
  run.device = resolve_device(config);
  TT_CHECK(!config.bf16 || !run.device.is_cpu(), "--bf16: bf16 autocast runs on CUDA only, and this run "
           "is on the CPU (--device ", config.device, " found no CUDA device)");
  if (config.threads > 0) omp_set_num_threads(config.threads);
  if (config.output_dir.empty())
    config.output_dir = "runs/" + config.task + "-" + config.peft + "-seed" + std::to_string(config.seed);
  run.config = std::move(config);
  return run;
}

void open_task(TrainingRun& run) {
  const TrainConfig& c = run.config;
  OpenedGlueTask opened = open_glue_task(
      {.task = c.task, .data_dir = c.data_dir, .files = {"train", "dev"}, .model_dir = c.model_dir});
  run.task = opened.task;
  run.spec = opened.spec;
  data::GlueSplit& train_split = opened.splits[0];
  const data::GlueSplit& dev_split = opened.splits[1];
  if (c.train_limit > 0) train_split = few_shot_subset(train_split, c.train_limit, c.seed, "--train-limit");
  for (const data::GlueSplit* s : std::initializer_list<const data::GlueSplit*>{&train_split, &dev_split})
    if (!s->skip_report().empty()) std::cerr << s->skip_report() << "\n";
  run.train_examples = static_cast<int64_t>(train_split.examples.size());
  run.dev_examples = static_cast<int64_t>(dev_split.examples.size());
  run.train_batches = std::make_unique<data::Batcher>(
      train_split, *opened.tokenizer,
      data::BatcherOptions{.batch_size = c.batch_size, .max_seq_length = c.max_seq_length,
                           .shuffle = true, .seed = c.seed});
  run.dev_batches = std::make_unique<data::Batcher>(
      dev_split, *opened.tokenizer,
      data::BatcherOptions{.batch_size = c.eval_batch_size, .max_seq_length = c.max_seq_length});
  run.batches_per_epoch = run.train_batches->num_batches();
}

void load_model(TrainingRun& run) {
  manual_seed(run.config.seed);  // classifier and adapter init, then dropout masks
  run.model = load_glue_classifier(run.config.model_dir, *run.spec, run.config.dropout);
}

void apply_adapters(TrainingRun& run) {
  if (run.config.peft != "full") {
    run.config.adapter.method = run.config.peft;
    peft::apply_peft(*run.model, run.config.adapter, {"classifier."});
  }
  // After the adapters exist (they move with the model), before the optimizer makes its state.
  run.model->to(run.device);
  for (auto& [name, p] : run.model->named_parameters())
    if (p.requires_grad()) {
      run.trainable.emplace_back(name, p);
      run.trainable_params.push_back(p);
    }
  run.model->train();
}

void prepare_optimizer(TrainingRun& run) {
  const TrainConfig& c = run.config;
  const int64_t steps_per_epoch = std::max<int64_t>(1, run.batches_per_epoch / c.grad_accum);
  run.total_steps = c.max_steps > 0 ? c.max_steps : steps_per_epoch * c.epochs;
  run.lr = c.effective_lr();
  run.optimizer = std::make_unique<AdamW>(
      decay_groups(run.trainable, c.weight_decay, "classifier.", c.effective_head_lr() / run.lr),
      AdamWOptions{.lr = run.lr});
  run.schedule = std::make_unique<LrSchedule>(
      parse_schedule(c.schedule),
      static_cast<int64_t>(std::ceil(c.warmup_ratio * static_cast<double>(run.total_steps))),
      run.total_steps);
}

}  // namespace tt::train

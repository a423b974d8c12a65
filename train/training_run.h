// One GLUE fine-tuning run as named stages. train_glue (train/trainer.h) calls them in this
// order; a program or a test may call them one by one:
//   TrainingRun run = start_run(config);  // validated config, output directory, device
//   open_task(run);                       // task, train and dev splits, tokenizer -> batches
//   load_model(run);                      // BERT with the task's head, seeded
//   apply_adapters(run);                  // config.peft's family (peft/registry.h), device
//   prepare_optimizer(run);               // AdamW, schedule, the number of steps
// then train_step (train/train_step.h), evaluate and report (train/run_report.h), checkpoints
// (train/run_checkpoint.h). Nothing here knows an adapter family by name.
#pragma once
#include <cmath>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tinytune/data/batching.h"
#include "tinytune/nn/bert.h"
#include "tinytune/train/adamw.h"
#include "tinytune/train/lr_schedule.h"
#include "tinytune/train/train_config.h"

namespace tt::dist {
class Communicator;
}

namespace tt::train {

struct TrainingRun {
  TrainConfig config;  // validated; output_dir filled in; adapter.method = peft
  Device device = Device::cpu();
  data::GlueTask task;
  // The task's spec: a GLUE task's (data::glue_spec), or your own data's (own_spec, which it
  // then points at: labels, metrics, regression or not; data/text_dataset.h).
  const data::GlueTaskSpec* spec = nullptr;
  std::shared_ptr<const data::GlueTaskSpec> own_spec;
  int64_t train_examples = 0, dev_examples = 0;
  std::unique_ptr<data::Batcher> train_batches, dev_batches;
  // More dev sets, evaluated beside the first, their metrics keyed "<metric>_<suffix>": MNLI's
  // mismatched one ("mm", as HF's run_glue reports it).
  std::vector<std::pair<std::string, std::unique_ptr<data::Batcher>>> extra_dev;
  int64_t test_examples = 0;  // own data: the --test-file's examples (read and checked)
  // Own data: the --test-file's batches, predicted with the best model at the run's end
  // (train/predict_test_file.h); null without a test file.
  std::unique_ptr<data::Batcher> test_batches;
  bool test_labelled = false;  // the test file has the label column
  std::shared_ptr<nn::BertForSequenceClassification> model;
  std::vector<std::pair<std::string, Tensor>> trainable;  // named, in a fixed order
  std::vector<Tensor> trainable_params;                    // the same tensors, unnamed
  std::unique_ptr<AdamW> optimizer;
  std::unique_ptr<LrSchedule> schedule;
  double lr = 0;  // the peak learning rate (the schedule scales it)
  int64_t total_steps = 0, batches_per_epoch = 0;
  // Position: the next micro-batch to run is batch `next_batch` of epoch `epoch`.
  int64_t step = 0, epoch = 0, next_batch = 0;
  int64_t examples_seen = 0;  // by this process (a resumed run counts from its resume)
  double best_metric = -INFINITY;
  int64_t evals_without_improvement = 0;
  int64_t last_eval_step = -1;  // the step of this process's latest evaluation
  double last_eval_loss = NAN;  // the latest evaluation's mean dev loss
  std::ofstream metrics;        // metrics.jsonl
  // The data-parallel job this process is a rank of (train/data_parallel.h); null: one process.
  std::shared_ptr<dist::Communicator> comm;
};

// Validates `config`, picks the device (--device), sets the OpenMP threads and the default
// output directory. Errors name the flag.
TrainingRun start_run(TrainConfig config);
// Refuses an output directory that holds a run (results.json, checkpoint.h5 or metrics.jsonl)
// unless --overwrite-output-dir (then the old run's outputs are removed, so no old weights pass
// for this run's) or --resume; creates it.
void claim_output_dir(const TrainConfig& config);
// Reads the train split (--train-limit applied) and the dev split(s), checking the files exist
// first, and tokenizes them into batches: the GLUE task's files, or with --train-file your own
// (data/text_dataset.h).
void open_task(TrainingRun& run);
// Seeds the generator (--seed: the head's init, the adapters', then dropout) and loads the model.
void load_model(TrainingRun& run);
// Installs config.peft's adapters (none for full fine-tuning), moves the model to the device
// and lists the trainable parameters.
void apply_adapters(TrainingRun& run);
// AdamW over the trainable parameters (the head's own lr), the lr schedule, the step count.
void prepare_optimizer(TrainingRun& run);

}  // namespace tt::train

// train_glue's command line (train/tools/train_glue.cpp): its options, their CLI11 definitions
// and the checks after parsing, shared with the flag-parsing fuzz target
// (tests/fuzz/fuzz_tool_flags.cpp).
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "tinytune/peft/registry.h"
#include "tinytune/train/evaluate.h"
#include "tinytune/train/train_config.h"

namespace tt::tools::train_glue {

// The TrainConfig, and the comma-separated lists it gets after parsing.
struct Options {
  train::TrainConfig config;
  std::string target_modules = "query,value", text_columns = "sentence";
  std::string dist_backend = "auto";  // train/data_parallel.h: open_communicator
};

// "full, lora, ... or qgoft": every registered family (peft/registry.h).
inline std::string peft_choices() {
  const std::vector<std::string>& families = peft::family_names();
  std::string out = "full";
  for (size_t i = 0; i < families.size(); ++i) out += (i + 1 == families.size() ? " or " : ", ") + families[i];
  return out;
}

inline void add_run_flags(CLI::App& app, train::TrainConfig& c) {
  app.add_option("--task", c.task, "cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli")->capture_default_str();
  app.add_option("--model", c.model_dir, "HF BERT directory (config.json, vocab.txt, model.safetensors)")->capture_default_str();
  app.add_option("--data-dir", c.data_dir, "GLUE root with <TASK>/train.tsv, dev.tsv (scripts/get_glue.sh)")->capture_default_str();
  app.add_option("--output-dir", c.output_dir, "default runs/<task>-<peft>-seed<seed>");
  app.add_option("--peft", c.peft, peft_choices())->capture_default_str();
  app.add_option("--epochs", c.epochs)->capture_default_str();
  app.add_option("--max-steps", c.max_steps, "optimizer steps; > 0 overrides --epochs")->capture_default_str();
  app.add_option("--batch-size", c.batch_size)->capture_default_str();
  app.add_option("--eval-batch-size", c.eval_batch_size)->capture_default_str();
  app.add_option("--lr", c.lr, "0: the method's default (full 2e-5, lora/condlora 5e-4, c3a 1e-1, goft/qgoft 1e-2)")->capture_default_str();
  app.add_option("--head-lr", c.head_lr, "the classifier's lr; 0: the same as --lr")->capture_default_str();
  app.add_option("--dropout", c.dropout, "the model's hidden, attention and classifier dropout; < 0: config.json's")->capture_default_str();
  app.add_option("--weight-decay", c.weight_decay)->capture_default_str();
  app.add_option("--adam-epsilon", c.adam_epsilon, "AdamW's eps, added to the root of the second moment")->capture_default_str();
  app.add_option("--warmup-ratio", c.warmup_ratio)->capture_default_str();
  app.add_option("--schedule", c.schedule, "linear or constant (after warmup)")->capture_default_str();
  app.add_option("--max-seq-length", c.max_seq_length)->capture_default_str();
  app.add_option("--seed", c.seed)->capture_default_str();
  app.add_option("--device", c.device, "auto (CUDA when there is a device), cpu or cuda")->capture_default_str();
  app.add_flag("--bf16", c.bf16, "bf16 autocast of the matmuls, f32 master weights (CUDA only)");
  app.add_option("--eval-every", c.eval_every, "optimizer steps; 0: each epoch's end")->capture_default_str();
  app.add_flag("!--no-epoch-eval", c.epoch_eval, "no evaluation at each epoch's end (with --eval-every 0: "
               "one, after the last step)");
  app.add_option("--grad-accum", c.grad_accum)->capture_default_str();
  app.add_option("--max-grad-norm", c.max_grad_norm, "0 disables clipping")->capture_default_str();
  app.add_option("--threads", c.threads, "0: OpenMP's default")->capture_default_str();
  app.add_option("--resume", c.resume, "checkpoint.h5 of an interrupted run");
  app.add_option("--save-every", c.save_every, "optimizer steps; 0: only at the end")->capture_default_str();
  app.add_option("--early-stopping", c.early_stopping, "evaluations without improvement; 0: never")->capture_default_str();
  app.add_option("--stop-after", c.stop_after, "stop and save after this step, keeping the whole run's schedule")->capture_default_str();
  app.add_option("--log-every", c.log_every)->capture_default_str();
  app.add_flag("--overwrite-output-dir", c.overwrite_output_dir, "replace the run an existing --output-dir holds");
  app.add_flag("!--no-epoch-save", c.epoch_save, "no checkpoint.h5 at each epoch's end (only at the run's end)");
  app.add_option("--train-limit", c.train_limit, "train on the first N examples of a seeded shuffle "
                 "(the same k as lorahub --shots for a seed); 0: all")->capture_default_str();
}

// Your own data instead of a GLUE task (data/text_dataset.h).
inline void add_own_data_flags(CLI::App& app, train::TrainConfig& c, std::string& text_columns) {
  CLI::Option* train = app.add_option("--train-file", c.train_file, "your own training data: .csv, .tsv or "
                                      ".jsonl with named columns (instead of --task)");
  app.get_option("--task")->excludes(train);
  app.add_option("--validation-file", c.validation_file, "your own dev data (needed with --train-file)");
  app.add_option("--test-file", c.test_file, "your own test data (read and checked; labels optional)");
  app.add_option("--text-columns", text_columns, "one text column, or two comma-separated for pairs")->capture_default_str();
  app.add_option("--label-column", c.label_column)->capture_default_str();
  app.add_option("--problem-type", c.problem_type, "auto (strings, integers: classification; other "
                 "numbers: regression), classification or regression")->capture_default_str();
}

// The adapter families' options (every family reads only its own).
inline void add_adapter_flags(CLI::App& app, peft::PeftConfig& a, std::string& target_modules) {
  app.add_option("--target-modules", target_modules, "comma-separated Linear names")->capture_default_str();
  app.add_option("--lora-r", a.lora_r, "LoRA and CondLoRA rank")->capture_default_str();
  app.add_option("--lora-alpha", a.lora_alpha, "scaling s = alpha / r")->capture_default_str();
  app.add_option("--lora-dropout", a.lora_dropout)->capture_default_str();
  app.add_option("--lora-init", a.lora_init, "a (B = 0, A kaiming-uniform), b (A = 0, B random) or gaussian")->capture_default_str();
  app.add_flag("--rslora", a.rslora, "scale by alpha / sqrt(r)");
  app.add_option("--c3a-block-size", a.c3a_block_size, "must divide d_in and d_out of every target")->capture_default_str();
  app.add_option("--c3a-init", a.c3a_init, "xavier_uniform, kaiming_uniform, gaussian or zeros")->capture_default_str();
  app.add_option("--qgoft-lambda", a.qgoft_lambda, "weight of qGOFT's soft-orthogonality term")->capture_default_str();
}

inline void add_train_glue_flags(CLI::App& app, Options& o) {
  // A flag given twice takes its last value, so scripts can override their defaults.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  add_run_flags(app, o.config);
  add_own_data_flags(app, o.config, o.text_columns);
  add_adapter_flags(app, o.config.adapter, o.target_modules);
  app.add_option("--dist-backend", o.dist_backend, "auto (mpi under mpirun, nccl there on CUDA; none "
                 "otherwise), none, mpi or nccl")->capture_default_str();
}

// After parsing: the lists split, the whole config checked (a tt::Error names the flag).
inline void check_train_glue_flags(Options& o) {
  o.config.adapter.target_modules = train::split_commas(o.target_modules);
  o.config.text_columns = train::split_commas(o.text_columns);
  o.config.validate();
}

}  // namespace tt::tools::train_glue

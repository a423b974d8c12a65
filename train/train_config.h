// Every setting of a GLUE fine-tuning run (the train_glue flags), with HF run_glue's defaults
// where it has one.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tinytune/peft/peft.h"

namespace tt::train {

struct TrainConfig {
  std::string task = "sst2";
  std::string model_dir = "models/all-MiniLM-L6-v2";
  std::string data_dir = "data/glue";
  std::string output_dir;  // empty: runs/<task>-<peft>-seed<seed>
  std::string peft = "lora";  // full, or a registered PEFT family (peft/registry.h)
  int64_t epochs = 3;
  int64_t max_steps = 0;  // > 0 overrides epochs
  int64_t batch_size = 32;
  int64_t eval_batch_size = 64;
  double lr = 0.0;       // 0: the method's default (default_lr)
  double head_lr = 0.0;  // the classifier's lr; 0: the same as lr
  double dropout = -1.0;  // the model's hidden, attention and classifier dropout; < 0: config.json's
  double weight_decay = 0.0;
  double adam_epsilon = 1e-8;  // AdamW's eps (HF's adam_epsilon)
  double warmup_ratio = 0.0;
  std::string schedule = "linear";
  int64_t max_seq_length = 128;
  uint64_t seed = 42;
  std::string device = "auto";  // auto: the first CUDA device when there is one, else the CPU
  bool bf16 = false;            // bf16 autocast of the matmuls (core/autocast.h); CUDA only
  int64_t eval_every = 0;  // optimizer steps; 0: at the end of each epoch only
  bool epoch_eval = true;  // also evaluate at each epoch's end; false (with eval_every 0): only
                           // once, after the last step (few-shot runs of many tiny epochs)
  int64_t grad_accum = 1;
  double max_grad_norm = 1.0;  // 0 disables clipping
  int threads = 0;             // 0: OpenMP's default
  std::string resume;
  int64_t save_every = 0;  // optimizer steps; 0: only at the end (and on SIGINT/SIGTERM)
  int64_t early_stopping = 0;  // evaluations without improvement before stopping; 0: never
  int64_t stop_after = 0;  // stop (save, as on SIGINT) after this step, keeping the schedule of
                           // the whole run: time-boxed runs, and the resume test; 0: never
  int64_t log_every = 10;
  int64_t train_limit = 0;  // > 0: train on the first N examples of a seeded shuffle
                            // (train/few_shot.h; the few-shot baselines); 0: all
  peft::PeftConfig adapter;  // the family's options (adapter.method is set from `peft`)
  // Your own data (data/text_dataset.h) instead of a GLUE task: CSV, TSV or JSONL files.
  std::string train_file, validation_file, test_file;  // train_file "": the GLUE task
  std::vector<std::string> text_columns{"sentence"};    // one, or two for sentence pairs
  std::string label_column = "label";
  std::string problem_type = "auto";  // auto, classification or regression
  // An output directory that holds a run (results.json, checkpoint.h5 or metrics.jsonl) is
  // refused unless this is set (the old outputs are removed then) or the run resumes.
  bool overwrite_output_dir = false;
  bool epoch_save = true;  // checkpoint.h5 at each epoch's end, so a killed run loses little

  bool own_data() const { return !train_file.empty(); }

  // Throws tt::Error naming the flag for a value out of range.
  void validate() const;
  double effective_lr() const { return lr > 0 ? lr : default_lr(peft); }
  double effective_head_lr() const { return head_lr > 0 ? head_lr : effective_lr(); }
  // Defaults that train MiniLM well on GLUE with batch 32 (benchmarks/RESULTS.md): full
  // fine-tuning's here, each family's in its registry entry (AdapterFamily::default_lr).
  static double default_lr(const std::string& peft);
  std::string to_json() const;
};

}  // namespace tt::train

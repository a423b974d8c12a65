// lorahub's command line (train/tools/lorahub.cpp): its options and their CLI11 definitions, and
// the checks after parsing, shared with the flag-parsing fuzz target
// (tests/fuzz/fuzz_tool_flags.cpp).
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "tinytune/core/error.h"
#include "tinytune/data/glue.h"
#include "tinytune/peft/lorahub.h"
#include "tinytune/peft/lorahub_head.h"

namespace tt::tools::lorahub {

struct Options {
  std::string model_dir = "models/all-MiniLM-L6-v2";
  std::string modules;
  std::string baseline;
  std::string task = "rte";
  std::string data_dir = "data/glue";
  std::string output_dir;
  std::string mode = "lorahub";
  std::string optimizer = "cobyla";
  int64_t shots = 16;
  int64_t budget = 40;
  uint64_t seed = 42;
  double alpha = 0.05;
  peft::RidgeHeadOptions head;
  int64_t max_seq_length = 128;
  int64_t eval_batch_size = 64;
  int threads = 0;
};

inline void add_lorahub_flags(CLI::App& app, Options& o) {
  // A flag given twice takes its last value (as train_glue), so scripts can override defaults.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--model", o.model_dir, "HF BERT directory (config.json, vocab.txt, model.safetensors)")->capture_default_str();
  app.add_option("--modules", o.modules, "comma-separated LoRA adapter directories (or train_glue output "
                 "directories holding adapter/), all of one architecture");
  app.add_option("--baseline", o.baseline, "base: no composition, the base model with the same ridge head");
  app.add_option("--task", o.task, "the target GLUE task: cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli")->capture_default_str();
  app.add_option("--shots", o.shots, "k: training examples drawn with --seed")->capture_default_str();
  app.add_option("--budget", o.budget, "objective evaluations of the search")->capture_default_str();
  app.add_option("--seed", o.seed, "draws the k examples (and ESCH's samples)")->capture_default_str();
  app.add_option("--output-dir", o.output_dir, "default runs/lorahub-<task>-k<shots>-seed<seed>");
  app.add_option("--mode", o.mode, "lorahub (A and B each weighted: cross terms) or linear (sum of w_i s_i B_i A_i)")->capture_default_str();
  app.add_option("--optimizer", o.optimizer, "cobyla, bobyqa, sbplx or esch (NLopt; peft/lorahub.h)")->capture_default_str();
  app.add_option("--alpha", o.alpha, "weight of the L1 term alpha * mean|w_i|")->capture_default_str();
  app.add_option("--ridge-lambda", o.head.lambda, "ridge penalty of the closed-form head")->capture_default_str();
  app.add_option("--temperature", o.head.temperature, "softmax temperature of the leave-one-out scores")->capture_default_str();
  app.add_option("--data-dir", o.data_dir, "GLUE root with <TASK>/train.tsv, dev.tsv (scripts/get_glue.sh)")->capture_default_str();
  app.add_option("--max-seq-length", o.max_seq_length)->capture_default_str()->check(CLI::Range(int64_t{3}, int64_t{512}));
  app.add_option("--eval-batch-size", o.eval_batch_size)->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--threads", o.threads, "0: OpenMP's default")->capture_default_str();
}

// Flag checks that need no file: a usage error (exit 2) names the flag.
inline void validate(const Options& o, const std::vector<std::string>& modules) {
  data::parse_glue_task(o.task);
  const bool none = modules.size() == 1 && modules[0] == "none";
  if (o.baseline.empty()) {
    TT_CHECK(!modules.empty() && !none, "--modules: the module list is empty (give adapter "
             "directories a,b,...; for the base model with the same head use --baseline base)");
  } else {
    TT_CHECK(o.baseline == "base", "--baseline: expected base, got '", o.baseline, "'");
    TT_CHECK(modules.empty(), "--baseline base composes nothing: leave out --modules");
  }
  peft::parse_composition_mode(o.mode);
  peft::parse_lorahub_optimizer(o.optimizer);
  TT_CHECK(o.shots >= 2, "--shots: leave-one-out needs at least 2 examples, got ", o.shots);
  TT_CHECK(o.budget >= 1, "--budget: must be >= 1 objective evaluation, got ", o.budget);
  TT_CHECK(o.alpha >= 0, "--alpha: must be >= 0, got ", o.alpha);
  o.head.validate();
  TT_CHECK(o.threads >= 0, "--threads: must be >= 0, got ", o.threads);
}

}  // namespace tt::tools::lorahub

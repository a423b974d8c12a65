// bert_encode's command line (train/tools/bert_encode.cpp): its options and their CLI11
// definitions, shared with the flag-parsing fuzz target (tests/fuzz/fuzz_tool_flags.cpp).
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace tt::tools::bert_encode {

struct Options {
  std::string model_dir = "models/all-MiniLM-L6-v2", task_name = "sst2", data_dir = "data/glue";
  std::string split = "dev", output, gemm = "own";
  int64_t batch_size = 32, max_seq_length = 128, save_batches = 4, limit = 0;
  int threads = 0;
};

inline void add_bert_encode_flags(CLI::App& app, Options& o) {
  app.add_option("--model", o.model_dir, "HF BERT directory")->capture_default_str();
  app.add_option("--task", o.task_name, "GLUE task (cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli)")->capture_default_str();
  app.add_option("--data-dir", o.data_dir, "directory with <TASK>/dev.tsv (scripts/get_glue.sh)")->capture_default_str();
  app.add_option("--split", o.split, "file name without .tsv (dev, train, dev_matched, ...)")->capture_default_str();
  app.add_option("--batch-size", o.batch_size)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--max-seq-length", o.max_seq_length)->check(CLI::Range(int64_t{3}, int64_t{512}))->capture_default_str();
  app.add_option("--threads", o.threads, "OpenMP threads (0: OpenMP's default)")->check(CLI::NonNegativeNumber);
  app.add_option("--limit", o.limit, "encode only the first N examples (0: all)")->check(CLI::NonNegativeNumber);
  app.add_option("--output", o.output, "safetensors file for inputs/outputs of the first batches");
  app.add_option("--save-batches", o.save_batches, "how many batches --output keeps")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--gemm", o.gemm, "GEMM backend: own or openblas")->capture_default_str();
}

}  // namespace tt::tools::bert_encode

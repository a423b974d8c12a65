// predict's command line (train/tools/predict.cpp): its options and their CLI11 definitions,
// shared with the flag-parsing fuzz target (tests/fuzz/fuzz_tool_flags.cpp).
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace tt::tools::predict {

struct Options {
  std::string model_dir, adapter_dir, input, input_format, text_columns, output, task;
  std::string label_column, metrics_out;
  int64_t batch_size = 32;
  int64_t max_seq_length = 128;
  int threads = 0;
  bool overwrite = false, quiet = false;
};

inline void add_predict_flags(CLI::App& app, Options& o) {
  app.add_option("--model", o.model_dir, "HF BERT directory (config.json, vocab.txt, model.safetensors)")->required();
  app.add_option("--adapter", o.adapter_dir, "adapter directory (adapter_config.json, adapter_model.safetensors); "
                 "none for a model export_model wrote");
  app.add_option("--input", o.input, "TSV, CSV or JSONL file with a header (- for stdin)")->required();
  app.add_option("--input-format", o.input_format, "tsv, csv or jsonl; default: the --input extension (stdin: tsv)");
  app.add_option("--text-columns", o.text_columns, "the text column, or two for sentence pairs: a[,b]");
  app.add_option("--output", o.output, ".tsv or .jsonl file; with --task a directory for the submission file")->required();
  auto* task = app.add_option("--task", o.task, "write the GLUE submission file of this task's test file (--input)");
  auto* label = app.add_option("--label-column", o.label_column, "the input's gold labels: report accuracy "
                               "and macro-F1 (regression: Pearson and Spearman) on stderr");
  label->excludes(task);
  app.add_option("--metrics-out", o.metrics_out, "with --label-column: the metrics as a JSON file")->needs(label);
  app.add_flag("--overwrite", o.overwrite, "replace an existing output file");
  app.add_option("--batch-size", o.batch_size)->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--max-seq-length", o.max_seq_length)->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--threads", o.threads, "0: OpenMP's default")->capture_default_str();
  app.add_flag("--quiet", o.quiet, "no progress bar");
}

}  // namespace tt::tools::predict

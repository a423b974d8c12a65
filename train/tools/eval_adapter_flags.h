// eval_adapter's command line (train/tools/eval_adapter.cpp): its options and their CLI11
// definitions, shared with the flag-parsing fuzz target (tests/fuzz/fuzz_tool_flags.cpp).
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace tt::tools::eval_adapter {

struct Options {
  std::string task = "sst2";
  std::string model_dir = "models/all-MiniLM-L6-v2";
  std::string adapter_dir;
  std::string data_dir = "data/glue";
  bool merge = false;
  int64_t max_seq_length = 128;
  int64_t eval_batch_size = 64;
  int threads = 0;
  std::string inputs, logits_out;
  std::string export_lora;
  std::string predictions_out;
  std::string validation_file, text_columns = "sentence", label_column = "label";
};

inline void add_eval_adapter_flags(CLI::App& app, Options& o) {
  app.add_option("--task", o.task, "cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli")->capture_default_str();
  app.add_option("--model", o.model_dir, "HF BERT directory (config.json, vocab.txt, model.safetensors)")->capture_default_str();
  app.add_option("--adapter", o.adapter_dir, "adapter directory (adapter_config.json, adapter_model.safetensors); "
                 "none: the model's own classifier");
  app.add_option("--data-dir", o.data_dir, "GLUE root with <TASK>/dev.tsv")->capture_default_str();
  app.add_flag("--merge", o.merge, "merge the adapters into the weights before evaluating");
  app.add_option("--max-seq-length", o.max_seq_length)->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--eval-batch-size", o.eval_batch_size)->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--threads", o.threads, "0: OpenMP's default")->capture_default_str();
  auto* inputs = app.add_option("--inputs", o.inputs, "safetensors with input_ids, token_type_ids, attention_mask: "
                                "write their logits instead of evaluating the dev set");
  app.add_option("--logits-out", o.logits_out, "where --inputs' logits go (safetensors, tensor \"logits\")")
      ->needs(inputs);
  inputs->needs("--logits-out");
  app.add_option("--predictions-out", o.predictions_out, "write the dev predictions here, one line per example");
  auto* export_lora = app.add_option("--export-lora", o.export_lora, "CondLoRA adapters: also write them as an HF PEFT LoRA adapter here");
  auto* own = app.add_option("--validation-file", o.validation_file, "your own labelled .csv, .tsv or .jsonl "
                             "file instead of --task's dev set (the model's classes)");
  own->excludes(inputs)->excludes(export_lora)->excludes("--task")->excludes("--data-dir");
  app.add_option("--text-columns", o.text_columns, "with --validation-file: one text column, or two "
                 "comma-separated for pairs")->capture_default_str();
  app.add_option("--label-column", o.label_column, "with --validation-file")->capture_default_str();
}

}  // namespace tt::tools::eval_adapter

// export_model's command line (train/tools/export_model.cpp): its options and their CLI11
// definitions, shared with the flag-parsing fuzz target (tests/fuzz/fuzz_tool_flags.cpp).
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace tt::tools::export_model {

struct Options {
  std::string model_dir, adapter_dir, output_dir, labels;
  bool overwrite = false;
};

inline void add_export_model_flags(CLI::App& app, Options& o) {
  app.add_option("--model", o.model_dir, "HF BERT directory (config.json, vocab.txt, model.safetensors)")->required();
  app.add_option("--adapter", o.adapter_dir, "adapter directory (adapter_config.json, adapter_model.safetensors)");
  app.add_option("--output-dir", o.output_dir, "the HF model directory to write")->required();
  app.add_option("--labels", o.labels, "comma-separated class names, when the adapter has none");
  app.add_flag("--overwrite", o.overwrite, "replace an existing --output-dir");
}

}  // namespace tt::tools::export_model

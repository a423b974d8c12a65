// export_model: a BERT checkpoint with a fine-tuned adapter (any family: LoRA, CondLoRA, C3A,
// GOFT, qGOFT, ...) merged into its weights, written as a plain Hugging Face model directory
// (train/hf_export.h) that AutoModelForSequenceClassification and AutoTokenizer load as they are.
//   export_model --model DIR --adapter runs/sst2-lora/adapter --output-dir sst2-model
// The class names come from the adapter (train_glue stores them), else from --labels, else
// they are HF's LABEL_k. An existing --output-dir is kept unless --overwrite.
// Exit codes: 0 done; 2 bad flags; 1 a runtime error (the message names the file or flag).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "tinytune/core/cpu_malloc.h"
#include "tinytune/core/error.h"
#include "tinytune/peft/adapter_io.h"
#include "tinytune/train/evaluate.h"
#include "tinytune/train/hf_export.h"
#include "tinytune/train/text_classifier.h"
#include "tinytune/train/tools/export_model_flags.h"
#include "tinytune/train/tools/run_tool.h"

using namespace tt;
namespace fs = std::filesystem;

namespace {

using tools::export_model::Options;

int run(const Options& o) {
  // Checked before anything loads: the commonest mistake costs nothing.
  TT_CHECK(o.overwrite || !fs::exists(o.output_dir), "--output-dir: ", o.output_dir,
           " already exists (pass --overwrite to replace it)");
  const auto classifier = train::TextClassifier::load(o.model_dir, o.adapter_dir, train::split_commas(o.labels));
  const std::string family =
      o.adapter_dir.empty() ? "no" : peft::read_adapter_config(o.adapter_dir).config.method;
  train::export_hf_classifier(classifier.model(), {.source_model_dir = o.model_dir,
                                                   .output_dir = o.output_dir,
                                                   .label_names = classifier.label_names(),
                                                   .overwrite = o.overwrite});
  std::cerr << "export_model: " << o.model_dir << " with " << family << " adapter merged -> "
            << o.output_dir << " (" << classifier.num_labels() << " outputs)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tune_cpu_malloc();  // freed tensors are reused, not faulted in afresh (core/cpu_malloc.h)
  Options o;
  CLI::App app{"Merge an adapter into its BERT model and write an HF model directory"};
  tools::export_model::add_export_model_flags(app, o);
  return tools::parse_and_run(app, argc, argv, "export_model", [&] { return run(o); });
}

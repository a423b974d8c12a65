// eval_adapter: dev metrics of a BERT checkpoint with an adapter loaded from an HF PEFT
// directory (adapter_config.json + adapter_model.safetensors) — one saved by train_glue
// (<output-dir>/adapter) or by HF PEFT's save_pretrained — or, without --adapter, of the
// checkpoint alone (a model export_model wrote).
//   eval_adapter --task sst2 --model DIR --adapter DIR [--merge]
//   eval_adapter --task sst2 --model DIR --adapter DIR --inputs X.safetensors --logits-out Y.safetensors
//   eval_adapter --task sst2 --model DIR --adapter CONDLORA_DIR --export-lora OUT_DIR
//   eval_adapter --model DIR --adapter DIR --validation-file dev.csv --text-columns review --label-column stars
// --merge evaluates with the adapters merged into W0 (plain Linear forward). --export-lora
// writes a CondLoRA adapter as the equivalent HF PEFT LoRA adapter (exact; peft/condlora.h)
// that HF can load, then evaluates as usual. --inputs takes
// input_ids, token_type_ids, attention_mask (i64 [B, S]) instead of the dev set and writes
// "logits" to --logits-out (comparisons against HF on identical inputs).
// --predictions-out FILE writes the dev set's predictions, one line per example in file order
// (the class id, or the score for STS-B): what predict must agree with.
// --validation-file evaluates a labelled file of your own (CSV, TSV or JSONL; data/text_table.h)
// instead of a GLUE dev set, as train_glue does with --train-file: accuracy and macro-F1, or
// Pearson and Spearman for a one-output model. The classes are the model's (the adapter's
// tinytune_label_names, or config.json's id2label: train/text_classifier.h); a label outside
// them is an error naming the file, the line and the known labels.
// Prints one line "dev <metric>=<value> ..." (or nothing with --inputs). Exit codes: 0 done;
// 2 bad flags; 1 a runtime error (the message names the file or flag).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <omp.h>
#include <sstream>

#include "tinytune/core/io/atomic_file.h"
#include "tinytune/core/cpu_malloc.h"
#include "tinytune/core/io/safetensors.h"
#include "tinytune/core/ops.h"
#include "tinytune/data/batching.h"
#include "tinytune/data/text_dataset.h"
#include "tinytune/peft/adapter_io.h"
#include "tinytune/peft/condlora.h"
#include "tinytune/train/evaluate.h"
#include "tinytune/train/glue_task.h"
#include "tinytune/train/text_classifier.h"
#include "tinytune/train/tools/eval_adapter_flags.h"

using namespace tt;

namespace {

using tools::eval_adapter::Options;

void write_predictions_out(const Options& o, const std::vector<double>& predictions) {
  if (o.predictions_out.empty()) return;
  std::ostringstream text;
  text << std::setprecision(9);
  for (double p : predictions) text << p << "\n";
  io::write_file_atomically(o.predictions_out, text.str());
}

// The dev set is opened only here: with --inputs none is needed.
std::map<std::string, double> evaluate_dev(const Options& o, nn::BertForSequenceClassification& model) {
  const train::OpenedGlueTask dev = train::open_glue_task(
      {.task = o.task, .data_dir = o.data_dir, .files = {"dev"}, .model_dir = o.model_dir});
  data::Batcher batches(dev.splits[0], *dev.tokenizer,
                        {.batch_size = o.eval_batch_size, .max_seq_length = o.max_seq_length});
  std::vector<double> predictions;
  auto metrics = train::evaluate_glue(model, batches, dev.task, &predictions);
  write_predictions_out(o, predictions);
  return metrics;
}

// --validation-file: the model (and adapter) as predict loads it, its classes scored on the
// file's labels by the loop train_glue evaluates with.
std::map<std::string, double> evaluate_own_file(const Options& o) {
  const std::string& path = o.validation_file;
  TT_CHECK(std::filesystem::is_regular_file(path), "--validation-file: ", path, " not found");
  const std::vector<std::string> text_columns = train::split_commas(o.text_columns);
  std::vector<std::string> keep = text_columns;
  keep.push_back(o.label_column);
  std::ifstream in(path, std::ios::binary);
  const data::TextTable table = data::read_text_table(in, data::table_format_of(path), path, keep);
  const auto classifier = train::TextClassifier::load(o.model_dir, o.adapter_dir, {}, o.max_seq_length);
  const bool regression = classifier.num_labels() == 1;
  const data::GlueSplit split =
      data::labelled_split(table, text_columns, o.label_column, classifier.label_names(), regression);
  if (o.merge) peft::merge_adapters(classifier.model());
  std::cerr << "eval_adapter: " << path << " (" << split.examples.size() << " rows), adapter from "
            << (o.adapter_dir.empty() ? "nowhere" : o.adapter_dir) << (o.merge ? ", merged" : "") << "\n";
  const data::Batcher batches(split, *train::open_tokenizer(o.model_dir),
                              {.batch_size = o.eval_batch_size, .max_seq_length = o.max_seq_length});
  std::vector<double> predictions;
  auto metrics = train::evaluate_task(classifier.model(), batches,
                                      data::own_task_spec(classifier.label_names(), regression), nullptr,
                                      &predictions);
  write_predictions_out(o, predictions);
  return metrics;
}

void print_dev_metrics(const std::map<std::string, double>& metrics) {
  std::cout << "dev";
  for (auto& [name, value] : metrics) std::cout << ' ' << name << '=' << value;
  std::cout << "\n";
}

void write_logits(const Options& o, nn::BertForSequenceClassification& model) {
  auto in = io::load_safetensors(o.inputs);
  for (const char* key : {"input_ids", "token_type_ids", "attention_mask"})
    TT_CHECK(in.count(key), "--inputs: ", o.inputs, " has no tensor '", key, "'");
  Tensor logits = model.forward({in["input_ids"], in["token_type_ids"], in["attention_mask"]});
  io::save_safetensors(o.logits_out, {{"logits", logits.to(Device::cpu())}});
}

}  // namespace

int main(int argc, char** argv) {
  tune_cpu_malloc();  // freed tensors are reused, not faulted in afresh (core/cpu_malloc.h)
  Options o;
  CLI::App app{"Evaluate a BERT checkpoint with an HF PEFT adapter on a GLUE dev set or a labelled file of your own"};
  tools::eval_adapter::add_eval_adapter_flags(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (o.threads > 0) omp_set_num_threads(o.threads);
    if (!o.validation_file.empty()) {
      print_dev_metrics(evaluate_own_file(o));
      return 0;
    }
    const train::OpenedGlueTask opened = train::open_glue_task({.task = o.task, .data_dir = o.data_dir, .files = {}, .model_dir = ""});
    auto model = train::load_glue_classifier(o.model_dir, *opened.spec);
    peft::AdapterFileConfig loaded;
    loaded.config.method = "no";
    if (!o.adapter_dir.empty()) loaded = peft::load_adapter(*model, o.adapter_dir);
    model->eval();
    NoGradGuard no_grad;
    if (!o.export_lora.empty()) {
      TT_CHECK(loaded.config.method == "condlora", "--export-lora: ", o.adapter_dir, " holds a ",
               loaded.config.method, " adapter; only CondLoRA needs converting to LoRA");
      peft::export_condlora_as_lora(*model, loaded.config, o.export_lora, loaded.base_model_name,
                                    loaded.modules_to_save);
    }
    if (o.merge) peft::merge_adapters(*model);
    std::cerr << "eval_adapter: " << o.task << ", " << loaded.config.method << " adapter from "
              << (o.adapter_dir.empty() ? "nowhere" : o.adapter_dir) << " (" << peft::adapter_parameter_count(*model) << " adapter parameters"
              << (o.merge ? ", merged" : "") << ")\n";
    if (!o.inputs.empty()) {
      write_logits(o, *model);
      return 0;
    }
    print_dev_metrics(evaluate_dev(o, *model));
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "eval_adapter: " << e.what() << "\n";
    return 1;
  }
}

// predict: labels the sentences (or sentence pairs) of a file with a fine-tuned classifier — a
// BERT directory with an adapter (train_glue's <output-dir>/adapter), or a model export_model
// wrote — through train::TextClassifier.
//   predict --model DIR --adapter DIR --input reviews.csv --output labels.tsv
//   predict --model DIR --adapter DIR --input - --input-format jsonl --output labels.jsonl
//   predict --model DIR --adapter DIR --task sst2 --input SST-2/test.tsv --output submission/
//   predict --model DIR --adapter DIR --input dev.csv --label-column label --output labels.tsv
//           --metrics-out metrics.json
// Input: TSV, CSV or JSON Lines by extension (data/text_table.h); the text is --text-columns
// (default: sentence1+sentence2, question1+question2, question+sentence, sentence, text, or the
// first column). Output: one line per input, TSV or JSON Lines by extension
// (train/prediction_files.h). With --task, the input is a GLUE test file and --output a
// directory that receives the benchmark's submission file (SST-2.tsv, MNLI-m.tsv, ...).
// With --label-column, the input's labels are scored too (accuracy and macro-F1, or Pearson and
// Spearman; train/prediction_files.h) against the model's class names, on stderr and in
// --metrics-out's JSON; a label the model does not know is an error naming its line.
// Files appear whole or not at all, and an existing one is kept unless --overwrite.
// Exit codes: 0 done; 2 bad flags; 1 a runtime error (the message names the file or flag).
#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "tinytune/core/cpu_malloc.h"
#include "tinytune/core/error.h"
#include "tinytune/core/io/atomic_file.h"
#include "tinytune/data/text_dataset.h"
#include "tinytune/train/prediction_files.h"
#include "tinytune/train/text_classifier.h"
#include "tinytune/train/tools/predict_flags.h"
#include "tinytune/train/tools/run_tool.h"

using namespace tt;
namespace fs = std::filesystem;

namespace {

using tools::predict::Options;

// The texts to label: one list, or two for sentence pairs.
struct Inputs {
  std::vector<std::string> texts, pairs;
  data::GlueSplit glue;  // --task: the test file as read (its ids)
  data::TextTable table;  // otherwise: the input as read
  std::vector<std::string> text_columns;  // the table's columns the texts come from
};

Inputs read_table_inputs(const Options& o) {
  const bool from_stdin = o.input == "-";
  const data::TableFormat format = !o.input_format.empty() ? data::parse_table_format(o.input_format)
                                   : from_stdin            ? data::TableFormat::tsv
                                                           : data::table_format_of(o.input);
  std::ifstream file;
  if (!from_stdin) {
    TT_CHECK(fs::is_regular_file(o.input), "--input: ", o.input, ": file not found");
    file.open(o.input, std::ios::binary);
    TT_CHECK(file, "--input: ", o.input, ": cannot open for reading");
  }
  const std::string source = from_stdin ? "<stdin>" : o.input;
  Inputs in;
  in.table = data::read_text_table(from_stdin ? std::cin : file, format, source);
  const data::TextTable& table = in.table;
  const std::vector<size_t> columns = train::text_columns(table, o.text_columns);
  for (size_t c : columns) in.text_columns.push_back(table.columns[c]);
  in.texts = train::column_values(table, columns[0]);
  if (columns.size() == 2) in.pairs = train::column_values(table, columns[1]);
  if (!o.label_column.empty()) {
    try {
      table.column(o.label_column);
    } catch (const Error& e) {
      throw Error(detail::concat("--label-column: ", e.what()));
    }
  }
  std::cerr << "predict: " << table.rows.size() << " rows of " << source << ", text from \""
            << table.columns[columns[0]] << (columns.size() == 2 ? "\" + \"" + table.columns[columns[1]] : "")
            << "\"\n";
  return in;
}

Inputs read_glue_inputs(const Options& o) {
  TT_CHECK(o.input != "-", "--input: --task reads a GLUE test file, not stdin");
  TT_CHECK(fs::is_regular_file(o.input), "--input: ", o.input, ": file not found");
  Inputs in;
  in.glue = data::read_glue_split(data::parse_glue_task(o.task), o.input, /*labelled=*/false);
  for (const data::GlueExample& e : in.glue.examples) {
    in.texts.push_back(e.text_a);
    if (e.has_b) in.pairs.push_back(e.text_b);
  }
  return in;
}

// The file the results go to: --output, or with --task the submission file inside it.
std::string output_file(const Options& o) {
  if (o.task.empty()) return o.output;
  return (fs::path(o.output) / train::glue_submission_name(data::parse_glue_task(o.task), o.input)).string();
}

// Labels the texts a chunk at a time, drawing a progress bar on stderr.
std::vector<train::Prediction> predict_all(const train::TextClassifier& classifier, const Inputs& in,
                                           const Options& o) {
  const size_t total = in.texts.size(), chunk = static_cast<size_t>(o.batch_size) * 8;
  std::vector<train::Prediction> out;
  out.reserve(total);
  for (size_t begin = 0; begin < total; begin += chunk) {
    const size_t end = std::min(total, begin + chunk);
    const std::vector<std::string> texts(in.texts.begin() + begin, in.texts.begin() + end);
    const std::vector<std::string> pairs =
        in.pairs.empty() ? std::vector<std::string>{}
                         : std::vector<std::string>(in.pairs.begin() + begin, in.pairs.begin() + end);
    for (auto& p : classifier.predict(texts, pairs, o.batch_size)) out.push_back(std::move(p));
    if (!o.quiet) {
      const int filled = static_cast<int>(30 * end / total);
      std::cerr << "\rpredict: [" << std::string(filled, '#') << std::string(30 - filled, ' ') << "] "
                << end << "/" << total << std::flush;
    }
  }
  if (!o.quiet && total > 0) std::cerr << "\n";
  return out;
}

// A temporary file renamed to <path> on commit (removed if the run fails before); `flag` names
// the option in errors.
std::unique_ptr<io::AtomicFile> open_output(const std::string& path, const std::string& flag) {
  try {
    return std::make_unique<io::AtomicFile>(path);
  } catch (const Error& e) {
    throw Error(detail::concat(flag, ": ", e.what()));
  }
}

// --label-column: the input's labels, scored against the model's classes, on stderr and in
// --metrics-out.
void report_metrics(const data::GlueSplit& gold, const train::TextClassifier& classifier,
                    const std::vector<train::Prediction>& predictions, io::AtomicFile* metrics_file) {
  const auto metrics = train::prediction_metrics(gold, predictions, classifier.label_names());
  nlohmann::json j(metrics);
  j["examples"] = gold.examples.size();
  std::cerr << "predict: " << gold.path << " (" << gold.examples.size() << " labelled rows):";
  for (const auto& [name, value] : metrics) std::cerr << ' ' << name << '=' << value;
  std::cerr << "\n";
  if (!metrics_file) return;
  const std::string bytes = j.dump(2) + "\n";
  metrics_file->write(bytes.data(), bytes.size());
  metrics_file->commit();
}

int run(const Options& o) {
  if (o.threads > 0) omp_set_num_threads(o.threads);
  const std::string path = output_file(o);
  TT_CHECK(o.overwrite || !fs::exists(path), "--output: ", path, " already exists (pass --overwrite to replace it)");
  TT_CHECK(o.metrics_out.empty() || o.overwrite || !fs::exists(o.metrics_out), "--metrics-out: ", o.metrics_out,
           " already exists (pass --overwrite to replace it)");
  const auto format = o.task.empty() ? train::prediction_format_of(path) : train::PredictionFormat::tsv;
  const Inputs in = o.task.empty() ? read_table_inputs(o) : read_glue_inputs(o);
  if (!o.task.empty()) fs::create_directories(o.output);
  // Before the model loads: an unwritable output fails fast.
  const auto file = open_output(path, "--output");
  const auto metrics_file = o.metrics_out.empty() ? nullptr : open_output(o.metrics_out, "--metrics-out");

  const auto classifier = train::TextClassifier::load(o.model_dir, o.adapter_dir, {}, o.max_seq_length);
  if (!o.task.empty()) {
    const data::GlueTaskSpec& spec = data::glue_spec(in.glue.task);
    TT_CHECK(classifier.num_labels() == spec.num_labels, "--task ", o.task, ": the model has ",
             classifier.num_labels(), " outputs but ", spec.folder, " needs ", spec.num_labels,
             " (is --adapter the one trained on this task?)");
  }
  // The labels are checked against the model's classes before it runs.
  std::optional<data::GlueSplit> gold;
  if (!o.label_column.empty())
    gold = data::labelled_split(in.table, in.text_columns, o.label_column, classifier.label_names(),
                                classifier.num_labels() == 1);
  // Timed: tokenizing, the forward passes and formatting the lines; not reading the input or
  // loading the model (benchmarks/predict_side_by_side.sh times PyTorch alike).
  const auto start = std::chrono::steady_clock::now();
  const std::vector<train::Prediction> predictions = predict_all(classifier, in, o);
  std::ostringstream text;
  if (o.task.empty())
    train::write_predictions(text, format, predictions, classifier.label_names());
  else
    train::write_glue_submission(text, in.glue, predictions);
  const std::string bytes = text.str();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  file->write(bytes.data(), bytes.size());
  file->commit();
  char rate[96];
  std::snprintf(rate, sizeof rate, " in %.3f s (%.1f sentences/s)", seconds,
                static_cast<double>(predictions.size()) / std::max(seconds, 1e-9));
  std::cerr << "predict: wrote " << predictions.size() << " predictions to " << path << rate << "\n";
  if (gold) report_metrics(*gold, classifier, predictions, metrics_file.get());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tune_cpu_malloc();  // freed tensors are reused, not faulted in afresh (core/cpu_malloc.h)
  Options o;
  CLI::App app{"Label sentences with a fine-tuned BERT classifier (a model and an adapter)"};
  tools::predict::add_predict_flags(app, o);
  return tools::parse_and_run(app, argc, argv, "predict", [&] { return run(o); });
}

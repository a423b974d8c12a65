#include "tinytune/train/predict_test_file.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "tinytune/core/autocast.h"
#include "tinytune/core/io/atomic_file.h"
#include "tinytune/train/evaluate.h"

namespace tt::train {

namespace fs = std::filesystem;

namespace {

// HF's format: the class name, or the score with three decimals.
std::string prediction_text(const data::GlueTaskSpec& spec, double prediction) {
  if (!spec.is_regression) return spec.labels.at(static_cast<size_t>(prediction));
  char text[64];
  std::snprintf(text, sizeof text, "%.3f", prediction);
  return text;
}

void write_predict_results(const fs::path& dir, const data::GlueTaskSpec& spec,
                           const std::vector<double>& predictions) {
  std::string text = "index\tprediction\n";
  for (size_t i = 0; i < predictions.size(); ++i)
    text += std::to_string(i) + "\t" + prediction_text(spec, predictions[i]) + "\n";
  io::write_file_atomically((dir / "predict_results.txt").string(), text);
}

// test_results.json, and its keys merged into all_results.json (write_results wrote it).
void write_test_metrics(const fs::path& dir, const std::map<std::string, double>& metrics,
                        double loss, int64_t samples) {
  nlohmann::json test = {{"test_loss", loss}, {"test_samples", samples}};
  for (const auto& [name, value] : metrics)
    if (name != "main") test["test_" + name] = value;
  io::write_file_atomically((dir / "test_results.json").string(), test.dump(2) + "\n");
  const fs::path all_path = dir / "all_results.json";
  std::ifstream in(all_path);
  nlohmann::json all = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!all.is_object()) all = nlohmann::json::object();
  all.update(test);
  io::write_file_atomically(all_path.string(), all.dump(2) + "\n");
}

}  // namespace

void write_test_predictions(TrainingRun& run, const TrainResult& result) {
  if (!run.test_batches) return;
  if (result.stopped_by_signal || result.best_metrics.empty()) {
    std::cerr << "train_glue: --test-file not predicted (" << (result.stopped_by_signal ? "stopped by a signal"
              : "no evaluation ran, so there is no best model") << ")\n";
    return;
  }
  AutocastBf16 bf16(run.config.bf16);  // the precision the run evaluates with
  std::vector<double> predictions;
  double loss = NAN;
  const auto metrics = evaluate_task(*run.model, *run.test_batches, *run.spec, &loss, &predictions);
  const fs::path dir(run.config.output_dir);
  write_predict_results(dir, *run.spec, predictions);
  if (run.test_labelled) write_test_metrics(dir, metrics, loss, run.test_examples);
  std::cerr << "train_glue: " << predictions.size() << " test predictions in " << (dir / "predict_results.txt").string();
  if (run.test_labelled) std::cerr << ", test " << nlohmann::json(metrics).dump();
  std::cerr << "\n";
}

}  // namespace tt::train

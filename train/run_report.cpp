#include "tinytune/train/run_report.h"

#include <omp.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "tinytune/core/autocast.h"
#include "tinytune/core/cuda/allocator.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/io/atomic_file.h"
#include "tinytune/peft/peft.h"
#include "tinytune/train/data_parallel.h"
#include "tinytune/train/evaluate.h"
#include "tinytune/train/run_checkpoint.h"
#include "tinytune/train/svg_plot.h"

namespace tt::train {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Peak resident memory of this process (VmHWM), in MiB.
double peak_memory_mib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      double kib = 0;
      status >> kib;
      return kib / 1024.0;
    }
    status.ignore(1 << 16, '\n');
  }
  return 0.0;
}

void log_line(TrainingRun& run, const nlohmann::json& line) { run.metrics << line.dump() << '\n' << std::flush; }

void print_progress_line(const TrainingRun& run, double loss, double rate) {
  const double eta = (run.total_steps - run.step) * run.config.batch_size * run.config.grad_accum /
                     std::max(rate, 1e-9);
  char line[200];
  std::snprintf(line, sizeof line, "step %lld/%lld  loss %.4f  lr %.2e  %.1f ex/s  ETA %.0fs",
                static_cast<long long>(run.step), static_cast<long long>(run.total_steps), loss,
                run.optimizer->lr(), rate, eta);
  if (isatty(fileno(stderr))) {
    const int width = 30, done = static_cast<int>(width * run.step / run.total_steps);
    std::cerr << "\r[" << std::string(done, '#') << std::string(width - done, '.') << "] " << line << std::flush;
  } else {
    std::cerr << line << "\n";
  }
}

nlohmann::json results_json(TrainingRun& run, const TrainResult& result, double train_seconds) {
  const TrainConfig& config = run.config;
  const bool cpu = run.device.is_cpu();
  return {{"task", config.task}, {"peft", config.peft}, {"model", config.model_dir},
          {"dev", result.best_metrics}, {"dev_last", result.final_metrics},
          {"main_metric", run.spec->main_metric},
          {"trainable_parameters", run.model->num_trainable_parameters()},
          {"total_parameters", run.model->num_parameters()},
          {"adapter_parameters", config.peft == "full" ? 0 : peft::adapter_parameter_count(*run.model)},
          {"steps", result.steps},
          {"epochs", result.epochs}, {"train_seconds", train_seconds},
          {"examples_per_second", run.examples_seen / std::max(1e-9, train_seconds)},
          {"peak_memory_mib", peak_memory_mib()}, {"threads", omp_get_max_threads()},
          {"device", cpu ? "cpu" : cuda::device_name()},
          {"peak_device_memory_mib",
           cpu ? 0.0 : cuda::allocator_stats().peak_allocated_bytes / (1024.0 * 1024.0)},
          {"seed", config.seed}, {"config", nlohmann::json::parse(config.to_json())},
          {"stopped_by_signal", result.stopped_by_signal}, {"stopped_early", result.stopped_early}};
}

// Your own data's labels (class-id order) and file sizes; GLUE runs' results.json keeps its keys.
void add_own_data(const TrainingRun& run, nlohmann::json& results) {
  if (!run.config.own_data()) return;
  results["labels"] = run.spec->labels;
  results["problem_type"] = run.spec->is_regression ? "regression" : "classification";
  results["train_examples"] = run.train_examples;
  results["dev_examples"] = run.dev_examples;
  if (!run.config.test_file.empty()) results["test_examples"] = run.test_examples;
}

// The logged losses and dev main metric of the whole run, read back from metrics.jsonl (a
// resumed run's file holds the lines of the run it continues too).
struct LoggedSeries {
  Series loss, metric;
};
LoggedSeries read_logged_series(const fs::path& metrics_file) {
  LoggedSeries out;
  std::ifstream in(metrics_file);
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("step")) continue;
    const double step = j["step"].get<double>();
    if (j.contains("loss") && j["loss"].is_number()) out.loss.emplace_back(step, j["loss"].get<double>());
    if (j.contains("eval") && j["eval"].contains("main") && j["eval"]["main"].is_number())
      out.metric.emplace_back(step, j["eval"]["main"].get<double>());
  }
  return out;
}

// HF Trainer's result files beside results.json: train_results.json, eval_results.json (the
// last evaluation, as HF evaluates the final model) and all_results.json, their union.
void write_hf_results(const TrainingRun& run, const TrainResult& result, double train_seconds,
                      const LoggedSeries& logged) {
  const fs::path dir(run.config.output_dir);
  double loss_sum = 0.0;
  for (const auto& point : logged.loss) loss_sum += point.second;
  const double seconds = std::max(1e-9, train_seconds);
  nlohmann::json train = {{"epoch", result.epochs}, {"train_runtime", train_seconds},
                          {"train_samples", run.train_examples},
                          {"train_samples_per_second", run.examples_seen / seconds},
                          {"train_steps_per_second", result.steps / seconds},
                          {"train_loss", logged.loss.empty() ? NAN : loss_sum / logged.loss.size()}};
  nlohmann::json all = train;
  io::write_file_atomically((dir / "train_results.json").string(), train.dump(2) + "\n");
  if (!result.final_metrics.empty()) {
    nlohmann::json eval = {{"epoch", result.epochs}, {"eval_loss", run.last_eval_loss},
                           {"eval_samples", run.dev_examples}};
    for (const auto& [name, value] : result.final_metrics)
      if (name != "main") eval["eval_" + name] = value;
    io::write_file_atomically((dir / "eval_results.json").string(), eval.dump(2) + "\n");
    all.update(eval);
  }
  io::write_file_atomically((dir / "all_results.json").string(), all.dump(2) + "\n");
}

// On --resume: the lines past the checkpoint's step are dropped (a killed run logged steps its
// checkpoint does not hold; the resumed run logs them again).
void drop_lines_after(const fs::path& metrics_file, int64_t step) {
  std::ifstream in(metrics_file);
  if (!in) return;
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("step") && j["step"].is_number() && j["step"].get<int64_t>() > step) continue;
    kept += line + "\n";
  }
  in.close();
  io::write_file_atomically(metrics_file.string(), kept);
}

}  // namespace

void open_report(TrainingRun& run) {
  const TrainConfig& config = run.config;
  const fs::path metrics_file = fs::path(config.output_dir) / "metrics.jsonl";
  if (!config.resume.empty()) drop_lines_after(metrics_file, run.step);
  run.metrics.open(metrics_file, config.resume.empty() ? std::ios::trunc : std::ios::app);
  TT_CHECK(run.metrics.good(), config.output_dir, "/metrics.jsonl: cannot write");
  nn::Module& model = *run.model;
  std::cerr << "train_glue: " << (config.own_data() ? config.train_file : config.task) << " ("
            << run.train_examples << " train, " << run.dev_examples << " dev), peft " << config.peft << ", trainable parameters "
            << model.num_trainable_parameters() << " of " << model.num_parameters() << " ("
            << 100.0 * model.num_trainable_parameters() / model.num_parameters() << "%)";
  if (config.peft != "full") std::cerr << ", of which adapters " << peft::adapter_parameter_count(model);
  std::cerr << ", " << run.total_steps << " steps, lr " << run.lr << ", ";
  if (run.device.is_cpu())
    std::cerr << "CPU, threads " << omp_get_max_threads();
  else
    std::cerr << cuda::device_name() << (config.bf16 ? ", bf16 autocast" : "");
  if (ranks_of(run) > 1) std::cerr << ", " << ranks_of(run) << " processes (" << dist::to_string(run.comm->backend()) << ")";
  std::cerr << "\n";
}

void ProgressWindow::add(const StepStats& s) {
  examples += s.examples;
  loss += s.loss;
  grad_norm += s.grad_norm;
  ++steps;
}

void report_progress(TrainingRun& run, ProgressWindow& window) {
  if (run.step % run.config.log_every != 0 && run.step != run.total_steps) return;
  const double rate = window.examples / std::max(1e-9, seconds_since(window.start));
  nlohmann::json entry = {{"step", run.step}, {"epoch", run.epoch}, {"loss", window.loss / window.steps},
                          {"lr", run.optimizer->lr()}, {"examples_per_second", rate}};
  if (run.config.max_grad_norm > 0) entry["grad_norm"] = window.grad_norm / window.steps;
  log_line(run, entry);
  print_progress_line(run, window.loss / window.steps, rate);
  window = ProgressWindow{};
}

std::map<std::string, double> evaluate(TrainingRun& run) {
  AutocastBf16 bf16(run.config.bf16);  // evaluate with the precision the run trains with
  std::map<std::string, double> metrics =
      evaluate_task(*run.model, *run.dev_batches, *run.spec, &run.last_eval_loss);
  // MNLI's mismatched dev set: its metrics beside the matched ones ("accuracy_mm"); "main"
  // stays the first dev set's, as in HF's run_glue.
  for (auto& [suffix, batches] : run.extra_dev)
    for (const auto& [name, value] : evaluate_task(*run.model, *batches, *run.spec))
      if (name != "main") metrics[name + "_" + suffix] = value;
  return metrics;
}

void record_eval(TrainingRun& run, const std::map<std::string, double>& metrics, TrainResult& result) {
  nlohmann::json eval(metrics);
  log_line(run, {{"step", run.step}, {"epoch", run.epoch}, {"eval", eval}});
  const double main = metrics.at("main");
  result.final_metrics = metrics;
  run.last_eval_step = run.step;
  std::cerr << "\n[eval] step " << run.step << ": " << eval.dump() << std::endl;
  if (main > run.best_metric) {
    run.best_metric = main;
    run.evals_without_improvement = 0;
    result.best_metrics = metrics;
    save_checkpoint((fs::path(result.output_dir) / "best.h5").string(), capture_run(run, false));
  } else {
    ++run.evals_without_improvement;
  }
}

void write_results(TrainingRun& run, const TrainResult& result, double train_seconds) {
  const TrainConfig& config = run.config;
  nlohmann::json results = results_json(run, result, train_seconds);
  add_own_data(run, results);
  io::write_file_atomically((fs::path(config.output_dir) / "results.json").string(), results.dump(2) + "\n");
  run.metrics.flush();
  const LoggedSeries logged = read_logged_series(fs::path(config.output_dir) / "metrics.jsonl");
  write_hf_results(run, result, train_seconds, logged);
  if (config.peft != "full")
    save_best_adapter(run);
  else
    save_best_model(run);
  write_training_plot((fs::path(config.output_dir) / "training.svg").string(),
                      config.task + " / " + config.peft, logged.loss, run.spec->main_metric, logged.metric);
}

}  // namespace tt::train

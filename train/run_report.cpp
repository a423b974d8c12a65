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
#include "tinytune/train/evaluate.h"
#include "tinytune/train/run_checkpoint.h"

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

}  // namespace

void open_report(TrainingRun& run) {
  const TrainConfig& config = run.config;
  run.metrics.open(fs::path(config.output_dir) / "metrics.jsonl",
                   config.resume.empty() ? std::ios::trunc : std::ios::app);
  TT_CHECK(run.metrics.good(), config.output_dir, "/metrics.jsonl: cannot write");
  nn::Module& model = *run.model;
  std::cerr << "train_glue: " << config.task << " (" << run.train_examples << " train, "
            << run.dev_examples << " dev), peft " << config.peft << ", trainable parameters "
            << model.num_trainable_parameters() << " of " << model.num_parameters() << " ("
            << 100.0 * model.num_trainable_parameters() / model.num_parameters() << "%)";
  if (config.peft != "full") std::cerr << ", of which adapters " << peft::adapter_parameter_count(model);
  std::cerr << ", " << run.total_steps << " steps, lr " << run.lr << ", ";
  if (run.device.is_cpu())
    std::cerr << "CPU, threads " << omp_get_max_threads() << "\n";
  else
    std::cerr << cuda::device_name() << (config.bf16 ? ", bf16 autocast" : "") << "\n";
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
  return evaluate_glue(*run.model, *run.dev_batches, run.task);
}

void record_eval(TrainingRun& run, const std::map<std::string, double>& metrics, TrainResult& result) {
  nlohmann::json eval(metrics);
  log_line(run, {{"step", run.step}, {"epoch", run.epoch}, {"eval", eval}});
  const double main = metrics.at("main");
  run.metric_series.emplace_back(static_cast<double>(run.step), main);
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
  io::write_file_atomically((fs::path(config.output_dir) / "results.json").string(),
                            results_json(run, result, train_seconds).dump(2) + "\n");
  if (config.peft != "full")
    save_best_adapter(run);
  else
    save_best_model(run);
  write_training_plot((fs::path(config.output_dir) / "training.svg").string(),
                      config.task + " / " + config.peft, run.loss_series, run.spec->main_metric,
                      run.metric_series);
}

}  // namespace tt::train

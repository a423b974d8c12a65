#include "tinytune/train/trainer.h"

#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "tinytune/core/autocast.h"
#include "tinytune/core/cuda/allocator.h"
#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/io/atomic_file.h"
#include "tinytune/core/ops.h"
#include "tinytune/data/batching.h"
#include "tinytune/data/wordpiece.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/peft/adapter_io.h"
#include "tinytune/peft/peft.h"
#include "tinytune/train/adamw.h"
#include "tinytune/train/checkpoint.h"
#include "tinytune/train/clip_grad.h"
#include "tinytune/train/evaluate.h"
#include "tinytune/train/few_shot.h"
#include "tinytune/train/lr_schedule.h"
#include "tinytune/train/svg_plot.h"

namespace tt::train {

std::atomic<int> g_stop_signal{0};

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

// --device: auto takes the first CUDA device when there is one.
Device resolve_device(const TrainConfig& config) {
  if (config.device == "cpu") return Device::cpu();
  if (cuda::is_available()) return Device::cuda(0);
  if (config.device == "auto") return Device::cpu();
#ifdef TINYTUNE_WITH_CUDA
  throw Error("--device cuda: no CUDA device found (no GPU, or no driver); use --device cpu or auto");
#else
  throw Error("--device cuda: this build has no CUDA (configured with -DTINYTUNE_CUDA=OFF or "
              "without nvcc); use --device cpu or auto");
#endif
}

struct Run {
  TrainConfig config;
  data::GlueTask task;
  const data::GlueTaskSpec* spec;
  bool regression;
  std::shared_ptr<nn::BertForSequenceClassification> model;
  std::vector<std::pair<std::string, Tensor>> trainable;  // named, in a fixed order
  std::vector<Tensor> trainable_params;                    // the same tensors, unnamed
  std::unique_ptr<data::Batcher> train_batches, dev_batches;
  data::GlueSplit dev_split;
  std::unique_ptr<AdamW> optimizer;
  std::unique_ptr<LrSchedule> schedule;
  int64_t total_steps = 0, batches_per_epoch = 0;
  // Position: the next micro-batch to run is batch `next_batch` of epoch `epoch`.
  int64_t step = 0, epoch = 0, next_batch = 0;
  double best_metric = -INFINITY;
  int64_t evals_without_improvement = 0;
  int64_t last_eval_step = -1;  // the step of this process's latest evaluation
  std::ofstream metrics;
  Series loss_series, metric_series;
};

Tensor compute_loss(const Run& run, const Tensor& logits, const Tensor& labels) {
  if (run.regression) return mse_loss(logits.squeeze(-1), labels.to(logits.dtype()));
  return cross_entropy(logits, labels);
}

std::map<std::string, double> evaluate(Run& run) {
  AutocastBf16 bf16(run.config.bf16);  // evaluate with the precision the run trains with
  return evaluate_glue(*run.model, *run.dev_batches, run.task);
}

// ---- checkpoints -------------------------------------------------------------------------------

Checkpoint capture(const Run& run, bool with_optimizer) {
  Checkpoint c;
  // Checkpoints hold CPU tensors (a run on CUDA resumes on the CPU and the reverse).
  const auto host = [](const Tensor& t) { return t.detach().to(Device::cpu()); };
  for (const auto& [name, p] : run.trainable) c.tensors["model/" + name] = host(p);
  if (with_optimizer) {
    auto& moments = run.optimizer->moments();
    for (size_t i = 0; i < moments.size(); ++i) {
      c.tensors["optimizer/m/" + std::to_string(i)] = host(moments[i].first);
      c.tensors["optimizer/v/" + std::to_string(i)] = host(moments[i].second);
    }
    c.integers["optimizer/steps"] = run.optimizer->steps();
  }
  c.integers["step"] = run.step;
  c.integers["epoch"] = run.epoch;
  c.integers["next_batch"] = run.next_batch;
  c.integers["rng/seed"] = static_cast<int64_t>(default_generator().seed());
  c.integers["rng/offset"] = static_cast<int64_t>(default_generator().offset());
  c.integers["evals_without_improvement"] = run.evals_without_improvement;
  c.reals["best_metric"] = run.best_metric;
  c.strings["config"] = run.config.to_json();
  c.strings["task"] = run.config.task;
  c.strings["peft"] = run.config.peft;
  return c;
}

void restore(Run& run, const std::string& path) {
  Checkpoint c = load_checkpoint(path);
  // Every lookup names the file and the missing entry (a checkpoint of another program, say).
  auto need = [&](const auto& map, const std::string& key) -> const auto& {
    auto it = map.find(key);
    TT_CHECK(it != map.end(), "--resume: ", path, " is not a train_glue checkpoint (no '", key, "')");
    return it->second;
  };
  // A resume must continue the same run: the settings that shape it must agree.
  auto saved = nlohmann::json::parse(need(c.strings, "config"), nullptr, /*allow_exceptions=*/false);
  TT_CHECK(saved.is_object(), "--resume: ", path, ": the stored config is not a JSON object");
  auto now = nlohmann::json::parse(run.config.to_json());
  const auto defaults = nlohmann::json::parse(TrainConfig{}.to_json());
  for (const char* key : {"task", "peft", "batch_size", "seed", "grad_accum", "max_seq_length",
                          "lora_r", "target_modules", "epochs", "max_steps", "lr", "schedule",
                          "lora_init", "c3a_block_size", "head_lr", "bf16", "dropout"}) {
    // A key absent from the checkpoint (written before the setting existed) had its default.
    const nlohmann::json was = saved.contains(key) ? saved[key] : defaults[key];
    TT_CHECK(was == now[key], "--resume: ", path, " was written with ", key, " = ", was.dump(),
             ", this run has ", now[key].dump());
  }
  for (auto& [name, p] : run.trainable) {
    auto it = c.tensors.find("model/" + name);
    TT_CHECK(it != c.tensors.end(), "--resume: ", path, " has no tensor model/", name);
    TT_CHECK(it->second.shape() == p.shape(), "--resume: ", path, ": model/", name, " has shape ",
             shape_str(it->second.shape()), ", the model needs ", shape_str(p.shape()));
    copy_into(p, it->second);
  }
  auto& moments = run.optimizer->moments();
  for (size_t i = 0; i < moments.size(); ++i) {
    auto m = c.tensors.find("optimizer/m/" + std::to_string(i));
    auto v = c.tensors.find("optimizer/v/" + std::to_string(i));
    TT_CHECK(m != c.tensors.end() && v != c.tensors.end(), "--resume: ", path,
             " has no optimizer state for parameter ", i);
    copy_into(moments[i].first, m->second);
    copy_into(moments[i].second, v->second);
  }
  run.optimizer->set_steps(need(c.integers, "optimizer/steps"));
  run.step = need(c.integers, "step");
  run.epoch = need(c.integers, "epoch");
  run.next_batch = need(c.integers, "next_batch");
  run.evals_without_improvement = need(c.integers, "evals_without_improvement");
  run.best_metric = need(c.reals, "best_metric");
  default_generator().manual_seed(static_cast<uint64_t>(need(c.integers, "rng/seed")));
  default_generator().set_offset(static_cast<uint64_t>(need(c.integers, "rng/offset")));
}

void log_line(Run& run, const nlohmann::json& line) { run.metrics << line.dump() << '\n' << std::flush; }

void record_eval(Run& run, const std::map<std::string, double>& metrics, TrainResult& result) {
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
    save_checkpoint((fs::path(result.output_dir) / "best.h5").string(), capture(run, false));
  } else {
    ++run.evals_without_improvement;
  }
}

// The best evaluation's adapter in HF PEFT's layout (<output-dir>/adapter/): best.h5's weights
// go into the model first (the run is over: nothing reads the last weights after this).
void save_best_adapter(Run& run, const std::string& output_dir) {
  const fs::path best = fs::path(output_dir) / "best.h5";
  if (!fs::exists(best)) return;  // stopped before the first evaluation
  Checkpoint c = load_checkpoint(best.string());
  NoGradGuard no_grad;
  for (auto& [name, p] : run.trainable) {
    auto it = c.tensors.find("model/" + name);
    TT_CHECK(it != c.tensors.end(), best.string(), ": no tensor model/", name);
    copy_into(p, it->second);
  }
  peft::save_adapter(*run.model, run.config.adapter, (fs::path(output_dir) / "adapter").string(),
                     run.config.model_dir);
}

}  // namespace

TrainResult train_glue(TrainConfig config) {
  config.validate();
  const Device device = resolve_device(config);
  TT_CHECK(!config.bf16 || !device.is_cpu(), "--bf16: bf16 autocast runs on CUDA only, and this run "
           "is on the CPU (--device ", config.device, " found no CUDA device)");
  if (config.threads > 0) omp_set_num_threads(config.threads);
  if (config.output_dir.empty())
    config.output_dir = "runs/" + config.task + "-" + config.peft + "-seed" + std::to_string(config.seed);
  TrainResult result;
  result.output_dir = config.output_dir;
  Run run;
  run.config = config;
  run.task = data::parse_glue_task(config.task);
  run.spec = &data::glue_spec(run.task);
  run.regression = run.spec->is_regression;

  // Data first: a missing file should fail before the model loads.
  const fs::path task_dir = fs::path(config.data_dir) / run.spec->folder;
  const fs::path train_file = task_dir / "train.tsv";
  const fs::path dev_file = task_dir / run.spec->dev_files[0];
  for (const fs::path& f : {train_file, dev_file})
    TT_CHECK(fs::exists(f), "--data-dir: ", f.string(), " not found (run scripts/get_glue.sh ",
             run.spec->folder, ")");
  data::GlueSplit train_split = data::read_glue_split(run.task, train_file.string(), true);
  if (config.train_limit > 0)
    train_split = few_shot_subset(train_split, config.train_limit, config.seed, "--train-limit");
  run.dev_split = data::read_glue_split(run.task, dev_file.string(), true);
  for (const data::GlueSplit* s : {&train_split, &run.dev_split})
    if (!s->skip_report().empty()) std::cerr << s->skip_report() << "\n";

  manual_seed(config.seed);  // classifier and adapter init, then dropout masks
  const std::string root = nn::resolve_hf_model_dir(config.model_dir);
  data::WordPieceTokenizer tokenizer((fs::path(root) / "vocab.txt").string());
  run.model = nn::load_bert_for_classification(config.model_dir, run.spec->num_labels, nullptr,
                                                config.dropout);
  if (config.peft != "full") {
    config.adapter.method = config.peft;
    peft::apply_peft(*run.model, config.adapter, {"classifier."});
    run.config = config;
  }
  // After the adapters exist (they move with the model), before the optimizer makes its state.
  run.model->to(device);
  for (auto& [name, p] : run.model->named_parameters())
    if (p.requires_grad()) {
      run.trainable.emplace_back(name, p);
      run.trainable_params.push_back(p);
    }
  run.model->train();

  run.train_batches = std::make_unique<data::Batcher>(
      train_split, tokenizer,
      data::BatcherOptions{.batch_size = config.batch_size, .max_seq_length = config.max_seq_length,
                           .shuffle = true, .seed = config.seed});
  run.dev_batches = std::make_unique<data::Batcher>(
      run.dev_split, tokenizer,
      data::BatcherOptions{.batch_size = config.eval_batch_size, .max_seq_length = config.max_seq_length});
  run.batches_per_epoch = run.train_batches->num_batches();
  const int64_t steps_per_epoch = std::max<int64_t>(1, run.batches_per_epoch / config.grad_accum);
  run.total_steps = config.max_steps > 0 ? config.max_steps : steps_per_epoch * config.epochs;
  const double lr = config.effective_lr();
  run.optimizer = std::make_unique<AdamW>(
      decay_groups(run.trainable, config.weight_decay, "classifier.", config.effective_head_lr() / lr),
      AdamWOptions{.lr = lr});
  run.schedule = std::make_unique<LrSchedule>(
      parse_schedule(config.schedule),
      static_cast<int64_t>(std::ceil(config.warmup_ratio * static_cast<double>(run.total_steps))),
      run.total_steps);

  fs::create_directories(config.output_dir);
  const fs::path checkpoint_path = fs::path(config.output_dir) / "checkpoint.h5";
  if (!config.resume.empty()) restore(run, config.resume);
  run.metrics.open(fs::path(config.output_dir) / "metrics.jsonl",
                   config.resume.empty() ? std::ios::trunc : std::ios::app);
  TT_CHECK(run.metrics.good(), config.output_dir, "/metrics.jsonl: cannot write");

  std::cerr << "train_glue: " << config.task << " (" << train_split.examples.size() << " train, "
            << run.dev_split.examples.size() << " dev), peft " << config.peft
            << ", trainable parameters " << run.model->num_trainable_parameters() << " of "
            << run.model->num_parameters() << " ("
            << 100.0 * run.model->num_trainable_parameters() / run.model->num_parameters()
            << "%)";
  if (config.peft != "full")
    std::cerr << ", of which adapters " << peft::adapter_parameter_count(*run.model);
  std::cerr << ", " << run.total_steps << " steps, lr " << lr << ", ";
  if (device.is_cpu())
    std::cerr << "CPU, threads " << omp_get_max_threads() << "\n";
  else
    std::cerr << cuda::device_name() << (config.bf16 ? ", bf16 autocast" : "") << "\n";

  const bool tty = isatty(fileno(stderr));
  const auto start = Clock::now();
  Clock::time_point window_start = start;
  int64_t examples = 0, window_examples = 0;
  double window_loss = 0, window_grad_norm = 0;  // grad_norm: before clipping, when clipping is on
  int64_t window_micro = 0;
  bool stop = false;
  auto save_state = [&] { save_checkpoint(checkpoint_path.string(), capture(run, true)); };

  while (!stop && run.step < run.total_steps) {
    auto plan = run.train_batches->batch_plan(run.epoch);
    // Micro-batches that do not fill a whole accumulation group at the epoch's end are dropped.
    const int64_t usable = static_cast<int64_t>(plan.size()) / config.grad_accum * config.grad_accum;
    while (!stop && run.next_batch < usable && run.step < run.total_steps) {
      run.optimizer->set_lr(lr * run.schedule->factor(run.step));
      double step_loss = 0;
      for (int64_t micro = 0; micro < config.grad_accum; ++micro) {
        data::Batch b = run.train_batches->make_batch(plan[run.next_batch++]).to(device);
        AutocastBf16 bf16(config.bf16);  // --bf16: these matmuls, and their backward, in bf16
        Tensor logits = run.model->forward({b.input_ids, b.token_type_ids, b.attention_mask});
        Tensor loss = compute_loss(run, logits, b.labels);
        if (config.peft == "qgoft" && config.adapter.qgoft_lambda > 0)
          if (Tensor reg = peft::peft_regularization(*run.model); reg.defined())
            loss = add(loss, mul(reg, config.adapter.qgoft_lambda));
        if (config.grad_accum > 1) loss = div(loss, static_cast<double>(config.grad_accum));
        loss.backward();
        step_loss += loss.item();
        examples += b.input_ids.size(0);
        window_examples += b.input_ids.size(0);
      }
      if (config.max_grad_norm > 0)
        window_grad_norm += clip_grad_norm(run.trainable_params, config.max_grad_norm);
      run.optimizer->step();
      run.optimizer->zero_grad();
      ++run.step;
      window_loss += step_loss;
      ++window_micro;
      run.loss_series.emplace_back(static_cast<double>(run.step), step_loss);

      if (run.step % config.log_every == 0 || run.step == run.total_steps) {
        const double rate = window_examples / std::max(1e-9, seconds_since(window_start));
        const double eta = (run.total_steps - run.step) * config.batch_size * config.grad_accum / std::max(rate, 1e-9);
        nlohmann::json entry = {{"step", run.step}, {"epoch", run.epoch}, {"loss", window_loss / window_micro},
                                {"lr", run.optimizer->lr()}, {"examples_per_second", rate}};
        if (config.max_grad_norm > 0) entry["grad_norm"] = window_grad_norm / window_micro;
        log_line(run, entry);
        char line[200];
        std::snprintf(line, sizeof line, "step %lld/%lld  loss %.4f  lr %.2e  %.1f ex/s  ETA %.0fs",
                      static_cast<long long>(run.step), static_cast<long long>(run.total_steps),
                      window_loss / window_micro, run.optimizer->lr(), rate, eta);
        if (tty) {
          const int width = 30, done = static_cast<int>(width * run.step / run.total_steps);
          std::cerr << "\r[" << std::string(done, '#') << std::string(width - done, '.') << "] " << line << std::flush;
        } else {
          std::cerr << line << "\n";
        }
        window_start = Clock::now();
        window_examples = 0;
        window_loss = 0;
        window_grad_norm = 0;
        window_micro = 0;
      }
      if (config.eval_every > 0 && run.step % config.eval_every == 0) {
        record_eval(run, evaluate(run), result);
        if (config.early_stopping > 0 && run.evals_without_improvement >= config.early_stopping) stop = true;
      }
      if (config.save_every > 0 && run.step % config.save_every == 0) save_state();
      if (g_stop_signal.load()) {
        result.stopped_by_signal = g_stop_signal.load();
        stop = true;
      }
      if (config.stop_after > 0 && run.step >= config.stop_after) {
        result.stopped_early = true;
        stop = true;
      }
    }
    if (run.next_batch >= usable) {  // the epoch is complete
      if (config.epoch_eval && run.last_eval_step != run.step) {
        record_eval(run, evaluate(run), result);
        if (config.early_stopping > 0 && run.evals_without_improvement >= config.early_stopping) stop = true;
      }
      ++run.epoch;
      run.next_batch = 0;
    }
  }
  const double train_seconds = seconds_since(start);
  save_state();
  // The run ends with an evaluation of its last step (dev_last), unless a signal or --stop-after
  // cut it short.
  if (run.last_eval_step != run.step && !result.stopped_by_signal && !result.stopped_early)
    record_eval(run, evaluate(run), result);
  result.steps = run.step;
  result.epochs = run.epoch + static_cast<double>(run.next_batch) / std::max<int64_t>(1, run.batches_per_epoch);

  nlohmann::json results = {
      {"task", config.task}, {"peft", config.peft}, {"model", config.model_dir},
      {"dev", result.best_metrics}, {"dev_last", result.final_metrics},
      {"main_metric", run.spec->main_metric},
      {"trainable_parameters", run.model->num_trainable_parameters()},
      {"total_parameters", run.model->num_parameters()},
      {"adapter_parameters", config.peft == "full" ? 0 : peft::adapter_parameter_count(*run.model)},
      {"steps", result.steps},
      {"epochs", result.epochs}, {"train_seconds", train_seconds},
      {"examples_per_second", examples / std::max(1e-9, train_seconds)},
      {"peak_memory_mib", peak_memory_mib()}, {"threads", omp_get_max_threads()},
      {"device", device.is_cpu() ? "cpu" : cuda::device_name()},
      {"peak_device_memory_mib",
       device.is_cpu() ? 0.0 : cuda::allocator_stats().peak_allocated_bytes / (1024.0 * 1024.0)},
      {"seed", config.seed}, {"config", nlohmann::json::parse(config.to_json())},
      {"stopped_by_signal", result.stopped_by_signal}, {"stopped_early", result.stopped_early}};
  io::write_file_atomically((fs::path(config.output_dir) / "results.json").string(), results.dump(2) + "\n");
  if (config.peft != "full") save_best_adapter(run, config.output_dir);
  write_training_plot((fs::path(config.output_dir) / "training.svg").string(),
                      config.task + " / " + config.peft, run.loss_series, run.spec->main_metric,
                      run.metric_series);
  return result;
}

}  // namespace tt::train

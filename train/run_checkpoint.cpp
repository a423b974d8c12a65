#include "tinytune/train/run_checkpoint.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tinytune/core/ops.h"
#include "tinytune/core/random.h"
#include "tinytune/peft/adapter_io.h"
#include "tinytune/train/data_parallel.h"
#include "tinytune/train/hf_export.h"

namespace tt::train {

namespace fs = std::filesystem;

namespace {

// A resume must continue the same run: these settings shape it and must agree.
void check_same_settings(const TrainingRun& run, const std::string& path, const std::string& stored) {
  auto saved = nlohmann::json::parse(stored, nullptr, /*allow_exceptions=*/false);
  TT_CHECK(saved.is_object(), "--resume: ", path, ": the stored config is not a JSON object");
  auto now = nlohmann::json::parse(run.config.to_json());
  const auto defaults = nlohmann::json::parse(TrainConfig{}.to_json());
  for (const char* key : {"task", "peft", "batch_size", "seed", "grad_accum", "max_seq_length",
                          "lora_r", "target_modules", "epochs", "max_steps", "lr", "schedule",
                          "lora_init", "c3a_block_size", "head_lr", "bf16", "dropout", "train_file",
                          "text_columns", "label_column", "problem_type", "adam_epsilon"}) {
    // A key absent from the checkpoint (written before the setting existed, or a GLUE run's
    // own-data keys) had its default; null when it has none.
    const auto entry = [&](const nlohmann::json& j) { return j.contains(key) ? j[key] : nlohmann::json(); };
    const nlohmann::json was = saved.contains(key) ? saved[key] : entry(defaults);
    TT_CHECK(was == entry(now), "--resume: ", path, " was written with ", key, " = ", was.dump(),
             ", this run has ", entry(now).dump());
  }
}

void restore_tensors(TrainingRun& run, const Checkpoint& c, const std::string& path) {
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
}

}  // namespace

Checkpoint capture_run(const TrainingRun& run, bool with_optimizer) {
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

void save_run(const TrainingRun& run) {
  Checkpoint c = capture_run(run, true);
  add_rank_states(run, c);  // every rank takes part: the other ranks' generators travel to rank 0
  if (writes_outputs(run)) save_checkpoint((fs::path(run.config.output_dir) / "checkpoint.h5").string(), c);
}

void restore_run(TrainingRun& run, const std::string& path) {
  Checkpoint c = load_checkpoint(path);
  // Every lookup names the file and the missing entry (a checkpoint of another program, say).
  auto need = [&](const auto& map, const std::string& key) -> const auto& {
    auto it = map.find(key);
    TT_CHECK(it != map.end(), "--resume: ", path, " is not a train_glue checkpoint (no '", key, "')");
    return it->second;
  };
  check_same_settings(run, path, need(c.strings, "config"));
  restore_tensors(run, c, path);
  run.optimizer->set_steps(need(c.integers, "optimizer/steps"));
  run.step = need(c.integers, "step");
  run.epoch = need(c.integers, "epoch");
  run.next_batch = need(c.integers, "next_batch");
  run.evals_without_improvement = need(c.integers, "evals_without_improvement");
  run.best_metric = need(c.reals, "best_metric");
  default_generator().manual_seed(static_cast<uint64_t>(need(c.integers, "rng/seed")));
  default_generator().set_offset(static_cast<uint64_t>(need(c.integers, "rng/offset")));
  restore_rank_state(run, c, path);  // the rank count must match; ranks > 0: their own generator
}

namespace {

// best.h5's weights into the model (the run is over: nothing reads the last weights after
// this). False when there is no best.h5 (stopped before the first evaluation).
bool restore_best_weights(TrainingRun& run) {
  const fs::path best = fs::path(run.config.output_dir) / "best.h5";
  if (!fs::exists(best)) return false;
  Checkpoint c = load_checkpoint(best.string());
  NoGradGuard no_grad;
  for (auto& [name, p] : run.trainable) {
    auto it = c.tensors.find("model/" + name);
    TT_CHECK(it != c.tensors.end(), best.string(), ": no tensor model/", name);
    copy_into(p, it->second);
  }
  return true;
}

}  // namespace

// The best evaluation's adapter in HF PEFT's layout (<output-dir>/adapter/).
void save_best_adapter(TrainingRun& run) {
  if (!restore_best_weights(run)) return;
  // The class names travel with the adapter (tinytune_label_names), so predict needs no --task.
  peft::save_adapter(*run.model, run.config.adapter, (fs::path(run.config.output_dir) / "adapter").string(),
                     run.config.model_dir, {"classifier"}, run.spec->labels);
}

// Full fine-tuning: the best evaluation's model as an HF model directory (<output-dir>/model/).
void save_best_model(TrainingRun& run) {
  if (!restore_best_weights(run)) return;
  export_hf_classifier(*run.model, {.source_model_dir = run.config.model_dir,
                                    .output_dir = (fs::path(run.config.output_dir) / "model").string(),
                                    .label_names = run.spec->labels,
                                    .overwrite = true});  // a resumed run replaces its own
}

}  // namespace tt::train

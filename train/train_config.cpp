#include "tinytune/train/train_config.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tinytune/core/error.h"
#include "tinytune/peft/registry.h"

namespace tt::train {

void TrainConfig::validate() const {
  const auto& families = peft::peft_families();
  if (peft != "full" && std::find(families.begin(), families.end(), peft) == families.end()) {
    std::string expected = "full";
    for (const std::string& f : families) expected += ", " + f;
    throw Error(detail::concat("--peft: unknown method '", peft, "' (expected ", expected, ")"));
  }
  TT_CHECK(head_lr >= 0, "--head-lr: must be >= 0 (0: the same as --lr), got ", head_lr);
  TT_CHECK(dropout < 1, "--dropout: must be < 1 (< 0: the model's config.json), got ", dropout);
  TT_CHECK(epochs > 0 || max_steps > 0, "--epochs: must be > 0 (or give --max-steps), got ", epochs);
  TT_CHECK(max_steps >= 0, "--max-steps: must be >= 0, got ", max_steps);
  TT_CHECK(batch_size > 0, "--batch-size: must be > 0, got ", batch_size);
  TT_CHECK(eval_batch_size > 0, "--eval-batch-size: must be > 0, got ", eval_batch_size);
  TT_CHECK(lr >= 0, "--lr: must be >= 0 (0 picks the method's default), got ", lr);
  TT_CHECK(weight_decay >= 0, "--weight-decay: must be >= 0, got ", weight_decay);
  TT_CHECK(adam_epsilon > 0 && adam_epsilon < 1, "--adam-epsilon: must be in (0, 1), got ", adam_epsilon);
  TT_CHECK(warmup_ratio >= 0 && warmup_ratio < 1, "--warmup-ratio: must be in [0, 1), got ", warmup_ratio);
  TT_CHECK(max_seq_length >= 3 && max_seq_length <= 512, "--max-seq-length: must be in [3, 512], got ",
           max_seq_length);
  TT_CHECK(device == "auto" || device == "cpu" || device == "cuda", "--device: expected auto, cpu or cuda, got '",
           device, "'");
  TT_CHECK(!(bf16 && device == "cpu"), "--bf16: bf16 autocast runs on CUDA only; drop --device cpu "
           "(or --bf16)");
  TT_CHECK(eval_every >= 0, "--eval-every: must be >= 0, got ", eval_every);
  TT_CHECK(grad_accum >= 1, "--grad-accum: must be >= 1, got ", grad_accum);
  TT_CHECK(max_grad_norm >= 0, "--max-grad-norm: must be >= 0, got ", max_grad_norm);
  TT_CHECK(threads >= 0, "--threads: must be >= 0, got ", threads);
  TT_CHECK(save_every >= 0, "--save-every: must be >= 0, got ", save_every);
  TT_CHECK(stop_after >= 0, "--stop-after: must be >= 0, got ", stop_after);
  TT_CHECK(early_stopping >= 0, "--early-stopping: must be >= 0, got ", early_stopping);
  TT_CHECK(log_every >= 1, "--log-every: must be >= 1, got ", log_every);
  TT_CHECK(train_limit >= 0, "--train-limit: must be >= 0 (0: all examples), got ", train_limit);
  TT_CHECK(!own_data() || !validation_file.empty(), "--validation-file: required with --train-file "
           "(the run evaluates on it)");
  TT_CHECK(own_data() || (validation_file.empty() && test_file.empty()), validation_file.empty()
           ? "--test-file" : "--validation-file", ": needs --train-file (a GLUE task reads its own files)");
  if (own_data()) {
    TT_CHECK(text_columns.size() == 1 || text_columns.size() == 2,
             "--text-columns: expected one or two comma-separated column names, got ", text_columns.size());
    TT_CHECK(!label_column.empty(), "--label-column: expected a column name");
  }
  TT_CHECK(problem_type == "auto" || problem_type == "classification" || problem_type == "regression",
           "--problem-type: expected auto, classification or regression, got '", problem_type, "'");
  adapter.validate();
}

double TrainConfig::default_lr(const std::string& peft) {
  if (peft == "full") return 2e-5;
  return peft::family_named(peft).default_lr;  // each family's own (peft/registry.h)
}

std::string TrainConfig::to_json() const {
  nlohmann::json j = {
      {"task", task}, {"model_dir", model_dir}, {"data_dir", data_dir}, {"output_dir", output_dir},
      {"peft", peft}, {"epochs", epochs}, {"max_steps", max_steps}, {"batch_size", batch_size},
      {"eval_batch_size", eval_batch_size}, {"lr", effective_lr()}, {"weight_decay", weight_decay},
      {"adam_epsilon", adam_epsilon},
      {"warmup_ratio", warmup_ratio}, {"schedule", schedule}, {"max_seq_length", max_seq_length},
      {"seed", seed}, {"device", device}, {"bf16", bf16}, {"eval_every", eval_every}, {"epoch_eval", epoch_eval},
      {"grad_accum", grad_accum}, {"max_grad_norm", max_grad_norm}, {"threads", threads}, {"save_every", save_every},
      {"early_stopping", early_stopping}, {"head_lr", effective_head_lr()},
      {"dropout", dropout},
      {"target_modules", adapter.target_modules}, {"lora_r", adapter.lora_r},
      {"lora_alpha", adapter.lora_alpha}, {"lora_dropout", adapter.lora_dropout},
      {"lora_init", adapter.lora_init}, {"rslora", adapter.rslora},
      {"c3a_block_size", adapter.c3a_block_size}, {"c3a_init", adapter.c3a_init},
      {"qgoft_lambda", adapter.qgoft_lambda}, {"train_limit", train_limit}};
  // Only an own-data run names its files: a GLUE run's config (stored in its checkpoints) stays
  // as it was before these settings existed.
  if (own_data()) {
    j["train_file"] = train_file;
    j["validation_file"] = validation_file;
    j["test_file"] = test_file;
    j["text_columns"] = text_columns;
    j["label_column"] = label_column;
    j["problem_type"] = problem_type;
  }
  return j.dump();
}

}  // namespace tt::train

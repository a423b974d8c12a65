#include "tinytune/train/training_run.h"

#include <omp.h>

#include <filesystem>
#include <iostream>

#include "tinytune/core/cuda/runtime.h"
#include "tinytune/core/random.h"
#include "tinytune/data/text_dataset.h"
#include "tinytune/peft/peft.h"
#include "tinytune/train/few_shot.h"
#include "tinytune/train/glue_task.h"

namespace tt::train {

namespace fs = std::filesystem;

namespace {

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

data::BatcherOptions dev_options(const TrainConfig& c) {
  return {.batch_size = c.eval_batch_size, .max_seq_length = c.max_seq_length};
}

// "dev_mismatched.tsv" -> "mm" (HF run_glue's suffix); another file: its name without ".tsv".
std::string dev_suffix(const std::string& file) {
  if (file == "dev_mismatched.tsv") return "mm";
  return fs::path(file).stem().string();
}

}  // namespace

TrainingRun start_run(TrainConfig config) {
  config.validate();
  TrainingRun run;
  run.device = resolve_device(config);
  TT_CHECK(!config.bf16 || !run.device.is_cpu(), "--bf16: bf16 autocast runs on CUDA only, and this run "
           "is on the CPU (--device ", config.device, " found no CUDA device)");
  if (config.threads > 0) omp_set_num_threads(config.threads);
  if (config.own_data()) config.task = "own";  // what results.json and the default directory say
  if (config.output_dir.empty())
    config.output_dir = "runs/" + config.task + "-" + config.peft + "-seed" + std::to_string(config.seed);
  run.config = std::move(config);
  return run;
}

void claim_output_dir(const TrainConfig& config) {
  const fs::path dir(config.output_dir);
  if (config.resume.empty()) {
    for (const char* file : {"results.json", "checkpoint.h5", "metrics.jsonl"}) {
      if (!fs::exists(dir / file)) continue;
      TT_CHECK(config.overwrite_output_dir, "--output-dir: ", dir.string(), " already holds a run (",
               file, "); pass --overwrite-output-dir to replace it, or --resume ",
               (dir / "checkpoint.h5").string(), " to continue it");
      // The old run's outputs go (other files stay: a script's log, say). A new run that stops
      // before its first evaluation must not publish the old best.h5 as its adapter.
      for (const char* old : {"results.json", "checkpoint.h5", "metrics.jsonl", "best.h5", "training.svg",
                              "train_results.json", "eval_results.json", "all_results.json", "adapter",
                              "predict_results.txt", "test_results.json"})
        fs::remove_all(dir / old);
      break;
    }
  }
  fs::create_directories(dir);
}

namespace {

// The train and dev splits into batches: the train batches seeded and shuffled per epoch.
void make_batches(TrainingRun& run, data::GlueSplit& train_split, const data::GlueSplit& dev_split,
                  const data::Tokenizer& tokenizer) {
  const TrainConfig& c = run.config;
  if (c.train_limit > 0) train_split = few_shot_subset(train_split, c.train_limit, c.seed, "--train-limit");
  for (const data::GlueSplit* s : std::initializer_list<const data::GlueSplit*>{&train_split, &dev_split})
    if (!s->skip_report().empty()) std::cerr << s->skip_report() << "\n";
  run.train_examples = static_cast<int64_t>(train_split.examples.size());
  run.dev_examples = static_cast<int64_t>(dev_split.examples.size());
  run.train_batches = std::make_unique<data::Batcher>(
      train_split, tokenizer,
      data::BatcherOptions{.batch_size = c.batch_size, .max_seq_length = c.max_seq_length,
                           .shuffle = true, .seed = c.seed});
  run.dev_batches = std::make_unique<data::Batcher>(dev_split, tokenizer, dev_options(c));
  run.batches_per_epoch = run.train_batches->num_batches();
}

// --train-file, --validation-file, --test-file: every file checked to exist before any is read.
void open_own_data(TrainingRun& run) {
  const TrainConfig& c = run.config;
  for (const auto& [flag, file] : {std::pair<const char*, const std::string&>{"--train-file", c.train_file},
                                   {"--validation-file", c.validation_file}, {"--test-file", c.test_file}})
    TT_CHECK(file.empty() || fs::exists(file), flag, ": ", file, " not found");
  data::TextDataset own = data::read_text_dataset(
      {.train_file = c.train_file, .validation_file = c.validation_file, .test_file = c.test_file,
       .text_columns = c.text_columns, .label_column = c.label_column,
       .problem_type = data::parse_problem_type(c.problem_type, "--problem-type")});
  run.own_spec = std::make_shared<const data::GlueTaskSpec>(std::move(own.spec));
  run.spec = run.own_spec.get();
  const auto tokenizer = open_tokenizer(c.model_dir);
  if (own.test) {
    run.test_examples = static_cast<int64_t>(own.test->examples.size());
    run.test_labelled = own.test->labelled;
    run.test_batches = std::make_unique<data::Batcher>(*own.test, *tokenizer, dev_options(c));
  }
  make_batches(run, own.train, own.validation, *tokenizer);
}

}  // namespace

void open_task(TrainingRun& run) {
  const TrainConfig& c = run.config;
  if (c.own_data()) return open_own_data(run);
  // MNLI has a second dev file (mismatched): it is read and evaluated too.
  std::vector<std::string> files = {"train", "dev"};
  const data::GlueTaskSpec& named = data::glue_spec(data::parse_glue_task(c.task));
  files.insert(files.end(), named.dev_files.begin() + 1, named.dev_files.end());
  OpenedGlueTask opened = open_glue_task(
      {.task = c.task, .data_dir = c.data_dir, .files = files, .model_dir = c.model_dir});
  run.task = opened.task;
  run.spec = opened.spec;
  make_batches(run, opened.splits[0], opened.splits[1], *opened.tokenizer);
  for (size_t i = 2; i < opened.splits.size(); ++i)
    run.extra_dev.emplace_back(dev_suffix(opened.spec->dev_files[i - 1]),
                               std::make_unique<data::Batcher>(opened.splits[i], *opened.tokenizer, dev_options(c)));
}

void load_model(TrainingRun& run) {
  manual_seed(run.config.seed);  // classifier and adapter init, then dropout masks
  run.model = load_glue_classifier(run.config.model_dir, *run.spec, run.config.dropout);
}

void apply_adapters(TrainingRun& run) {
  if (run.config.peft != "full") {
    run.config.adapter.method = run.config.peft;
    peft::apply_peft(*run.model, run.config.adapter, {"classifier."});
  }
  // After the adapters exist (they move with the model), before the optimizer makes its state.
  run.model->to(run.device);
  for (auto& [name, p] : run.model->named_parameters())
    if (p.requires_grad()) {
      run.trainable.emplace_back(name, p);
      run.trainable_params.push_back(p);
    }
  run.model->train();
}

void prepare_optimizer(TrainingRun& run) {
  const TrainConfig& c = run.config;
  const int64_t steps_per_epoch = std::max<int64_t>(1, run.batches_per_epoch / c.grad_accum);
  run.total_steps = c.max_steps > 0 ? c.max_steps : steps_per_epoch * c.epochs;
  run.lr = c.effective_lr();
  run.optimizer = std::make_unique<AdamW>(
      decay_groups(run.trainable, c.weight_decay, "classifier.", c.effective_head_lr() / run.lr),
      AdamWOptions{.lr = run.lr, .eps = c.adam_epsilon});
  run.schedule = std::make_unique<LrSchedule>(
      parse_schedule(c.schedule),
      static_cast<int64_t>(std::ceil(c.warmup_ratio * static_cast<double>(run.total_steps))),
      run.total_steps);
}

}  // namespace tt::train

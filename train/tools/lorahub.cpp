// lorahub: composes trained LoRA modules for an unseen GLUE task from k of its training
// examples, without gradients (LoraHub, docs/families.md §5; peft/lorahub.h), then evaluates on dev.
//   lorahub --model DIR --modules A,B,... --task rte --shots 16 --budget 40 --seed 1 --output-dir DIR
//   lorahub --model DIR --baseline base   --task rte --shots 16 --seed 1 --output-dir DIR
// k examples are drawn from the task's train split with the seed (train/few_shot.h: the same k
// as train_glue --train-limit k --seed S). The Adapt stage searches w with NLopt on the
// leave-one-out loss of a closed-form ridge head + alpha·mean|w| (peft/lorahub_head.h); the
// final head is the ridge fitted on all k. --baseline base skips composition: the base model
// with the same kind of head, for comparison.
// Writes to --output-dir: results.json (weights, dev metrics, seconds of compose + adapt,
// evaluations, the objective at each evaluation, the k example indices) and adapter/ (the
// composed LoRA and the head in HF PEFT's layout; not for --baseline). Prints one line
// "dev <metric>=<value> ...". Exit codes: 0 done; 2 bad flags (an empty --modules list
// included); 1 a runtime error (modules of different shapes or base models, --shots above the
// training set, a missing file: the message names it).
#include <CLI/CLI.hpp>
#include <omp.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "tinytune/core/cpu_malloc.h"
#include "tinytune/core/io/atomic_file.h"
#include "tinytune/core/ops.h"
#include "tinytune/data/batching.h"
#include "tinytune/peft/lorahub.h"
#include "tinytune/train/evaluate.h"
#include "tinytune/train/few_shot.h"
#include "tinytune/train/glue_task.h"
#include "tinytune/train/tools/lorahub_flags.h"

using namespace tt;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

using tools::lorahub::Options;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// What the composition works on, opened before any search.
struct Inputs {
  train::OpenedGlueTask task;
  int64_t train_examples = 0;
  std::vector<int64_t> shot_indices;  // the k examples' rows in the train split
  std::vector<peft::LoraModule> modules;
  std::shared_ptr<nn::BertForSequenceClassification> model;
  std::vector<nn::BertInputs> shot_inputs;  // the k examples, batched
  peft::HeadTargets targets;                // their labels or scores
  std::unique_ptr<data::Batcher> dev_batches;
};

peft::HeadTargets head_targets(const data::GlueTaskSpec& spec, const data::GlueSplit& shots) {
  peft::HeadTargets targets;
  targets.regression = spec.is_regression;
  targets.num_outputs = spec.num_labels;
  for (const data::GlueExample& e : shots.examples) {
    if (spec.is_regression)
      targets.scores.push_back(e.score);
    else
      targets.classes.push_back(e.label);
  }
  return targets;
}

// Data and modules first: a missing file or a mismatch fails before the model loads.
Inputs open_inputs(const Options& o, const std::vector<std::string>& module_dirs) {
  Inputs in;
  in.task = train::open_glue_task(
      {.task = o.task, .data_dir = o.data_dir, .files = {"train", "dev"}, .model_dir = o.model_dir});
  const data::GlueSplit& train_split = in.task.splits[0];
  in.train_examples = static_cast<int64_t>(train_split.examples.size());
  in.shot_indices = train::few_shot_indices(train_split, o.shots, o.seed, "--shots");
  const data::GlueSplit shots = train::few_shot_subset(train_split, o.shots, o.seed, "--shots");
  for (const std::string& dir : module_dirs) in.modules.push_back(peft::read_lora_module(dir));
  if (o.baseline.empty()) peft::check_same_architecture(in.modules);

  in.model = train::load_glue_classifier(o.model_dir, *in.task.spec);
  in.model->eval();
  for (const peft::LoraModule& m : in.modules)
    if (!m.file.base_model_name.empty() &&
        peft::model_identity(m.file.base_model_name) != peft::model_identity(o.model_dir))
      std::cerr << "lorahub: note: " << m.dir << " was trained on " << m.file.base_model_name
                << ", composing on " << o.model_dir << " (the shapes are checked)\n";
  const data::BatcherOptions eval_options{.batch_size = o.eval_batch_size, .max_seq_length = o.max_seq_length};
  data::Batcher shot_batches(shots, *in.task.tokenizer, eval_options);
  in.dev_batches = std::make_unique<data::Batcher>(in.task.splits[1], *in.task.tokenizer, eval_options);
  shot_batches.for_each_batch(0, [&](const data::Batch& b) {
    in.shot_inputs.push_back({b.input_ids, b.token_type_ids, b.attention_mask});
  });
  in.targets = head_targets(*in.task.spec, shots);
  return in;
}

// The weights' search (or, for --baseline, one evaluation of the base model's head).
peft::SearchResult search(const Options& o, peft::LorahubObjective& objective, const peft::LoraComposer* composer) {
  peft::SearchResult result;
  if (!composer) {
    result.value = objective({});
    result.values = {result.value};
    result.evaluations = 1;
    result.algorithm = "none";
    result.stop_reason = "no search (baseline)";
    return result;
  }
  peft::SearchOptions so;
  so.optimizer = peft::parse_lorahub_optimizer(o.optimizer);
  so.budget = o.budget;
  so.seed = o.seed;
  return peft::search_weights([&](const std::vector<double>& w) { return objective(w); }, composer->size(), so);
}

struct Outcome {
  peft::SearchResult search;
  double loo_loss = 0, adapt_seconds = 0, eval_seconds = 0;
  std::map<std::string, double> dev;
};

nlohmann::json results_json(const Options& o, const Inputs& in, const Outcome& out, bool composed) {
  const bool baseline = !o.baseline.empty();
  std::vector<std::string> module_names;
  for (const peft::LoraModule& m : in.modules) module_names.push_back(m.dir);
  return {{"task", o.task}, {"model", o.model_dir},
          {"method", baseline ? "base" : "lorahub"}, {"mode", baseline ? "none" : o.mode},
          {"optimizer", baseline ? "none" : o.optimizer}, {"algorithm", out.search.algorithm},
          {"modules", module_names}, {"weights", out.search.weights},
          {"shots", o.shots}, {"seed", o.seed}, {"budget", o.budget}, {"alpha", o.alpha},
          {"ridge_lambda", o.head.lambda}, {"temperature", o.head.temperature},
          {"objective", out.search.value}, {"loo_loss", out.loo_loss}, {"evaluations", out.search.evaluations},
          {"objective_per_evaluation", out.search.values}, {"stop_reason", out.search.stop_reason},
          {"dev", out.dev}, {"main_metric", in.task.spec->main_metric},
          {"compose_adapt_seconds", out.adapt_seconds}, {"eval_seconds", out.eval_seconds},
          {"threads", omp_get_max_threads()}, {"train_indices", in.shot_indices},
          {"adapter", composed ? (fs::path(o.output_dir) / "adapter").string() : ""}};
}

void print_start(const Options& o, const Inputs& in) {
  const bool baseline = !o.baseline.empty();
  std::cerr << "lorahub: " << o.task << ", k = " << o.shots << " of " << in.train_examples
            << " training examples (seed " << o.seed << "), "
            << (baseline ? std::string("baseline: the base model with the ridge head")
                         : std::to_string(in.modules.size()) + " modules, mode " + o.mode + ", " + o.optimizer +
                               ", budget " + std::to_string(o.budget))
            << ", threads " << omp_get_max_threads() << "\n";
}

int run(Options o, const std::vector<std::string>& module_dirs) {
  if (o.threads > 0) omp_set_num_threads(o.threads);
  if (o.output_dir.empty())
    o.output_dir = "runs/lorahub-" + o.task + "-k" + std::to_string(o.shots) + "-seed" + std::to_string(o.seed);
  Inputs in = open_inputs(o, module_dirs);
  print_start(o, in);

  // Compose + adapt, timed together (the final head fit included).
  Outcome out;
  const auto start = Clock::now();
  std::unique_ptr<peft::LoraComposer> composer;
  if (o.baseline.empty())
    composer = std::make_unique<peft::LoraComposer>(*in.model, in.modules, peft::parse_composition_mode(o.mode));
  peft::LorahubObjective objective(*in.model, composer.get(), in.shot_inputs, in.targets, o.head, o.alpha);
  out.search = search(o, objective, composer.get());
  objective.finalize(out.search.weights);
  out.loo_loss = objective.last_loss();
  out.adapt_seconds = seconds_since(start);

  const auto eval_start = Clock::now();
  if (composer) peft::merge_adapters(*in.model);  // the composed adapter costs nothing at inference
  out.dev = train::evaluate_glue(*in.model, *in.dev_batches, in.task.task);
  out.eval_seconds = seconds_since(eval_start);

  fs::create_directories(o.output_dir);
  if (composer)
    peft::save_adapter(*in.model, composer->config(), (fs::path(o.output_dir) / "adapter").string(), o.model_dir);
  io::write_file_atomically((fs::path(o.output_dir) / "results.json").string(),
                            results_json(o, in, out, composer != nullptr).dump(2) + "\n");

  std::cerr << "lorahub: " << out.search.evaluations << " evaluations (" << out.search.stop_reason << "), "
            << out.adapt_seconds << " s compose + adapt, objective " << out.search.value << ", w = "
            << nlohmann::json(out.search.weights).dump() << "\n";
  std::cout << "dev";
  for (auto& [name, value] : out.dev) std::cout << ' ' << name << '=' << value;
  std::cout << "  (" << o.output_dir << "/results.json)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tune_cpu_malloc();  // freed tensors are reused, not faulted in afresh (core/cpu_malloc.h)
  Options o;
  CLI::App app{"LoraHub: compose trained LoRA modules for a GLUE task from k examples, without gradients"};
  tools::lorahub::add_lorahub_flags(app, o);
  std::vector<std::string> modules;
  try {
    app.parse(argc, argv);
    modules = train::split_commas(o.modules);
    tools::lorahub::validate(o, modules);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const Error& e) {
    std::cerr << "lorahub: " << e.what() << "\n";
    return 2;
  }
  try {
    return run(o, modules);
  } catch (const std::exception& e) {
    std::cerr << "lorahub: " << e.what() << "\n";
    return 1;
  }
}

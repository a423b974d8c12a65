// train_glue: fine-tunes a BERT checkpoint on a GLUE task or your own data (see train/trainer.h
// for the outputs).
//   train_glue --task sst2 --peft lora                   (model and data in their default places)
//   train_glue --train-file t.csv --validation-file d.csv --text-columns sentence --label-column label
//   mpirun -np 2 train_glue --task sst2 ...             data-parallel (train/data_parallel.h)
// Exit codes: 0 done; 2 bad flags; 1 a runtime error (message names the file or flag; under
// mpirun the failing rank's message, then MPI_Abort ends every rank); 130/143 stopped by
// SIGINT/SIGTERM after saving checkpoint.h5 (resume with --resume).
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "tinytune/core/cpu_malloc.h"
#include "tinytune/core/error.h"
#include "tinytune/peft/registry.h"
#include "tinytune/train/data_parallel.h"
#include "tinytune/train/evaluate.h"
#include "tinytune/train/trainer.h"

using namespace tt;

namespace {

void on_signal(int signal) { train::g_stop_signal.store(signal); }

// Prints why this process failed; under mpirun (several ranks) it names the rank and ends the
// whole job, so no other rank waits forever in a collective.
int fail(dist::Communicator* comm, const char* what) {
  const bool several = comm != nullptr && comm->size() > 1;
  std::cerr << "train_glue: " << (several ? "rank " + std::to_string(comm->rank()) + ": " : "") << what
            << std::endl;
  if (several) comm->abort(1);
  return 1;
}

// "full, lora, ... or qgoft": every registered family (peft/registry.h).
std::string peft_choices() {
  const std::vector<std::string>& families = peft::family_names();
  std::string out = "full";
  for (size_t i = 0; i < families.size(); ++i) out += (i + 1 == families.size() ? " or " : ", ") + families[i];
  return out;
}

void add_run_flags(CLI::App& app, train::TrainConfig& c) {
  app.add_option("--task", c.task, "cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli")->capture_default_str();
  app.add_option("--model", c.model_dir, "HF BERT directory (config.json, vocab.txt, model.safetensors)")->capture_default_str();
  app.add_option("--data-dir", c.data_dir, "GLUE root with <TASK>/train.tsv, dev.tsv (scripts/get_glue.sh)")->capture_default_str();
  app.add_option("--output-dir", c.output_dir, "default runs/<task>-<peft>-seed<seed>");
  app.add_option("--peft", c.peft, peft_choices())->capture_default_str();
  app.add_option("--epochs", c.epochs)->capture_default_str();
  app.add_option("--max-steps", c.max_steps, "optimizer steps; > 0 overrides --epochs")->capture_default_str();
  app.add_option("--batch-size", c.batch_size)->capture_default_str();
  app.add_option("--eval-batch-size", c.eval_batch_size)->capture_default_str();
  app.add_option("--lr", c.lr, "0: the method's default (full 2e-5, lora/condlora 5e-4, c3a 1e-1, goft/qgoft 1e-2)")->capture_default_str();
  app.add_option("--head-lr", c.head_lr, "the classifier's lr; 0: the same as --lr")->capture_default_str();
  app.add_option("--dropout", c.dropout, "the model's hidden, attention and classifier dropout; < 0: config.json's")->capture_default_str();
  app.add_option("--weight-decay", c.weight_decay)->capture_default_str();
  app.add_option("--warmup-ratio", c.warmup_ratio)->capture_default_str();
  app.add_option("--schedule", c.schedule, "linear or constant (after warmup)")->capture_default_str();
  app.add_option("--max-seq-length", c.max_seq_length)->capture_default_str();
  app.add_option("--seed", c.seed)->capture_default_str();
  app.add_option("--device", c.device, "auto (CUDA when there is a device), cpu or cuda")->capture_default_str();
  app.add_flag("--bf16", c.bf16, "bf16 autocast of the matmuls, f32 master weights (CUDA only)");
  app.add_option("--eval-every", c.eval_every, "optimizer steps; 0: each epoch's end")->capture_default_str();
  app.add_flag("!--no-epoch-eval", c.epoch_eval, "no evaluation at each epoch's end (with --eval-every 0: "
               "one, after the last step)");
  app.add_option("--grad-accum", c.grad_accum)->capture_default_str();
  app.add_option("--max-grad-norm", c.max_grad_norm, "0 disables clipping")->capture_default_str();
  app.add_option("--threads", c.threads, "0: OpenMP's default")->capture_default_str();
  app.add_option("--resume", c.resume, "checkpoint.h5 of an interrupted run");
  app.add_option("--save-every", c.save_every, "optimizer steps; 0: only at the end")->capture_default_str();
  app.add_option("--early-stopping", c.early_stopping, "evaluations without improvement; 0: never")->capture_default_str();
  app.add_option("--stop-after", c.stop_after, "stop and save after this step, keeping the whole run's schedule")->capture_default_str();
  app.add_option("--log-every", c.log_every)->capture_default_str();
  app.add_flag("--overwrite-output-dir", c.overwrite_output_dir, "replace the run an existing --output-dir holds");
  app.add_flag("!--no-epoch-save", c.epoch_save, "no checkpoint.h5 at each epoch's end (only at the run's end)");
  app.add_option("--train-limit", c.train_limit, "train on the first N examples of a seeded shuffle "
                 "(the same k as lorahub --shots for a seed); 0: all")->capture_default_str();
}

// Your own data instead of a GLUE task (data/text_dataset.h).
void add_own_data_flags(CLI::App& app, train::TrainConfig& c, std::string& text_columns) {
  CLI::Option* train = app.add_option("--train-file", c.train_file, "your own training data: .csv, .tsv or "
                                      ".jsonl with named columns (instead of --task)");
  app.get_option("--task")->excludes(train);
  app.add_option("--validation-file", c.validation_file, "your own dev data (needed with --train-file)");
  app.add_option("--test-file", c.test_file, "your own test data (read and checked; labels optional)");
  app.add_option("--text-columns", text_columns, "one text column, or two comma-separated for pairs")->capture_default_str();
  app.add_option("--label-column", c.label_column)->capture_default_str();
  app.add_option("--problem-type", c.problem_type, "auto (strings, integers: classification; other "
                 "numbers: regression), classification or regression")->capture_default_str();
}

// The adapter families' options (every family reads only its own).
void add_adapter_flags(CLI::App& app, peft::PeftConfig& a, std::string& target_modules) {
  app.add_option("--target-modules", target_modules, "comma-separated Linear names")->capture_default_str();
  app.add_option("--lora-r", a.lora_r, "LoRA and CondLoRA rank")->capture_default_str();
  app.add_option("--lora-alpha", a.lora_alpha, "scaling s = alpha / r")->capture_default_str();
  app.add_option("--lora-dropout", a.lora_dropout)->capture_default_str();
  app.add_option("--lora-init", a.lora_init, "a (B = 0, A kaiming-uniform), b (A = 0, B random) or gaussian")->capture_default_str();
  app.add_flag("--rslora", a.rslora, "scale by alpha / sqrt(r)");
  app.add_option("--c3a-block-size", a.c3a_block_size, "must divide d_in and d_out of every target")->capture_default_str();
  app.add_option("--c3a-init", a.c3a_init, "xavier_uniform, kaiming_uniform, gaussian or zeros")->capture_default_str();
  app.add_option("--qgoft-lambda", a.qgoft_lambda, "weight of qGOFT's soft-orthogonality term")->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  tune_cpu_malloc();  // freed tensors are reused, not faulted in afresh (core/cpu_malloc.h)
  train::TrainConfig c;
  CLI::App app{"Fine-tune a BERT checkpoint on a GLUE task or your own CSV/TSV/JSONL data"};
  // A flag given twice takes its last value, so scripts can override their defaults.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::string target_modules = "query,value", text_columns = "sentence";
  add_run_flags(app, c);
  add_own_data_flags(app, c, text_columns);
  add_adapter_flags(app, c.adapter, target_modules);
  peft::PeftConfig& a = c.adapter;
  std::string dist_backend = "auto";
  app.add_option("--dist-backend", dist_backend, "auto (mpi under mpirun, nccl there on CUDA; none "
                 "otherwise), none, mpi or nccl")->capture_default_str();
  try {
    app.parse(argc, argv);
    a.target_modules = train::split_commas(target_modules);
    c.text_columns = train::split_commas(text_columns);
    c.validate();
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const Error& e) {
    std::cerr << "train_glue: " << e.what() << "\n";
    return 2;
  }
  std::shared_ptr<dist::Communicator> comm;
  try {
    comm = train::open_communicator(dist_backend, c.device);
    // After MPI's start-up, so these handlers are the ones in place. SIGTERM alike: mpirun
    // passes Ctrl-C on to the ranks as SIGTERM.
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    train::TrainResult r = train::train_glue(c, comm);
    const bool rank0 = comm->rank() == 0;  // the other ranks stay quiet
    if (r.stopped_by_signal) {
      if (rank0)
        std::cerr << "train_glue: stopped by signal " << r.stopped_by_signal << "; state saved in "
                  << r.output_dir << "/checkpoint.h5 (continue with --resume)\n";
      return 128 + r.stopped_by_signal;
    }
    if (!rank0) return 0;
    std::cout << "dev";
    for (auto& [name, value] : r.best_metrics) std::cout << ' ' << name << '=' << value;
    std::cout << "  (" << r.output_dir << "/results.json)\n";
    return 0;
  } catch (const Error& e) {
    return fail(comm.get(), e.what());
  } catch (const std::exception& e) {
    return fail(comm.get(), e.what());
  }
}

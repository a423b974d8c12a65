// train_glue: fine-tunes a BERT checkpoint on a GLUE task or your own data (see train/trainer.h
// for the outputs).
//   train_glue --task sst2 --peft lora                   (model and data in their default places)
//   train_glue --train-file t.csv --validation-file d.csv --text-columns sentence --label-column label
// Exit codes: 0 done; 2 bad flags; 1 a runtime error (message names the file or flag);
// 130/143 stopped by SIGINT/SIGTERM after saving checkpoint.h5 (resume with --resume).
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "tinytune/core/cpu_malloc.h"
#include "tinytune/core/error.h"
#include "tinytune/peft/registry.h"
#include "tinytune/train/evaluate.h"
#include "tinytune/train/trainer.h"
#include "tinytune/train/tools/train_glue_flags.h"

using namespace tt;

namespace {

void on_signal(int signal) { train::g_stop_signal.store(signal); }

}  // namespace

int main(int argc, char** argv) {
  tune_cpu_malloc();  // freed tensors are reused, not faulted in afresh (core/cpu_malloc.h)
  tools::train_glue::Options o;
  train::TrainConfig& c = o.config;
  CLI::App app{"Fine-tune a BERT checkpoint on a GLUE task or your own CSV/TSV/JSONL data"};
  tools::train_glue::add_train_glue_flags(app, o);
  try {
    app.parse(argc, argv);
    tools::train_glue::check_train_glue_flags(o);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const Error& e) {
    std::cerr << "train_glue: " << e.what() << "\n";
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    train::TrainResult r = train::train_glue(c);
    if (r.stopped_by_signal) {
      std::cerr << "train_glue: stopped by signal " << r.stopped_by_signal << "; state saved in "
                << r.output_dir << "/checkpoint.h5 (continue with --resume)\n";
      return 128 + r.stopped_by_signal;
    }
    std::cout << "dev";
    for (auto& [name, value] : r.best_metrics) std::cout << ' ' << name << '=' << value;
    std::cout << "  (" << r.output_dir << "/results.json)\n";
    return 0;
  } catch (const Error& e) {
    std::cerr << "train_glue: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "train_glue: " << e.what() << "\n";
    return 1;
  }
}

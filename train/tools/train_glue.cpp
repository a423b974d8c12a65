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
#include "tinytune/train/tools/train_glue_flags.h"

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
  std::shared_ptr<dist::Communicator> comm;
  try {
    comm = train::open_communicator(o.dist_backend, c.device);
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

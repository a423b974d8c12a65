// The single-process communicator, the backend names, and the factory.
#include "tinytune/dist/communicator.h"

#include <cstdlib>

#include "tinytune/core/error.h"
#include "tinytune/dist/backends.h"

namespace tt::dist {

namespace {

void check_collective_input(const Tensor& t, const char* op) {
  TT_CHECK(t.defined() && t.is_contiguous(), op, ": expected a contiguous tensor");
  TT_CHECK(t.dtype() == DType::f32 || t.dtype() == DType::f64, op, ": expected f32 or f64, got ",
           dtype_name(t.dtype()));
}

class SingleProcess : public Communicator {
 public:
  Backend backend() const override { return Backend::none; }
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void all_reduce_sum(const Tensor& t) override { check_collective_input(t, "all_reduce_sum"); }
  void broadcast(const Tensor& t, int root) override {
    check_collective_input(t, "broadcast");
    TT_CHECK(root == 0, "broadcast: root ", root, " of a single process");
  }
  void barrier() override {}
  [[noreturn]] void abort(int exit_code) override { std::exit(exit_code); }
};

}  // namespace

void check_collective_tensor(const Tensor& t, const char* op) { check_collective_input(t, op); }

Backend parse_backend(const std::string& name) {
  if (name == "none") return Backend::none;
  if (name == "mpi") return Backend::mpi;
  if (name == "nccl") return Backend::nccl;
  throw Error(detail::concat("--dist-backend: unknown backend '", name, "' (expected none, mpi or nccl)"));
}

const char* to_string(Backend backend) {
  switch (backend) {
    case Backend::none: return "none";
    case Backend::mpi: return "mpi";
    case Backend::nccl: return "nccl";
  }
  return "?";
}

bool backend_built(Backend backend) {
  switch (backend) {
    case Backend::none: return true;
    case Backend::mpi: return mpi_built();
    case Backend::nccl: return nccl_built();
  }
  return false;
}

bool launched_by_mpi() {
  // Open MPI's launcher, and the PMI/PMIx variables other launchers (srun, hydra) set.
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"})
    if (std::getenv(var) != nullptr) return true;
  return false;
}

std::unique_ptr<Communicator> make_communicator(Backend backend) {
  if (backend == Backend::none) return std::make_unique<SingleProcess>();
  TT_CHECK(backend_built(backend), "--dist-backend ", to_string(backend), ": this build of tinytune has no ",
           to_string(backend), " backend (", backend == Backend::mpi ? "install libopenmpi-dev" : "NCCL and MPI",
           " and reconfigure; the configure log says which backends are built)");
  TT_CHECK(launched_by_mpi(), "--dist-backend ", to_string(backend),
           ": this process was not started by an MPI launcher (run it as mpirun -np N ...)");
  return backend == Backend::mpi ? make_mpi_communicator() : make_nccl_communicator();
}

}  // namespace tt::dist

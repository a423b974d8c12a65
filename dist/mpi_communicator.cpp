// The MPI backend: MPI_COMM_WORLD over CPU tensors. MPI is initialised on first use (only ever
// reached from a process an MPI launcher started) and finalised at exit.
#include "tinytune/core/error.h"
#include "tinytune/dist/backends.h"

#ifdef TINYTUNE_WITH_MPI
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

namespace tt::dist {

namespace {

void finalize_mpi() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void ensure_mpi_initialized() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return;
  int provided = 0;
  // Funneled: only the main thread calls MPI; OpenMP threads compute between the calls.
  TT_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) == MPI_SUCCESS,
           "MPI_Init_thread failed");
  std::atexit(finalize_mpi);
}

MPI_Datatype mpi_type(const Tensor& t) { return t.dtype() == DType::f64 ? MPI_DOUBLE : MPI_FLOAT; }

// MPI counts are int: large tensors go in chunks.
template <typename F>
void in_chunks(const Tensor& t, F&& call) {
  const int64_t elem = t.dtype() == DType::f64 ? 8 : 4;
  char* data = static_cast<char*>(t.raw_data());
  for (int64_t done = 0; done < t.numel();) {
    const int64_t n = std::min<int64_t>(t.numel() - done, INT_MAX);
    call(data + done * elem, static_cast<int>(n));
    done += n;
  }
}

class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator() {
    ensure_mpi_initialized();
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  Backend backend() const override { return Backend::mpi; }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void all_reduce_sum(const Tensor& t) override {
    check(t, "all_reduce_sum");
    in_chunks(t, [&](void* p, int n) { MPI_Allreduce(MPI_IN_PLACE, p, n, mpi_type(t), MPI_SUM, MPI_COMM_WORLD); });
  }
  void broadcast(const Tensor& t, int root) override {
    check(t, "broadcast");
    TT_CHECK(root >= 0 && root < size_, "broadcast: root ", root, " of ", size_, " ranks");
    in_chunks(t, [&](void* p, int n) { MPI_Bcast(p, n, mpi_type(t), root, MPI_COMM_WORLD); });
  }
  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }
  [[noreturn]] void abort(int exit_code) override {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::exit(exit_code);  // MPI_Abort does not return; this tells the compiler so
  }

 private:
  static void check(const Tensor& t, const char* op) {
    check_collective_tensor(t, op);
    TT_CHECK(t.device().is_cpu(), op, ": the MPI backend takes CPU tensors (NCCL takes CUDA ones)");
  }
  int rank_ = 0, size_ = 1;
};

}  // namespace

bool mpi_built() { return true; }
std::unique_ptr<Communicator> make_mpi_communicator() { return std::make_unique<MpiCommunicator>(); }

}  // namespace tt::dist

#else  // built without MPI

namespace tt::dist {
bool mpi_built() { return false; }
std::unique_ptr<Communicator> make_mpi_communicator() {
  throw Error("this build of tinytune has no MPI backend (install libopenmpi-dev and reconfigure)");
}
}  // namespace tt::dist

#endif

// The NCCL backend: one GPU a rank (the rank's local index on its node), all-reduce and
// broadcast of CUDA tensors on tinytune's stream (core/cuda/stream.h), so they order with the
// kernels around them. Rank 0 makes the NCCL id and MPI carries it to the others.
#include "tinytune/core/error.h"
#include "tinytune/dist/backends.h"

#if defined(TINYTUNE_WITH_NCCL) && defined(TINYTUNE_WITH_MPI)
#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <cstdlib>
#include <cstring>

#include "tinytune/core/cuda/stream.h"

namespace tt::dist {

namespace {

void nccl_check(ncclResult_t r, const char* what) {
  TT_CHECK(r == ncclSuccess, "NCCL ", what, ": ", ncclGetErrorString(r));
}

int local_rank() {
  const char* v = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
  return v ? std::atoi(v) : 0;
}

class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator() : mpi_(make_mpi_communicator()) {
    int devices = 0;
    TT_CHECK(cudaGetDeviceCount(&devices) == cudaSuccess && devices > 0,
             "--dist-backend nccl: no CUDA device on this node");
    TT_CHECK(cudaSetDevice(local_rank() % devices) == cudaSuccess, "cudaSetDevice failed");
    ncclUniqueId id;
    if (mpi_->rank() == 0) nccl_check(ncclGetUniqueId(&id), "ncclGetUniqueId");
    Tensor bytes = zeros({static_cast<int64_t>((sizeof id + 7) / 8)}, DType::f64);
    std::memcpy(bytes.raw_data(), &id, sizeof id);
    mpi_->broadcast(bytes, 0);
    std::memcpy(&id, bytes.raw_data(), sizeof id);
    nccl_check(ncclCommInitRank(&comm_, mpi_->size(), id, mpi_->rank()), "ncclCommInitRank");
  }
  ~NcclCommunicator() override { ncclCommDestroy(comm_); }
  Backend backend() const override { return Backend::nccl; }
  int rank() const override { return mpi_->rank(); }
  int size() const override { return mpi_->size(); }
  void all_reduce_sum(const Tensor& t) override {
    check(t, "all_reduce_sum");
    nccl_check(ncclAllReduce(t.raw_data(), t.raw_data(), t.numel(), type(t), ncclSum, comm_,
                             cuda::current_stream()), "ncclAllReduce");
  }
  void broadcast(const Tensor& t, int root) override {
    check(t, "broadcast");
    nccl_check(ncclBroadcast(t.raw_data(), t.raw_data(), t.numel(), type(t), root, comm_,
                             cuda::current_stream()), "ncclBroadcast");
  }
  void barrier() override {
    TT_CHECK(cudaStreamSynchronize(cuda::current_stream()) == cudaSuccess, "cudaStreamSynchronize failed");
    mpi_->barrier();
  }
  [[noreturn]] void abort(int exit_code) override { mpi_->abort(exit_code); }

 private:
  static ncclDataType_t type(const Tensor& t) { return t.dtype() == DType::f64 ? ncclFloat64 : ncclFloat32; }
  static void check(const Tensor& t, const char* op) {
    check_collective_tensor(t, op);
    TT_CHECK(!t.device().is_cpu(), op, ": the NCCL backend takes CUDA tensors (MPI takes CPU ones)");
  }
  std::unique_ptr<Communicator> mpi_;
  ncclComm_t comm_ = nullptr;
};

}  // namespace

bool nccl_built() { return true; }
std::unique_ptr<Communicator> make_nccl_communicator() { return std::make_unique<NcclCommunicator>(); }

}  // namespace tt::dist

#else  // built without NCCL (or without the MPI that carries its id)

namespace tt::dist {
bool nccl_built() { return false; }
std::unique_ptr<Communicator> make_nccl_communicator() {
  throw Error("this build of tinytune has no NCCL backend (it needs CUDA, NCCL and MPI at configure time)");
}
}  // namespace tt::dist

#endif

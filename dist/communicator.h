// The processes of one data-parallel job, and the collective operations training needs: rank,
// size, all-reduce (sum), broadcast, barrier. Three backends, each built when its library is
// found (dist/README.md):
//   none  one process (the default): every operation is the identity
//   mpi   Open MPI, on CPU tensors; MPI is initialised only when the process was started by an
//         MPI launcher (mpirun), so a plain run never touches it
//   nccl  NCCL on CUDA tensors, on tinytune's stream; the NCCL id travels over MPI
// This is a target of its own (tinytune::dist), so a consumer of the tensor core links no MPI
// or NCCL.
#pragma once
#include <memory>
#include <string>

#include "tinytune/core/tensor.h"

namespace tt::dist {

enum class Backend { none, mpi, nccl };

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual Backend backend() const = 0;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // In place over every rank's `t` (contiguous, f32 or f64, the same shape everywhere).
  virtual void all_reduce_sum(const Tensor& t) = 0;
  // `t` on every rank takes `root`'s values.
  virtual void broadcast(const Tensor& t, int root) = 0;
  virtual void barrier() = 0;
  // Ends every process of the job with `exit_code` (MPI_Abort), after this one printed why: a
  // rank that fails alone must not leave the others waiting in a collective.
  [[noreturn]] virtual void abort(int exit_code) = 0;
};

// "none", "mpi" or "nccl"; anything else is an error naming --dist-backend.
Backend parse_backend(const std::string& name);
const char* to_string(Backend backend);
// Whether this build has the backend (none: always).
bool backend_built(Backend backend);
// Whether an MPI launcher started this process (its environment says so).
bool launched_by_mpi();
// The communicator of this process: the backend asked for, or an error saying why it cannot be
// had (not built in, no MPI launcher, no GPU).
std::unique_ptr<Communicator> make_communicator(Backend backend);

}  // namespace tt::dist

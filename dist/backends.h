// What communicator.cpp needs of the optional backends. Each is defined in its own file, or in
// no_backend.cpp when its library was not found at configure time.
#pragma once
#include <memory>

#include "tinytune/dist/communicator.h"

namespace tt::dist {

bool mpi_built();
bool nccl_built();
std::unique_ptr<Communicator> make_mpi_communicator();   // MPI_COMM_WORLD
std::unique_ptr<Communicator> make_nccl_communicator();  // one GPU a rank, id over MPI
// Throws naming `op` unless `t` is contiguous f32/f64.
void check_collective_tensor(const Tensor& t, const char* op);

}  // namespace tt::dist

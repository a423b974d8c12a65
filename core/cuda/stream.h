// The stream every kernel launch and memcpy of tinytune goes on: one non-default stream per
// device, created on first use and never destroyed (it lives as long as the process). One
// stream means work runs in issue order, so the caching allocator may hand a freed block to
// the next op without an event (core/cuda/allocator.h). Include from .cu files only.
#pragma once
#include <cuda_runtime.h>

namespace tt::cuda {

// The stream of the current device (cudaGetDevice).
cudaStream_t current_stream();

}  // namespace tt::cuda

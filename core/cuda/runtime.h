// The CUDA runtime seen from plain C++ (no CUDA headers here, so any .cpp may include it):
// device discovery, synchronisation and the process-wide determinism switch. Built without
// CUDA, core/cuda/stub.cpp defines these: is_available() is false, device_count() is 0, and
// every other entry point throws "... built without CUDA".
//
// How an op reaches its CUDA kernel (copy this pattern; every op in core/ops/ uses it):
//
//   <op>_kernels.h declares the kernels of both devices, the CUDA ones unconditionally:
//       namespace cpu  { void softmax_forward(const Tensor& x, const Tensor& out); }
//       namespace cuda { void softmax_forward(const Tensor& x, const Tensor& out); }
//   <op>_cuda.cu defines the cuda:: ones (core/*.cu is compiled only when CUDA is built).
//   <op>.cpp calls them only under TINYTUNE_WITH_CUDA (a PUBLIC definition of tinytune_core):
//       switch (x.device().type) {
//         case DeviceType::cpu: cpu::softmax_forward(x, out); break;
//         case DeviceType::cuda:
//   #ifdef TINYTUNE_WITH_CUDA
//           cuda::softmax_forward(x, out); break;
//   #else
//           cuda::built_without_cuda("softmax");
//   #endif
//       }
//   so a build without CUDA never references the undefined cuda:: symbols, and the branch
//   throws "softmax: built without CUDA" (unreachable in practice: Storage cannot allocate a
//   CUDA tensor in such a build, and it throws the same words).
//
// Kernels may assume: every tensor they get lives on the current device (the op checked
// devices), launches and copies go on current_stream() (core/cuda/stream.h), memory comes from
// device_malloc (core/cuda/allocator.h), and a kernel's launch is followed by
// TT_CUDA_CHECK_LAUNCH() (core/cuda/cuda_check.h).
#pragma once
#include <string>

namespace tt::cuda {

int device_count();       // 0 when there is no device, no driver, or no CUDA in this build
bool is_available();      // device_count() > 0
int current_device();     // the device kernels launch on (cudaGetDevice)
void synchronize();       // waits for all work on the current device's stream
std::string device_name();  // of the current device, e.g. "NVIDIA H100 80GB HBM3"

// Deterministic mode (default on): the same inputs give the same bits on every run. Kernels
// must then not use float atomics in reductions (backward included): one writer per output,
// fixed-order tree reductions. A kernel with a faster atomic variant may take it when off.
bool deterministic();
void set_deterministic(bool on);

// Throws tt::Error("<op>: built without CUDA"); the CUDA branch of an op's switch in a build
// without CUDA (see the pattern above).
[[noreturn]] void built_without_cuda(const char* op);

}  // namespace tt::cuda

// Copies and fills of CUDA tensors, called by core/tensor.cpp (copy_into, full, get/set) in a
// build with CUDA. Plain C++: no CUDA headers.
#pragma once
#include <cstddef>

#include "tinytune/core/tensor.h"

namespace tt::cuda {

// dst = src elementwise for two tensors of one shape on the current CUDA device: any strides
// (views, broadcast stride-0 sources), any dtypes (converted as static_cast). dst must not
// overlap src.
void copy_strided(const Tensor& dst, const Tensor& src);
// Every element of `out` (any strides) set to value, converted to out's dtype.
void fill(const Tensor& out, double value);
// Host -> device bytes on current_stream(). Returns once `host` may be reused (the runtime
// stages pageable memory before returning); the transfer itself is stream-ordered.
void copy_host_to_device(void* device, const void* host, size_t nbytes);
// Device -> host bytes on current_stream(); waits until the bytes have arrived.
void copy_device_to_host(void* host, const void* device, size_t nbytes);

}  // namespace tt::cuda

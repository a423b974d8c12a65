// CUDA AdamW over many tensors in one launch per dtype (multi-tensor apply, as apex's
// multi_tensor_apply and llm.c): the host builds a table of every tensor's pointers, size and
// per-tensor constants, and a list of (tensor, first element) chunks of kChunkElems elements;
// both go to the device in one copy, and block b updates chunk b. The arithmetic is the CPU
// loop's (adamw_step_cpu.cpp), constants rounded to T on the host the same way.
#include <cstring>
#include <vector>

#include "tinytune/core/cuda/copy.h"
#include "tinytune/core/cuda/launch.h"
#include "tinytune/core/ops/adamw_step/adamw_step_kernels.h"

namespace tt::cuda {

namespace {

constexpr int64_t kChunkElems = 65536;  // elements per block
constexpr int kUpdateThreads = 512;

template <typename T>
struct TensorEntry {
  T* p;
  const T* g;
  T* m;
  T* v;
  int64_t n;
  T keep;       // 1 - lr * weight_decay
  T step_size;  // lr / (1 - beta1^t)
};

struct ChunkEntry {
  int64_t tensor;
  int64_t first;
};

template <typename T>
__global__ void __launch_bounds__(kUpdateThreads)
    adamw_multi_tensor_kernel(const TensorEntry<T>* __restrict__ tensors,
                              const ChunkEntry* __restrict__ chunks, T b1, T b2,
                              T inv_bias2_sqrt, T eps) {
  const ChunkEntry chunk = chunks[blockIdx.x];
  const TensorEntry<T> t = tensors[chunk.tensor];
  const int64_t end = min(t.n, chunk.first + kChunkElems);
  for (int64_t i = chunk.first + threadIdx.x; i < end; i += blockDim.x) {
    const T gi = t.g[i];
    const T pi = t.p[i] * t.keep;
    const T mi = b1 * t.m[i] + (T(1) - b1) * gi;
    const T vi = b2 * t.v[i] + (T(1) - b2) * gi * gi;
    t.m[i] = mi;
    t.v[i] = vi;
    t.p[i] = pi - t.step_size * mi / (sqrt(vi) * inv_bias2_sqrt + eps);
  }
}

// Updates the tensors of dtype T among the lists (the others are left to another call).
template <typename T>
void update_dtype(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                  const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                  const std::vector<double>& lr, const std::vector<double>& weight_decay,
                  const AdamWConstants& c) {
  std::vector<TensorEntry<T>> tensors;
  std::vector<ChunkEntry> chunks;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].dtype() != dtype_of<T>() || params[i].numel() == 0) continue;
    const int64_t index = static_cast<int64_t>(tensors.size());
    tensors.push_back({device_data<T>(params[i]), device_data<T>(grads[i]),
                       device_data<T>(exp_avg[i]), device_data<T>(exp_avg_sq[i]),
                       params[i].numel(), static_cast<T>(1.0 - lr[i] * weight_decay[i]),
                       static_cast<T>(lr[i] / c.bias1)});
    for (int64_t first = 0; first < params[i].numel(); first += kChunkElems)
      chunks.push_back({index, first});
  }
  if (chunks.empty()) return;
  TT_CHECK(chunks.size() <= 0x7fffffffu, "adamw_step (CUDA): ", chunks.size(),
           " chunks exceed the grid limit");
  // One device buffer: the tensor table, then the chunk list (both 8-byte aligned).
  const size_t tensor_bytes = tensors.size() * sizeof(TensorEntry<T>);
  const size_t chunk_bytes = chunks.size() * sizeof(ChunkEntry);
  static_assert(sizeof(TensorEntry<T>) % 8 == 0 && sizeof(ChunkEntry) % 8 == 0);
  std::vector<int64_t> host((tensor_bytes + chunk_bytes) / 8);
  std::memcpy(host.data(), tensors.data(), tensor_bytes);
  std::memcpy(reinterpret_cast<char*>(host.data()) + tensor_bytes, chunks.data(), chunk_bytes);
  Tensor table = empty({static_cast<int64_t>(host.size())}, DType::i64, params[0].device());
  char* device_table = static_cast<char*>(table.raw_data());
  copy_host_to_device(device_table, host.data(), tensor_bytes + chunk_bytes);
  adamw_multi_tensor_kernel<T><<<static_cast<unsigned>(chunks.size()), kUpdateThreads, 0,
                                 current_stream()>>>(
      reinterpret_cast<const TensorEntry<T>*>(device_table),
      reinterpret_cast<const ChunkEntry*>(device_table + tensor_bytes),
      static_cast<T>(c.beta1), static_cast<T>(c.beta2), static_cast<T>(1.0 / c.bias2_sqrt),
      static_cast<T>(c.eps));
  TT_CUDA_CHECK_LAUNCH();
  // `table` is returned to the allocator's cache here; only work queued after this launch on
  // the same stream can reuse it (core/cuda/allocator.h).
}

}  // namespace

void adamw_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                const std::vector<Tensor>& exp_avg, const std::vector<Tensor>& exp_avg_sq,
                const std::vector<double>& lr, const std::vector<double>& weight_decay,
                const AdamWConstants& constants) {
  update_dtype<float>(params, grads, exp_avg, exp_avg_sq, lr, weight_decay, constants);
  update_dtype<double>(params, grads, exp_avg, exp_avg_sq, lr, weight_decay, constants);
}

}  // namespace tt::cuda

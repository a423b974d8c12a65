// bf16 mixed precision: one switch, read by matmul.
//
//   { tt::AutocastBf16 bf16;  loss = model.forward(batch); loss.backward(); }
//
// While it is on (on this thread), matmul of two f32 CUDA tensors rounds both inputs to bf16,
// multiplies on the tensor cores with fp32 accumulation and returns f32. Nothing else changes:
//   - parameters (master weights), gradients and optimizer state stay f32;
//   - activations between ops stay f32: only matmul has bf16 kernels, and every other op
//     (softmax, layer_norm, GELU, losses) keeps its f32 kernel and precision. The price is a
//     cast of each matmul input (memory-bound, small next to the GEMM) and f32 activation memory.
//   - the backward of a matmul made under the switch runs in bf16 too (the switch is recorded
//     with the op, as torch.autocast's saved casts do), whatever the switch says at backward().
// CPU tensors ignore it: CPU matmul is always f32 (or f64), so CPU results, and the CPU oracle
// the CUDA tests compare against, do not depend on the switch.
// Thread-local, like torch.autocast: a guard on one thread does not change another's math.
#pragma once

namespace tt {

bool autocast_bf16();             // off unless switched on
void set_autocast_bf16(bool on);  // for this thread

// Scoped: switches bf16 autocast to `on` for its lifetime, then restores the previous state.
class AutocastBf16 {
 public:
  explicit AutocastBf16(bool on = true);
  ~AutocastBf16();
  AutocastBf16(const AutocastBf16&) = delete;
  AutocastBf16& operator=(const AutocastBf16&) = delete;

 private:
  bool previous_;
};

}  // namespace tt

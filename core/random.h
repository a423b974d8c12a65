// Seeded, counter-based random numbers (Philox4x32-10, Salmon et al. 2011, as in cuRAND and
// PyTorch's CUDA generator). Element i of a draw is a pure function of (seed, offset, i), so
// results are the same whatever the thread count, and a CUDA kernel can reproduce them.
#pragma once
#include <array>
#include <cstdint>

#include "tinytune/core/tensor.h"

namespace tt {

// Four 32-bit random words for a 128-bit counter under a 64-bit key.
std::array<uint32_t, 4> philox4x32(uint64_t counter_lo, uint64_t counter_hi, uint64_t key);

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  void manual_seed(uint64_t seed) {
    seed_ = seed;
    offset_ = 0;
  }
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }  // counters consumed so far (state to save)
  void set_offset(uint64_t offset) { offset_ = offset; }
  // Reserves `count` counters and returns the first; each counter yields 4 words.
  uint64_t advance(uint64_t count) {
    uint64_t start = offset_;
    offset_ += count;
    return start;
  }

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

Generator& default_generator();
void manual_seed(uint64_t seed);  // seeds the default generator

// Draws on `device` (CPU by default). Element i is a pure function of (seed, offset, i) on
// every device: a CUDA draw equals the CPU draw of the same generator state bit for bit.
Tensor uniform(const Shape& shape, double low = 0.0, double high = 1.0, DType dtype = DType::f32,
               Generator& gen = default_generator(), Device device = Device::cpu());
Tensor normal(const Shape& shape, double mean = 0.0, double stddev = 1.0,
              DType dtype = DType::f32, Generator& gen = default_generator(),
              Device device = Device::cpu());
// 1 with probability p, else 0.
Tensor bernoulli(const Shape& shape, double p, DType dtype = DType::f32,
                 Generator& gen = default_generator(), Device device = Device::cpu());

}  // namespace tt

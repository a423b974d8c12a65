// Where a tensor's storage lives: the CPU or a CUDA device (every op dispatches with an
// explicit switch on the device type; core/cuda/runtime.h tells how the CUDA branch is built).
#pragma once
#include <string>

namespace tt {

enum class DeviceType { cpu, cuda };

struct Device {
  DeviceType type = DeviceType::cpu;
  int index = 0;

  static Device cpu() { return {DeviceType::cpu, 0}; }
  static Device cuda(int index = 0) { return {DeviceType::cuda, index}; }
  bool is_cpu() const { return type == DeviceType::cpu; }
  bool operator==(const Device&) const = default;
  std::string str() const {
    return type == DeviceType::cpu ? "cpu" : "cuda:" + std::to_string(index);
  }
};

}  // namespace tt

// Learning-rate schedules as multipliers of the base lr, HF transformers' definitions:
//   linear:   step/warmup during warmup, then (total - step)/(total - warmup) down to 0
//   constant: step/warmup during warmup, then 1
#pragma once
#include <cstdint>
#include <string>

namespace tt::train {

enum class ScheduleKind { linear, constant };

ScheduleKind parse_schedule(const std::string& name);  // "linear" or "constant"

class LrSchedule {
 public:
  LrSchedule(ScheduleKind kind, int64_t warmup_steps, int64_t total_steps);
  double factor(int64_t step) const;  // multiplier at optimizer step `step` (0-based)

 private:
  ScheduleKind kind_;
  int64_t warmup_, total_;
};

}  // namespace tt::train

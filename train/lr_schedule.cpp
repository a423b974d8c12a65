#include "tinytune/train/lr_schedule.h"

#include <algorithm>

#include "tinytune/core/error.h"

namespace tt::train {

ScheduleKind parse_schedule(const std::string& name) {
  if (name == "linear") return ScheduleKind::linear;
  if (name == "constant") return ScheduleKind::constant;
  throw Error("unknown lr schedule '" + name + "' (expected linear or constant)");
}

LrSchedule::LrSchedule(ScheduleKind kind, int64_t warmup_steps, int64_t total_steps)
    : kind_(kind), warmup_(warmup_steps), total_(total_steps) {
  TT_CHECK(warmup_steps >= 0 && total_steps >= 0, "LrSchedule: warmup (", warmup_steps,
           ") and total (", total_steps, ") steps must be >= 0");
}

double LrSchedule::factor(int64_t step) const {
  if (step < warmup_) return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup_));
  if (kind_ == ScheduleKind::constant) return 1.0;
  return std::max(0.0, static_cast<double>(total_ - step) /
                           static_cast<double>(std::max<int64_t>(1, total_ - warmup_)));
}

}  // namespace tt::train

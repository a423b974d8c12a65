// The bf16 autocast switch (core/autocast.h).
#include "tinytune/core/autocast.h"

namespace tt {

namespace {
thread_local bool autocast_bf16_on = false;
}  // namespace

bool autocast_bf16() { return autocast_bf16_on; }
void set_autocast_bf16(bool on) { autocast_bf16_on = on; }

AutocastBf16::AutocastBf16(bool on) : previous_(autocast_bf16_on) { autocast_bf16_on = on; }
AutocastBf16::~AutocastBf16() { autocast_bf16_on = previous_; }

}  // namespace tt

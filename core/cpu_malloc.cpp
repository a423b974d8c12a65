#include "tinytune/core/cpu_malloc.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tt {

bool tune_cpu_malloc() {
#if defined(__GLIBC__)
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) return false;
  // A fixed threshold also turns off glibc's adaptive one; -1 turns trimming off (mallopt(3)).
  const bool threshold_set = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  const bool trim_off = mallopt(M_TRIM_THRESHOLD, -1) == 1;
  return threshold_set && trim_off;
#else
  return false;
#endif
}

}  // namespace tt

// tune_cpu_malloc: applied on glibc, and skipped when the user's GLIBC_TUNABLES set malloc.
// (What it buys, fewer page faults and faster steps, is measured in benchmarks/RESULTS.md.)
#include <cstdlib>
#include <optional>
#include <string>

#include "tinytune/core/cpu_malloc.h"
#include "tests/sanitizers.h"
#include "tests/test_util.h"

using namespace tt;

namespace {

// Sets GLIBC_TUNABLES for one scope and puts back what was there.
struct ScopedTunables {
  std::optional<std::string> saved;
  explicit ScopedTunables(const char* value) {
    if (const char* old = std::getenv("GLIBC_TUNABLES")) saved = old;
    if (value)
      setenv("GLIBC_TUNABLES", value, 1);
    else
      unsetenv("GLIBC_TUNABLES");
  }
  ~ScopedTunables() {
    if (saved)
      setenv("GLIBC_TUNABLES", saved->c_str(), 1);
    else
      unsetenv("GLIBC_TUNABLES");
  }
};

}  // namespace

TEST_CASE("cpu_malloc: tune_cpu_malloc applies on glibc and leaves a user's malloc tunables alone") {
  if (test::kUnderAsan) {
    // ASan's allocator replaces glibc's malloc, and its mallopt() sets nothing and returns 0.
    MESSAGE("skipped under AddressSanitizer: its malloc replaces glibc's, so mallopt() does nothing");
    return;
  }
#if defined(__GLIBC__)
  {
    ScopedTunables none(nullptr);
    CHECK(tune_cpu_malloc());
    CHECK(tune_cpu_malloc());  // idempotent
  }
  {
    ScopedTunables other("glibc.rtld.nns=4");  // not a malloc tunable: still applied
    CHECK(tune_cpu_malloc());
  }
  {
    ScopedTunables user("glibc.malloc.trim_threshold=1048576");
    CHECK_FALSE(tune_cpu_malloc());
  }
#else
  CHECK_FALSE(tune_cpu_malloc());
#endif
}

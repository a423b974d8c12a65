// The one error type of tinytune. Every message names what failed (the op, file, line or flag)
// and what was expected, so a user can act on it without a debugger.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace tt {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}
}  // namespace detail

}  // namespace tt

// TT_CHECK(cond, "matmul: ", "shapes ", a, " and ", b, " ...") throws tt::Error when cond fails.
#define TT_CHECK(cond, ...)                                        \
  do {                                                             \
    if (!(cond)) throw ::tt::Error(::tt::detail::concat(__VA_ARGS__)); \
  } while (0)

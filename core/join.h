// Items joined into one string with a separator, for the lists error messages name ("the
// columns are: a, b, c").
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace tt {

inline std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    out += items[i];
  }
  return out;
}

}  // namespace tt

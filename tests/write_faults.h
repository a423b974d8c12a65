// Helpers of the tests of writes that must survive faults (core/io/atomic_file.h,
// train/checkpoint.h): the temporary files an atomic write left in a directory, and a full disk
// simulated with a file-size limit.
#pragma once
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "tinytune/core/io/atomic_file.h"

namespace tt::test {

// Names of the files in `dir` that have the form of an atomic write's temporary file.
inline std::vector<std::string> temporaries_in(const std::filesystem::path& dir) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (io::is_temporary_path(entry.path().filename().string()))
      found.push_back(entry.path().filename().string());
  return found;
}

// For one scope, no file of this process may grow beyond `bytes` (RLIMIT_FSIZE) and SIGXFSZ is
// ignored, so a write past the limit fails with EFBIG as on a full disk instead of killing the
// process. The previous limit and handler come back at scope exit.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    saved_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{bytes, saved_.rlim_max};
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, saved_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*saved_handler_)(int) = SIG_DFL;
};

}  // namespace tt::test

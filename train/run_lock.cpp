#include "tinytune/train/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "tinytune/core/error.h"
#include "tinytune/core/io/atomic_file.h"

namespace tt::train {

namespace fs = std::filesystem;

namespace {

// "pid 1234", as the holder wrote it, for the message of a run that is refused.
std::string lock_holder(int fd) {
  char text[64] = {};
  const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  std::string holder(text, n > 0 ? static_cast<size_t>(n) : 0);
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
  return holder.empty() ? "pid unknown" : holder;
}

// Temporary files of saves that a killed run never finished (core/io/atomic_file.h).
void remove_stale_temporaries(const std::string& output_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(output_dir, ec))
    if (entry.is_regular_file(ec) && io::is_temporary_path(entry.path().filename().string()))
      fs::remove(entry.path(), ec);
}

}  // namespace

RunLock::RunLock(const std::string& output_dir) {
  const std::string path = (fs::path(output_dir) / "run.lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(detail::concat(path, ": cannot create the run's lock file: ", std::strerror(errno)));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string holder = lock_holder(fd_);
    ::close(fd_);
    if (err == EWOULDBLOCK)
      throw Error(detail::concat("output directory ", output_dir, " is in use by another run (",
                                 holder, " holds ", path, "); wait for it to end or choose "
                                 "another --output-dir"));
    throw Error(detail::concat(path, ": cannot lock: ", std::strerror(err)));
  }
  const std::string holder = detail::concat("pid ", ::getpid(), "\n");
  // Only the message of a refused run reads it: a failed write costs nothing else.
  const bool written = ::ftruncate(fd_, 0) == 0 &&
                       ::pwrite(fd_, holder.data(), holder.size(), 0) == static_cast<ssize_t>(holder.size());
  (void)written;
  remove_stale_temporaries(output_dir);
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the lock
}

}  // namespace tt::train

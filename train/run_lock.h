// One training run per output directory. The trainer holds an exclusive flock(2) on
// <output-dir>/run.lock from its start to its end; a second run on the same directory (a fresh
// one included) fails at its start, naming the directory and the holder's pid, instead of
// interleaving its checkpoints and metrics with the first's. The kernel drops the lock when the
// holding process ends, however it ends (exit, crash, SIGKILL), so a killed run never leaves
// the directory locked. The file stays: removing it would let a third run lock a new file while
// the second still holds the old one.
#pragma once
#include <string>

namespace tt::train {

class RunLock {
 public:
  // Locks <output_dir>/run.lock (created if missing; `output_dir` must exist) and writes this
  // process's pid into it; then removes the temporary files that killed runs left in
  // `output_dir` (io::is_temporary_path): no other writer can be running there. tt::Error when
  // another process holds the lock, or the file cannot be created or locked.
  explicit RunLock(const std::string& output_dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace tt::train

// RunLock (train/run_lock.h): one run per output directory, a fresh one included; the lock goes
// with its holder, also when the holder is killed; stale temporary files of killed saves go.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "tinytune/core/error.h"
#include "tinytune/core/io/atomic_file.h"
#include "tinytune/train/run_lock.h"
#include "tests/test_util.h"
#include "tests/write_faults.h"

using namespace tt;
using tt::test::check_error;
using tt::test::TempDir;

TEST_CASE("run_lock: a second run on the same output directory is refused until the first ends") {
  TempDir tmp;
  const std::string dir = tmp.file("fresh_run");
  std::filesystem::create_directories(dir);
  {
    train::RunLock first(dir);
    std::ifstream holder(dir + "/run.lock");
    std::string line;
    std::getline(holder, line);
    CHECK(line == "pid " + std::to_string(::getpid()));
    // flock(2) locks belong to an open file, so a second open in this process conflicts too.
    check_error([&] { train::RunLock second(dir); },
                {"output directory " + dir + " is in use by another run",
                 "pid " + std::to_string(::getpid()), "--output-dir"});
  }
  train::RunLock after(dir);  // the first released it
}

TEST_CASE("run_lock: the lock dies with a killed holder") {
  TempDir tmp;
  const std::string dir = tmp.dir.string();
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    try {
      train::RunLock lock(dir);
      if (::write(ready[1], "L", 1) != 1) ::_exit(2);
      for (;;) ::pause();  // holds the lock until killed
    } catch (...) {
      ::_exit(3);
    }
  }
  // Killed and reaped on every way out, a failed REQUIRE included.
  struct Reaper {
    pid_t pid;
    int status = 0;
    void kill_now() {
      if (pid <= 0) return;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      pid = 0;
    }
    ~Reaper() { kill_now(); }
  } holder{child};
  ::close(ready[1]);
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  ::close(ready[0]);
  check_error([&] { train::RunLock refused(dir); },
              {"is in use by another run", "pid " + std::to_string(child)});
  holder.kill_now();
  CHECK(WIFSIGNALED(holder.status));
  train::RunLock after(dir);  // no stale lock
}

TEST_CASE("run_lock: temporary files of saves that never finished are removed, nothing else") {
  TempDir tmp;
  const std::string stale = io::temporary_path_for(tmp.file("checkpoint.h5"));
  for (const std::string& name : {stale, tmp.file("checkpoint.h5"), tmp.file("notes.tmp")})
    std::ofstream(name) << "x";
  train::RunLock lock(tmp.dir.string());
  CHECK_FALSE(std::filesystem::exists(stale));
  CHECK(std::filesystem::exists(tmp.file("checkpoint.h5")));
  CHECK(std::filesystem::exists(tmp.file("notes.tmp")));
  CHECK(test::temporaries_in(tmp.dir).empty());
}

TEST_CASE("run_lock: a missing directory is an error naming the lock file") {
  TempDir tmp;
  check_error([&] { train::RunLock lock(tmp.file("missing")); },
              {tmp.file("missing") + "/run.lock", "cannot create"});
}

// AtomicFile: a file appears whole or not at all, and a failed write leaves the old one alone.
#include <fstream>
#include <sstream>

#include "tinytune/core/io/atomic_file.h"
#include "tests/test_util.h"

using namespace tt;
using tt::test::TempDir;

static std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("atomic_file: write, replace, and an abandoned write leaves the old file") {
  TempDir tmp;
  const std::string path = tmp.file("results.json");
  io::write_file_atomically(path, "first");
  CHECK(read_all(path) == "first");
  io::write_file_atomically(path, "second");
  CHECK(read_all(path) == "second");
  CHECK(!std::filesystem::exists(path + ".tmp"));
  {
    io::AtomicFile out(path);
    out.write("partial", 7);
    // destroyed without commit(), as when an exception unwinds
  }
  CHECK(read_all(path) == "second");
  CHECK(!std::filesystem::exists(path + ".tmp"));
  CHECK_THROWS_WITH_AS(io::write_file_atomically(tmp.file("no/such/dir/x.json"), "x"),
                       doctest::Contains("no/such/dir/x.json"), Error);
}

// AtomicFile: a file appears whole or not at all, a failed write (a full disk included) leaves
// the old one alone, and two writers of one path never share a temporary file.
#include <fstream>
#include <sstream>

#include "tinytune/core/io/atomic_file.h"
#include "tests/test_util.h"
#include "tests/write_faults.h"

using namespace tt;
using tt::test::TempDir;
using tt::test::temporaries_in;

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
  CHECK(temporaries_in(tmp.dir).empty());
  {
    io::AtomicFile out(path);
    out.write("partial", 7);
    CHECK(temporaries_in(tmp.dir).size() == 1);  // the bytes are somewhere until commit()
    // destroyed without commit(), as when an exception unwinds
  }
  CHECK(read_all(path) == "second");
  CHECK(temporaries_in(tmp.dir).empty());
  CHECK_THROWS_WITH_AS(io::write_file_atomically(tmp.file("no/such/dir/x.json"), "x"),
                       doctest::Contains("no/such/dir/x.json"), Error);
}

TEST_CASE("atomic_file: temporary names are unique per call and recognisable") {
  const std::string a = io::temporary_path_for("/out/checkpoint.h5");
  const std::string b = io::temporary_path_for("/out/checkpoint.h5");
  CHECK(a != b);
  CHECK(a.rfind("/out/checkpoint.h5.tmp." + std::to_string(::getpid()) + ".", 0) == 0);
  CHECK(io::is_temporary_path(a));
  CHECK(io::is_temporary_path("checkpoint.h5.tmp.12.0.0123abcd"));
  for (const char* other : {"checkpoint.h5", "checkpoint.h5.tmp", ".tmp.12.0.0123abcd",
                            "/out/.tmp.12.0.0123abcd", "x.tmp.12.0.0123ABCD", "x.tmp.12..0123abcd",
                            "x.tmp.a.0.0123abcd", "x.tmp.12.0.0123abc", "x.temp.12.0.0123abcd", ""}) {
    CAPTURE(other);
    CHECK_FALSE(io::is_temporary_path(other));
  }
}

TEST_CASE("atomic_file: two writers of one path each write their own file, the last commit wins") {
  TempDir tmp;
  const std::string path = tmp.file("results.json");
  io::AtomicFile first(path), second(path);
  first.write("from the first writer", 21);
  second.write("second", 6);
  CHECK(temporaries_in(tmp.dir).size() == 2);
  second.commit();
  CHECK(read_all(path) == "second");
  first.commit();
  CHECK(read_all(path) == "from the first writer");
  CHECK(temporaries_in(tmp.dir).empty());
}

TEST_CASE("atomic_file: a disk that fills during the write is an error and leaves the old file") {
  TempDir tmp;
  const std::string path = tmp.file("adapter_model.safetensors");
  io::write_file_atomically(path, "old contents");
  const std::string big(1 << 20, 'x');
  {
    test::FileSizeLimit full(64 * 1024);
    const std::string message = test::check_error(
        [&] { io::write_file_atomically(path, big); }, {path, "File too large"});
    MESSAGE(message);
  }
  CHECK(read_all(path) == "old contents");
  CHECK(temporaries_in(tmp.dir).empty());
}

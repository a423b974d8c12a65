// Shared by the libFuzzer targets of tests/fuzz/: the readers under test take file paths, so each
// input is written to a file of this process first. Every target calls one reader and accepts
// only two outcomes: a result, or a tt::Error. Any other exception, a crash or a sanitizer
// report is a finding (libFuzzer stops and saves the input).
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace tt::fuzz {

// A directory of this process under the system temp dir, removed at exit.
inline const std::filesystem::path& scratch_dir() {
  struct Dir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("tinytune_fuzz_" + std::to_string(::getpid()));
    Dir() { std::filesystem::create_directories(path); }
    ~Dir() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Dir dir;
  return dir.path;
}

// Writes `size` bytes to <scratch>/<name> and returns its path.
inline std::string write_input(const uint8_t* data, size_t size, const std::string& name) {
  const std::string path = (scratch_dir() / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace tt::fuzz

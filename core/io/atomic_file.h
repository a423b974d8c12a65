// Files that appear whole or not at all: bytes go to "<path>.tmp", which is flushed, synced and
// renamed over <path> by commit(). Destroyed without commit() (an exception on the way), the
// temporary file is removed and <path> keeps whatever it held before.
#pragma once
#include <cstdio>
#include <string>

namespace tt::io {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // opens <path>.tmp; tt::Error naming path on failure
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t bytes);
  void commit();

 private:
  std::string path_, tmp_;
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};

// The whole of `text` as <path>, atomically.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace tt::io

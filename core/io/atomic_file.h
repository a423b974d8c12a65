// Files that appear whole or not at all: bytes go to a temporary file beside <path>
// (temporary_path_for), which is flushed, synced and renamed over <path> by commit(), and the
// directory is synced so that the rename survives a power cut. Destroyed without commit() (an
// exception on the way), the temporary file is removed and <path> keeps whatever it held before.
// A process killed mid-write leaves its temporary file behind, never a partial <path>.
#pragma once
#include <cstdio>
#include <string>

namespace tt::io {

class AtomicFile {
 public:
  // Opens a fresh temporary_path_for(path); tt::Error naming path on failure.
  explicit AtomicFile(std::string path);
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

// A new name beside `path` for writing it: "<path>.tmp.<pid>.<n>.<8 hex digits>", n counting
// this process's calls and the hex digits drawn once per process. Two writers of one path
// (processes, threads, or hosts sharing a file system) never write into the same file.
std::string temporary_path_for(const std::string& path);
// Whether `name` (a file name or path) has the form temporary_path_for gives.
bool is_temporary_path(const std::string& name);
// fsync of the directory holding `path`, so that a rename into it is durable; best effort
// (some file systems refuse to sync directories, and the rename itself has happened).
void sync_parent_directory(const std::string& path);

// The whole of `text` as <path>, atomically.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace tt::io

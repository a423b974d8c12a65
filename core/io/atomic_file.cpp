#include "tinytune/core/io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "tinytune/core/error.h"

namespace tt::io {

namespace {

template <typename... Parts>
[[noreturn]] void fail(const std::string& path, const Parts&... parts) {
  throw Error(detail::concat(path, ": ", parts...));
}

// Drawn once per process: tells apart processes of equal pid on different hosts.
const std::string& process_tag() {
  static const std::string tag = [] {
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(std::random_device{}()));
    return std::string(hex);
  }();
  return tag;
}

}  // namespace

std::string temporary_path_for(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return detail::concat(path, ".tmp.", ::getpid(), ".", counter.fetch_add(1), ".", process_tag());
}

bool is_temporary_path(const std::string& name) {
  // From the end: 8 hex digits, the counter, the pid, "tmp", and a non-empty original name.
  size_t end = name.size();
  auto field = [&](auto accept, size_t min_size, size_t max_size) {
    if (end == 0) return false;
    const size_t dot = name.rfind('.', end - 1);
    if (dot == std::string::npos) return false;
    const std::string part = name.substr(dot + 1, end - dot - 1);
    end = dot;
    return part.size() >= min_size && part.size() <= max_size &&
           std::all_of(part.begin(), part.end(), accept);
  };
  const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return field(hex, 8, 8) && field(digit, 1, 20) && field(digit, 1, 20) &&
         name.compare(end >= 4 ? end - 4 : 0, 4, ".tmp") == 0 && end > 4 &&
         name[end - 5] != '/';
}

void sync_parent_directory(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int fd = ::open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), tmp_(temporary_path_for(path_)) {
  file_ = std::fopen(tmp_.c_str(), "wbx");  // x: never into a file someone else opened
  if (file_ == nullptr) fail(path_, "cannot open ", tmp_, " for writing: ", std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (file_ != nullptr) std::fclose(file_);
  if (!committed_) std::remove(tmp_.c_str());
}

void AtomicFile::write(const void* data, size_t bytes) {
  if (bytes > 0 && std::fwrite(data, 1, bytes, file_) != bytes)
    fail(path_, "write to ", tmp_, " failed: ", std::strerror(errno));
}

void AtomicFile::commit() {
  if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0)
    fail(path_, "flushing ", tmp_, " failed: ", std::strerror(errno));
  const int rc = std::fclose(file_);
  file_ = nullptr;
  if (rc != 0) fail(path_, "closing ", tmp_, " failed: ", std::strerror(errno));
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
    fail(path_, "renaming ", tmp_, " over it failed: ", std::strerror(errno));
  committed_ = true;
  sync_parent_directory(path_);
}

void write_file_atomically(const std::string& path, const std::string& text) {
  AtomicFile out(path);
  out.write(text.data(), text.size());
  out.commit();
}

}  // namespace tt::io

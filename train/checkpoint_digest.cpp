#include "tinytune/train/checkpoint_digest.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "tinytune/core/error.h"
#include "tinytune/core/format_version.h"

namespace tt::train {

namespace {

const std::string kMagic = "tinytune checkpoint\n";
const std::string kHdf5Signature = "\x89HDF\r\n\x1a\n";
constexpr size_t kReadChunk = size_t{1} << 20;

template <typename... Parts>
[[noreturn]] void fail(const std::string& path, const Parts&... parts) {
  throw Error(detail::concat("checkpoint: ", path, ": ", parts...));
}

// A file descriptor, closed on scope exit.
class Descriptor {
 public:
  Descriptor(const std::string& path, const std::string& file, int flags)
      : fd_(::open(file.c_str(), flags | O_CLOEXEC)) {
    if (fd_ < 0) fail(path, "cannot open ", file, ": ", std::strerror(errno));
  }
  ~Descriptor() { ::close(fd_); }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads up to n bytes at `offset`; fewer only at the end of the file.
size_t read_at(const std::string& path, int fd, char* buffer, size_t n, off_t offset) {
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd, buffer + done, n - done, offset + static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail(path, "read failed: ", std::strerror(errno));
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

// SHA-256 of the bytes from kDigestBlockBytes to the end of the file, in lowercase hex.
std::string digest_after_block(const std::string& path, int fd) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1)
    fail(path, "cannot start a SHA-256 digest (OpenSSL)");
  std::vector<char> buffer(kReadChunk);
  off_t offset = kDigestBlockBytes;
  for (size_t n; (n = read_at(path, fd, buffer.data(), buffer.size(), offset)) > 0;
       offset += static_cast<off_t>(n))
    if (EVP_DigestUpdate(context.get(), buffer.data(), n) != 1)
      fail(path, "SHA-256 digest failed (OpenSSL)");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(context.get(), digest, &size) != 1)
    fail(path, "SHA-256 digest failed (OpenSSL)");
  static const char* const kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

// The value of the line "<key> <value>\n" at `pos` of the block (pos moves past it), or ""
// when the line is not there.
std::string take_line(const std::string& block, size_t& pos, const std::string& key) {
  if (block.compare(pos, key.size() + 1, key + " ") != 0) return "";
  const size_t end = block.find('\n', pos);
  if (end == std::string::npos) return "";
  const size_t begin = pos + key.size() + 1;
  pos = end + 1;
  return block.substr(begin, end - begin);
}

bool all_of_chars(const std::string& text, const char* allowed) {
  return !text.empty() && text.find_first_not_of(allowed) == std::string::npos;
}

[[noreturn]] void damaged(const std::string& path, const char* what) {
  fail(path, "its digest block (the first ", kDigestBlockBytes, " bytes) is damaged: ", what,
       "; the file is corrupted");
}

// The block's format version, after checking it is this build's; returns the stated digest.
std::string parse_block(const std::string& path, const std::string& block) {
  size_t pos = kMagic.size();
  const std::string version = take_line(block, pos, "format_version");
  if (!all_of_chars(version, "0123456789") || version.size() > 9)
    damaged(path, "no valid 'format_version' line");
  check_format_version("checkpoint: " + path, std::stoll(version));
  if (std::stoll(version) < kOldestCheckpointVersion)
    damaged(path, "a format version older than the first with a digest block");
  const std::string digest = take_line(block, pos, "sha256");
  if (digest.size() != 64 || !all_of_chars(digest, "0123456789abcdef"))
    damaged(path, "no valid 'sha256' line");
  if (std::any_of(block.begin() + static_cast<std::ptrdiff_t>(pos), block.end(),
                  [](char c) { return c != '\0'; }))
    damaged(path, "bytes other than NUL after its last line");
  return digest;
}

}  // namespace

void write_digest_block(const std::string& path, const std::string& file) {
  const Descriptor descriptor(path, file, O_RDWR);
  const std::string text = kMagic + "format_version " + std::to_string(kFormatVersion) +
                            "\nsha256 " + digest_after_block(path, descriptor.get()) + "\n";
  std::string block(kDigestBlockBytes, '\0');
  block.replace(0, text.size(), text);
  if (::pwrite(descriptor.get(), block.data(), block.size(), 0) !=
      static_cast<ssize_t>(block.size()))
    fail(path, "cannot write the digest block of ", file, ": ", std::strerror(errno));
}

void verify_digest_block(const std::string& path) {
  const Descriptor descriptor(path, path, O_RDONLY);
  std::string block(kDigestBlockBytes, '\0');
  block.resize(read_at(path, descriptor.get(), block.data(), block.size(), 0));
  if (block.rfind(kHdf5Signature, 0) == 0)
    fail(path, "an HDF5 file without a digest block: a checkpoint of format version 1 (tinytune "
         "before digests) or a file of another program; this build reads format versions ",
         kOldestCheckpointVersion, " to ", kFormatVersion, " only, whose SHA-256 digest is checked before libhdf5 "
         "parses them (restart the run, or finish it with the tinytune that wrote the file)");
  if (block.rfind(kMagic, 0) != 0)
    fail(path, "not a tinytune checkpoint: it does not start with \"tinytune checkpoint\" "
         "(expected a format version ", kFormatVersion, " checkpoint written by save_checkpoint)");
  if (block.size() < kDigestBlockBytes) damaged(path, "the file ends inside it");
  const std::string stated = parse_block(path, block);
  const std::string actual = digest_after_block(path, descriptor.get());
  if (actual != stated)
    fail(path, "corrupted: the SHA-256 digest of its contents is ", actual,
         " but its digest block says ", stated,
         " (the file changed after it was written: a disk, copy or transfer error?)");
}

}  // namespace tt::train

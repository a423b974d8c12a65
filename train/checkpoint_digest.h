// The digest block of a training checkpoint (train/checkpoint.h): the first 512 bytes of the
// file, an HDF5 "user block" that libhdf5 reserves at save time and skips when it opens the
// file, holding the format version and a SHA-256 digest of every byte after the block:
//
//   "tinytune checkpoint\n"
//   "format_version <N>\n"          N = tt::kFormatVersion (core/format_version.h) when written
//   "sha256 <64 lowercase hex digits>\n"
//   NUL bytes up to byte 512
//
// The digest is checked BEFORE libhdf5 parses anything, because libhdf5 1.10 trusts parts of
// its own metadata (e.g. the fractal heaps of groups with many links) and crashes on some
// corruptions of them instead of reporting an error. Living inside the file, the digest is
// published by the same atomic rename as the data. SHA-256 is OpenSSL's (libcrypto): a
// maintained library rather than hand-written code, and fast (hardware SHA extensions).
#pragma once
#include <cstddef>
#include <string>

namespace tt::train {

inline constexpr size_t kDigestBlockBytes = 512;  // HDF5 user blocks: 512 times a power of 2

// Writes the digest block into the first kDigestBlockBytes of `file` (a checkpoint written
// with a user block of that size), hashing the rest. Errors are tt::Error naming `path`, the
// checkpoint the caller is saving (`file` may be its temporary).
void write_digest_block(const std::string& path, const std::string& file);

// Reads the digest block of `path` and the rest of the file, and throws tt::Error naming the
// file unless the block is well formed, its format version is kOldestCheckpointVersion to
// kFormatVersion, and the digest matches. A file that starts with the HDF5 signature has no block: a checkpoint of format
// version 1 (or an HDF5 file not written by tinytune), refused with both versions named.
void verify_digest_block(const std::string& path);

}  // namespace tt::train

// The version of the files tinytune writes, one number for all of them: training checkpoints
// (train/checkpoint.h: the digest block's header and the root attribute
// "tinytune_checkpoint_version") and adapter directories (peft/adapter_io.h: the key
// "tinytune_format_version" of adapter_config.json). It lives in core/ because peft/ cannot
// include train/.
//
// History:
//   0  no version recorded: adapter directories written before version 2, and every adapter
//      directory written by HF PEFT. They still load.
//   1  checkpoints with the version attribute but no digest (refused since 2: they cannot be
//      checked before libhdf5 parses them, and a corrupted one can crash libhdf5).
//   2  checkpoints carry a SHA-256 digest in their HDF5 user block; adapter_config.json
//      records the version.
//   3  a checkpoint of a data-parallel run records its process count ("dist/ranks") and each
//      rank's generator (train/data_parallel.h); a version 2 reader would resume it as one
//      process. Version 2 checkpoints still load: they are single-process ones.
// Bump it when a reader of the old version would misread the new files; a reader refuses a
// version newer than its own (check_format_version).
#pragma once
#include <cstdint>
#include <string>

#include "tinytune/core/error.h"

namespace tt {

inline constexpr int64_t kFormatVersion = 3;
// The oldest checkpoint version this build loads (the first with a digest).
inline constexpr int64_t kOldestCheckpointVersion = 2;

// Throws tt::Error naming `file` when `version` is newer than this build's kFormatVersion, or
// negative. Older versions are the caller's to accept or refuse.
inline void check_format_version(const std::string& file, int64_t version) {
  TT_CHECK(version >= 0, file, ": tinytune format version ", version,
           " is invalid (expected 0 to ", kFormatVersion, ")");
  TT_CHECK(version <= kFormatVersion, file, ": written by a newer tinytune (format version ",
           version, "); this build reads format versions up to ", kFormatVersion,
           ": update tinytune to read it");
}

}  // namespace tt

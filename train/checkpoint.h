// Training-state checkpoints (model and optimizer tensors, step counters, RNG state, config) as
// HDF5 files, written with the HDF5 C API and readable by any HDF5 reader, h5py included.
//
// File layout (format version 1):
//   /                                  root group; its attributes hold the scalars:
//     @tinytune_checkpoint_version     int64 = 1; loading requires it (reserved name)
//     @<name>                          one scalar attribute per entry, told apart by its type:
//                                        integers -> int64, reals -> float64,
//                                        strings  -> fixed-length UTF-8 string (NUL-padded;
//                                                    "" is stored as one NUL)
//                                      names are used as they are ('/' and '.' allowed), e.g.
//                                      f.attrs["rng/seed"], f.attrs["config"] in h5py (which
//                                      returns fixed-length strings as bytes: .decode())
//   /<a>/<b>/.../<leaf>                one dataset per tensor at its slash path (intermediate
//                                      groups created), e.g. "model/bert.encoder.layer.0.
//                                      attention.self.query.weight", "optimizer/m/3"; its shape
//                                      and dtype are the tensor's: f32, f64 (IEEE little-endian),
//                                      i32, i64 (signed little-endian); 0-d tensors are scalar
//                                      datasets, empty tensors have a 0 in their shape
//
// Corruption is detected rather than loaded: the file uses the HDF5 1.10 object formats, whose
// metadata (superblock, object headers, chunk indexes) is checksummed; non-empty tensors of
// >= 1 dims are chunked (~1 MiB chunks) with HDF5's Fletcher-32 filter; 0-d tensors and the
// scalars live in the checksummed object headers. Strings are fixed-length because HDF5's
// variable-length strings sit in its unchecksummed global heap, whose corruption crashes HDF5
// 1.10. One gap remains: a string over 64 KiB cannot fit an object header, so HDF5 moves all
// root attributes to "dense" storage, where values over 4 KiB are not checksummed; a flipped
// byte inside such a string then changes it silently.
//
// In h5py: f = h5py.File(path); f["model/..."][()]; dict(f.attrs). See
// scripts/check_checkpoint_h5py.py.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "tinytune/core/tensor.h"

namespace tt::train {

struct Checkpoint {
  // Slash paths, e.g. "model/bert.encoder.layer.0.attention.self.query.weight", "optimizer/m/3".
  // Each path component is non-empty and not "." or ".."; no tensor path may be a prefix
  // directory of another ("a" and "a/b" cannot both exist). CPU tensors; any strides.
  std::map<std::string, Tensor> tensors;
  std::map<std::string, int64_t> integers;     // e.g. "step", "epoch", "rng/seed", "rng/offset"
  std::map<std::string, double> reals;         // e.g. "best_metric"
  std::map<std::string, std::string> strings;  // e.g. "config" (a JSON string), "task"
  // Scalar names share one namespace (root attributes): non-empty, unique across the three
  // maps, and not "tinytune_checkpoint_version".
};

// The format version this build writes and the only one it reads.
inline constexpr int64_t kCheckpointVersion = 1;

// Writes atomically: to path + ".tmp" (same directory), closed and fsync'ed, then renamed over
// `path`. Invalid names or tensors are errors raised before any file is touched; a failure
// never leaves a partial file at `path` (an existing one stays as it was) and removes the .tmp.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);

// Reads everything back: tensors in their stored dtype (f32, f64, i32, i64), scalars by the
// type of their root attribute. Any problem (missing file, not HDF5, truncated or corrupted
// file, missing/other format version, a dataset or attribute type outside the layout above)
// is a tt::Error naming the file and the fault; HDF5's own error stack is never printed.
Checkpoint load_checkpoint(const std::string& path);

}  // namespace tt::train

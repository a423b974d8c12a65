// Training-state checkpoints (model and optimizer tensors, step counters, RNG state, config) as
// HDF5 files, written with the HDF5 C API and readable by any HDF5 reader, h5py included.
//
// File layout (format version 3, tt::kFormatVersion of core/format_version.h; version 2 is the
// same layout, without the data-parallel entries "dist/..." of train/data_parallel.h):
//   bytes 0-511                        the digest block (train/checkpoint_digest.h), an HDF5
//                                      user block: "tinytune checkpoint", the format version,
//                                      and the SHA-256 of every byte after the block
//   /                                  root group; its attributes hold the scalars:
//     @tinytune_checkpoint_version     int64 = 3; loading requires 2 or 3 (reserved name)
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
// Corruption is refused before libhdf5 sees the file: loading first hashes every byte after the
// digest block and compares with the block, because libhdf5 1.10 crashes (SIGSEGV) on some
// corrupted metadata rather than reporting it (e.g. the dense link storage of a group of many
// tensors, which every BERT checkpoint has). The digest is inside the file, so the one atomic
// rename that publishes a checkpoint publishes its digest. Files without the block (format
// version 1, written before digests) are refused, naming both versions: their corruption could
// crash the loader, and they only hold the state of runs to restart.
//
// Inside, HDF5's own checks remain: the file uses the HDF5 1.10 object formats, whose
// metadata (superblock, object headers, chunk indexes) is checksummed; non-empty tensors of
// >= 1 dims are chunked (~1 MiB chunks) with HDF5's Fletcher-32 filter; 0-d tensors and the
// scalars live in the checksummed object headers. Strings are fixed-length because HDF5's
// variable-length strings sit in its unchecksummed global heap, whose corruption crashes HDF5
// 1.10. One gap remains: a string over 64 KiB cannot fit an object header, so HDF5 moves all
// root attributes to "dense" storage, where values over 4 KiB are not checksummed; a flipped
// byte inside such a string then changes it silently.
//
// In h5py: f = h5py.File(path); f["model/..."][()]; dict(f.attrs). See
// scripts/check_checkpoint_h5py.py. (HDF5 readers skip the user block by themselves.)
//
// HDF5's error stack is never printed: tinytune turns HDF5's printing off for the process on
// its first checkpoint call. TINYTUNE_HDF5_DEBUG=1 in the environment leaves it on, for
// diagnosing a file that passes the digest but that HDF5 refuses. Every HDF5 handle is closed
// on every path (RAII: Handle in checkpoint.cpp).
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "tinytune/core/format_version.h"
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

// The format version this build writes, the one of every file tinytune writes
// (core/format_version.h); it reads kOldestCheckpointVersion to this one.
inline constexpr int64_t kCheckpointVersion = kFormatVersion;

// Writes atomically: to a temporary file of its own beside `path` (io::temporary_path_for), closed
// and fsync'ed, then renamed over `path`. Invalid names or tensors are errors raised before any
// file is touched; a failure (a full disk included) never leaves a partial file at `path` (an
// existing one stays as it was) and removes the temporary file. A process killed mid-save
// leaves `path` as it was and its temporary file behind (train/run_lock.h removes those).
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);

// Reads everything back: tensors in their stored dtype (f32, f64, i32, i64), scalars by the
// type of their root attribute. Any problem (missing file, not a checkpoint, a digest that does
// not match: truncated or corrupted; missing/other format version, a dataset or attribute type
// outside the layout above) is a tt::Error naming the file and the fault, never a crash.
Checkpoint load_checkpoint(const std::string& path);

// For the fuzz target only (tests/fuzz/fuzz_checkpoint.cpp): load_checkpoint without the digest
// check, so that arbitrary bytes reach libhdf5 and the checks after it. Never for real files:
// libhdf5 crashes on some corruptions that the digest keeps from it.
Checkpoint load_checkpoint_skipping_digest(const std::string& path);

}  // namespace tt::train

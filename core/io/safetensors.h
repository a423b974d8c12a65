// The safetensors checkpoint format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON header
//   {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "value", ...}}
// then the raw little-endian tensor data; data_offsets are byte offsets into that data block.
//
// Reading maps the file (mmap) and copies each tensor into its own Storage. Every malformed
// input (truncated file, bad JSON, missing or ill-typed fields, unknown dtype, offsets out of
// range, not matching shape x dtype, or overlapping) is a tt::Error naming the file and the
// fault, never a crash.
#pragma once
#include <map>
#include <string>

#include "tinytune/core/tensor.h"

namespace tt::io {

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;  // the "__metadata__" entry (string -> string)
};

// Reads every tensor and the metadata of a .safetensors file. F32, F64, I32, I64 load as
// themselves; F16 and BF16 are converted to f32. Other dtypes (BOOL, U8, I8, ...) are errors.
SafetensorsFile read_safetensors(const std::string& path);

// The shape of every tensor, from the header alone (no tensor data is read or allocated), after
// the same checks of the header as read_safetensors: e.g. to check a config against a weights
// file before building a model of the config's size.
std::map<std::string, Shape> read_safetensors_shapes(const std::string& path);

// The tensors of read_safetensors(path).
std::map<std::string, Tensor> load_safetensors(const std::string& path);

// Writes `tensors` (contiguous CPU copies, in their own dtype: F32, F64, I32 or I64) and
// `metadata` atomically: to path + ".tmp", then rename over path. The header is padded with
// spaces to a multiple of 8 bytes, as the reference implementation does. A tensor named
// "__metadata__" or an undefined tensor is an error.
void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace tt::io

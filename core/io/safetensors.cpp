#include "tinytune/core/io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "tinytune/core/error.h"
#include "tinytune/core/io/atomic_file.h"

namespace tt::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian host would need byte swaps");

namespace {

using json = nlohmann::json;

template <typename... Parts>
[[noreturn]] void fail(const std::string& path, const Parts&... parts) {
  throw Error(detail::concat("safetensors: ", path, ": ", parts...));
}

// ---- file mapping ---------------------------------------------------------------------------

// A read-only mapping of a whole file, unmapped (and closed) on destruction.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) fail(path, "cannot open for reading: ", std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail(path, "cannot stat: ", std::strerror(errno));
    if (!S_ISREG(st.st_mode)) fail(path, "not a regular file");
    size_ = static_cast<size_t>(st.st_size);
    if (size_ == 0) return;  // mmap of 0 bytes is invalid; the size check reports it
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (p == MAP_FAILED) fail(path, "cannot mmap ", size_, " bytes: ", std::strerror(errno));
    data_ = static_cast<const unsigned char*>(p);
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<unsigned char*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  std::string path_;
  int fd_ = -1;
  const unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

// ---- dtypes -----------------------------------------------------------------------------------

enum class FileDType { f32, f64, i32, i64, f16, bf16 };

struct DTypeInfo {
  const char* name;
  FileDType file;
  size_t size;  // bytes per element in the file
  DType loaded;  // the tinytune dtype it loads as
};

constexpr DTypeInfo kDTypes[] = {
    {"F32", FileDType::f32, 4, DType::f32},  {"F64", FileDType::f64, 8, DType::f64},
    {"I32", FileDType::i32, 4, DType::i32},  {"I64", FileDType::i64, 8, DType::i64},
    {"F16", FileDType::f16, 2, DType::f32},  {"BF16", FileDType::bf16, 2, DType::f32},
};

const DTypeInfo* find_dtype(const std::string& name) {
  for (const auto& info : kDTypes)
    if (name == info.name) return &info;
  return nullptr;
}

const char* file_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "F32";
    case DType::f64: return "F64";
    case DType::i32: return "I32";
    case DType::i64: return "I64";
    case DType::bf16: return "BF16";  // tinytune's bfloat16 has the file's bit layout
  }
  return "?";
}

// IEEE 754 binary16 -> binary32 (exact; subnormals, infinities and NaN kept).
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf or NaN
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);  // 112 = 127 - 15
  } else if (mantissa == 0) {
    bits = sign;  // +-0
  } else {
    // Subnormal half: normalise into a float.
    int e = -1;
    do {
      ++e;
      mantissa <<= 1;
    } while ((mantissa & 0x400u) == 0);
    bits = sign | static_cast<uint32_t>(112 - e) << 23 | ((mantissa & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

float bf16_to_float(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

// ---- header parsing ---------------------------------------------------------------------------

// A non-negative JSON integer as uint64, or an error naming the field.
uint64_t get_index(const std::string& path, const std::string& name, const char* field,
                   const json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0)
    return static_cast<uint64_t>(value.get<int64_t>());
  fail(path, "tensor '", name, "': ", field, " must hold non-negative integers, got ",
       value.dump());
}

struct Entry {
  std::string name;
  const DTypeInfo* dtype;
  Shape shape;
  uint64_t begin, end;  // byte offsets into the data block
};

Entry parse_entry(const std::string& path, const std::string& name, const json& info,
                  uint64_t data_size) {
  if (!info.is_object())
    fail(path, "tensor '", name, "': expected an object with dtype, shape and data_offsets, got ",
         info.dump());
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!info.contains(field)) fail(path, "tensor '", name, "': missing \"", field, "\"");

  const json& dtype = info["dtype"];
  if (!dtype.is_string())
    fail(path, "tensor '", name, "': dtype must be a string, got ", dtype.dump());
  const DTypeInfo* dt = find_dtype(dtype.get<std::string>());
  if (dt == nullptr)
    fail(path, "tensor '", name, "': unsupported dtype \"", dtype.get<std::string>(),
         "\" (supported: F32, F64, I32, I64, F16, BF16)");

  const json& shape = info["shape"];
  if (!shape.is_array())
    fail(path, "tensor '", name, "': shape must be an array, got ", shape.dump());
  Entry entry{name, dt, {}, 0, 0};
  uint64_t numel = 1;
  bool overflow = false;
  for (const json& s : shape) {
    uint64_t size = get_index(path, name, "shape", s);
    if (size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail(path, "tensor '", name, "': shape ", shape.dump(), " has a dim too large");
    overflow = overflow || __builtin_mul_overflow(numel, size, &numel);
    entry.shape.push_back(static_cast<int64_t>(size));
  }
  uint64_t nbytes = 0;
  overflow = overflow || __builtin_mul_overflow(numel, dt->size, &nbytes);
  if (overflow) fail(path, "tensor '", name, "': shape ", shape.dump(), " is too large");

  const json& offsets = info["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2)
    fail(path, "tensor '", name, "': data_offsets must be an array [begin, end], got ",
         offsets.dump());
  entry.begin = get_index(path, name, "data_offsets", offsets[0]);
  entry.end = get_index(path, name, "data_offsets", offsets[1]);
  if (entry.begin > entry.end)
    fail(path, "tensor '", name, "': data_offsets ", offsets.dump(), " has begin > end");
  if (entry.end > data_size)
    fail(path, "tensor '", name, "': data_offsets ", offsets.dump(),
         " run past the data block (", data_size, " bytes)");
  if (entry.end - entry.begin != nbytes)
    fail(path, "tensor '", name, "': data_offsets ", offsets.dump(), " span ",
         entry.end - entry.begin, " bytes but shape ", shape.dump(), " x ", dt->name, " needs ",
         nbytes);
  return entry;
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const json& meta) {
  if (!meta.is_object()) fail(path, "__metadata__ must be an object, got ", meta.dump());
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : meta.items()) {
    if (!value.is_string())
      fail(path, "__metadata__ value of '", key, "' must be a string, got ", value.dump());
    out[key] = value.get<std::string>();
  }
  return out;
}

Tensor load_entry(const Entry& e, const unsigned char* data) {
  Tensor t = empty(e.shape, e.dtype->loaded);
  const unsigned char* src = data + e.begin;
  const int64_t n = t.numel();
  switch (e.dtype->file) {
    case FileDType::f32:
    case FileDType::f64:
    case FileDType::i32:
    case FileDType::i64:
      if (n > 0) std::memcpy(t.raw_data(), src, e.end - e.begin);
      break;
    case FileDType::f16:
    case FileDType::bf16: {
      float* out = t.data<float>();
      const bool bf16 = e.dtype->file == FileDType::bf16;
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);  // the data block need not be aligned
        out[i] = bf16 ? bf16_to_float(h) : half_to_float(h);
      }
      break;
    }
  }
  return t;
}

// The header's entries (checked: fields, dtypes, offsets in range and not overlapping) and its
// metadata. Entries hold offsets into the data block, not pointers into the mapping.
struct Header {
  std::vector<Entry> entries;
  std::map<std::string, std::string> metadata;
  uint64_t data_begin = 0;  // where the data block starts in the file
};

Header parse_header(const std::string& path, const MappedFile& file) {
  const size_t size = file.size();
  if (size < 8)
    fail(path, "file is ", size, " bytes, shorter than the 8-byte header length");
  uint64_t header_len;
  std::memcpy(&header_len, file.data(), 8);
  if (header_len > size - 8)
    fail(path, "header length ", header_len, " is larger than the ", size - 8,
         " bytes that follow it");
  const char* header_begin = reinterpret_cast<const char*>(file.data()) + 8;
  json header = json::parse(header_begin, header_begin + header_len, nullptr,
                            /*allow_exceptions=*/false);
  if (header.is_discarded()) {
    // Parse again with exceptions for a message that says where the JSON breaks.
    std::string why = "unknown error";
    try {
      json again = json::parse(header_begin, header_begin + header_len);
      (void)again;
    } catch (const json::exception& e) {
      why = e.what();
    }
    fail(path, "header is not valid JSON (", why, ")");
  }
  if (!header.is_object()) fail(path, "header must be a JSON object, got ", header.type_name());

  Header out;
  out.data_begin = 8 + header_len;
  const uint64_t data_size = size - out.data_begin;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      out.metadata = parse_metadata(path, info);
      continue;
    }
    out.entries.push_back(parse_entry(path, name, info, data_size));
  }

  // No two tensors may share bytes (empty tensors occupy none).
  std::vector<const Entry*> by_begin;
  for (const Entry& e : out.entries)
    if (e.end > e.begin) by_begin.push_back(&e);
  std::sort(by_begin.begin(), by_begin.end(),
            [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_begin.size(); ++i) {
    const Entry& prev = *by_begin[i - 1];
    const Entry& cur = *by_begin[i];
    if (cur.begin < prev.end)
      fail(path, "tensors '", prev.name, "' [", prev.begin, ", ", prev.end, ") and '", cur.name,
           "' [", cur.begin, ", ", cur.end, ") overlap");
  }
  return out;
}

}  // namespace

SafetensorsFile read_safetensors(const std::string& path) {
  MappedFile file(path);
  Header header = parse_header(path, file);
  SafetensorsFile out;
  out.metadata = std::move(header.metadata);
  const unsigned char* data = file.data() + header.data_begin;
  for (const Entry& e : header.entries) out.tensors.emplace(e.name, load_entry(e, data));
  return out;
}

std::map<std::string, Shape> read_safetensors_shapes(const std::string& path) {
  MappedFile file(path);
  std::map<std::string, Shape> shapes;
  for (const Entry& e : parse_header(path, file).entries) shapes.emplace(e.name, e.shape);
  return shapes;
}

std::map<std::string, Tensor> load_safetensors(const std::string& path) {
  return read_safetensors(path).tensors;
}

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  std::vector<Tensor> contiguous;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__") fail(path, "a tensor cannot be named \"__metadata__\"");
    if (!tensor.defined()) fail(path, "tensor '", name, "' is undefined");
    if (!tensor.device().is_cpu())
      fail(path, "tensor '", name, "' is on ", tensor.device().str(), "; save needs CPU tensors");
    Tensor c = tensor.contiguous();
    const uint64_t nbytes = static_cast<uint64_t>(c.numel()) * dtype_size(c.dtype());
    header[name] = {{"dtype", file_dtype_name(c.dtype())},
                    {"shape", c.shape()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    contiguous.push_back(std::move(c));
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;

  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {  // e.g. a name or metadata that is not valid UTF-8
    fail(path, "cannot encode the header: ", e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data block 8-byte aligned
  const uint64_t header_len = text.size();

  AtomicFile out(path);
  out.write(&header_len, 8);
  out.write(text.data(), text.size());
  for (const Tensor& c : contiguous) out.write(c.raw_data(), c.numel() * dtype_size(c.dtype()));
  out.commit();
}

}  // namespace tt::io

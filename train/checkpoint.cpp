#include "tinytune/train/checkpoint.h"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <set>
#include <utility>
#include <vector>

#include "tinytune/core/error.h"
#include "tinytune/core/io/atomic_file.h"
#include "tinytune/core/utf8.h"
#include "tinytune/train/checkpoint_digest.h"

namespace tt::train {

namespace {

constexpr const char* kVersionAttribute = "tinytune_checkpoint_version";
// Chunks of about this many bytes: small enough that Fletcher-32 localises damage and partial
// reads stay cheap, large enough that a BERT-base checkpoint has only a few hundred chunks.
constexpr uint64_t kChunkBytes = uint64_t{1} << 20;
// HDF5's largest number of attributes kept in an object header ("compact" storage).
constexpr unsigned kMaxCompactAttributes = 65535;

template <typename... Parts>
[[noreturn]] void fail(const std::string& path, const Parts&... parts) {
  throw Error(detail::concat("checkpoint: ", path, ": ", parts...));
}

// ---- HDF5 plumbing ----------------------------------------------------------------------------

// HDF5 prints its error stack to stderr whenever a call fails, unless told not to; tinytune
// turns that off for the whole process on its first HDF5 call (its errors are tt::Error
// messages instead), unless TINYTUNE_HDF5_DEBUG=1 asks for HDF5's own report. Process-wide,
// not per call: with printing on, libhdf5 1.10 also prints "HDF5: infinite loop closing
// library" at exit after some failed loads (see load_checkpoint).
bool hdf5_debug_requested() {
  const char* value = std::getenv("TINYTUNE_HDF5_DEBUG");
  return value != nullptr && std::strcmp(value, "1") == 0;
}

// Set up for each save and load: the printing choice above (once), and an empty error stack
// left behind (e.g. after a close during unwinding).
class QuietHdf5Errors {
 public:
  QuietHdf5Errors() {
    static const bool printing = [] {
      // libhdf5 1.10's exit handler crashes (SIGSEGV in H5F__close_cb) on a file whose close
      // failed, as on a full disk; every file tinytune opens is closed before its call returns,
      // so the handler has nothing to do. (Before the library initialises, or it is too late.)
      H5dont_atexit();
      const bool debug = hdf5_debug_requested();
      if (!debug) H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
      return debug;
    }();
    (void)printing;
  }
  ~QuietHdf5Errors() { H5Eclear2(H5E_DEFAULT); }
  QuietHdf5Errors(const QuietHdf5Errors&) = delete;
  QuietHdf5Errors& operator=(const QuietHdf5Errors&) = delete;
};

// The most specific entry of HDF5's current error stack (where the fault was detected), e.g.
// "truncated file: eof = 4096, sblock->base_addr = 0, stored_eof = 8192"; then clears it.
std::string hdf5_reason() {
  std::string reason;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
        if (n == 0 && err->desc != nullptr) *static_cast<std::string*>(data) = err->desc;
        return 0;
      },
      &reason);
  H5Eclear2(H5E_DEFAULT);
  return reason.empty() ? "unknown HDF5 error" : reason;
}

// An HDF5 identifier closed (with the matching H5?close) on scope exit.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, -1)), close_(other.close_) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  // Closes now and reports whether it worked (closing the file is when data reaches the disk).
  bool close() {
    const herr_t rc = close_(id_);
    id_ = -1;
    return rc >= 0;
  }

 private:
  hid_t id_;
  Closer close_;
};

// Wraps an id an HDF5 call returned; a negative id is an error naming the file and `what`.
template <typename... Parts>
Handle checked(hid_t id, Handle::Closer close, const std::string& path, const Parts&... what) {
  if (id < 0) fail(path, what..., ": ", hdf5_reason());
  return Handle(id, close);
}

template <typename... Parts>
void check_status(herr_t status, const std::string& path, const Parts&... what) {
  if (status < 0) fail(path, what..., ": ", hdf5_reason());
}

// File access: HDF5 1.10 object formats (checksummed metadata, checksummed chunk indexes),
// pinned so the on-disk format does not drift with library upgrades; closing the file closes
// every object in it; file locking is used where the file system supports it.
Handle file_access_properties(const std::string& path) {
  Handle fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, path, "H5Pcreate(file access)");
  check_status(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_V110), path,
               "H5Pset_libver_bounds");
  check_status(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), path, "H5Pset_fclose_degree");
#if H5_VERSION_GE(1, 10, 7)
  check_status(H5Pset_file_locking(fapl.get(), true, /*ignore_when_disabled=*/true), path,
               "H5Pset_file_locking");
#endif
  return fapl;
}

struct TypePair {
  hid_t file;    // little-endian on disk whatever the host
  hid_t memory;  // this host's layout
};

TypePair hdf5_types(DType dtype) {
  switch (dtype) {
    case DType::f32: return {H5T_IEEE_F32LE, H5T_NATIVE_FLOAT};
    case DType::f64: return {H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE};
    case DType::i32: return {H5T_STD_I32LE, H5T_NATIVE_INT32};
    case DType::i64: return {H5T_STD_I64LE, H5T_NATIVE_INT64};
    case DType::bf16:  // training state is f32 (bf16 appears only inside autocast matmuls)
      throw Error("checkpoint: bf16 tensors are not stored; convert them to f32 first");
  }
  throw Error("checkpoint: unknown dtype");
}

const char* class_name(H5T_class_t cls) {
  switch (cls) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "float";
    case H5T_STRING: return "string";
    case H5T_BITFIELD: return "bitfield";
    case H5T_OPAQUE: return "opaque";
    case H5T_COMPOUND: return "compound";
    case H5T_REFERENCE: return "reference";
    case H5T_ENUM: return "enum (e.g. a bool)";
    case H5T_VLEN: return "variable-length sequence";
    case H5T_ARRAY: return "array";
    default: return "unknown";
  }
}

// ---- validation (before any file is touched) ------------------------------------------------

// Names become HDF5 link and attribute names (UTF-8, NUL-terminated); strings become
// NUL-terminated UTF-8 values, which h5py decodes to str.
void check_text(const std::string& path, const char* kind, const std::string& name,
                const std::string& text) {
  if (text.find('\0') != std::string::npos)
    fail(path, kind, " '", name, "' contains a NUL byte, which HDF5 strings cannot hold");
  if (find_invalid_utf8(text) >= 0) fail(path, kind, " '", name, "' is not valid UTF-8");
}

void check_tensor_name(const std::string& path, const std::string& name,
                       const std::map<std::string, Tensor>& tensors) {
  check_text(path, "tensor name", name, name);
  if (name.empty()) fail(path, "a tensor name is empty");
  size_t begin = 0;
  while (true) {
    const size_t slash = name.find('/', begin);
    const std::string part = name.substr(begin, slash == std::string::npos ? std::string::npos
                                                                             : slash - begin);
    if (part.empty() || part == "." || part == "..")
      fail(path, "tensor name '", name,
           "': expected '/'-separated non-empty components other than '.' and '..'");
    if (slash == std::string::npos) break;
    // A dataset cannot also be a group: "a" and "a/b" cannot both be tensors.
    if (tensors.count(name.substr(0, slash)) != 0)
      fail(path, "tensor '", name.substr(0, slash), "' is also a group holding tensor '", name,
           "'; a tensor path cannot be a prefix of another");
    begin = slash + 1;
  }
}

void check_scalar_name(const std::string& path, const std::string& name,
                       std::set<std::string>& seen) {
  check_text(path, "scalar name", name, name);
  if (name.empty()) fail(path, "a scalar (integer, real or string) name is empty");
  if (name == kVersionAttribute)
    fail(path, "the scalar name '", kVersionAttribute, "' is reserved for the format version");
  if (!seen.insert(name).second)
    fail(path, "scalar '", name,
         "' appears in more than one of integers, reals and strings; names must be unique");
}

// ---- writing ------------------------------------------------------------------------------------

// Chunk shape of about kChunkBytes: whole trailing dims while they fit, then part of one dim,
// then 1 for the leading dims.
std::vector<hsize_t> chunk_shape(const Shape& shape, size_t element_bytes) {
  std::vector<hsize_t> chunk(shape.size(), 1);
  uint64_t inner = element_bytes;
  for (size_t d = shape.size(); d-- > 0;) {
    const auto size = static_cast<uint64_t>(shape[d]);
    if (inner * size <= kChunkBytes) {
      chunk[d] = size;
      inner *= size;
      continue;
    }
    chunk[d] = std::max<uint64_t>(1, kChunkBytes / inner);
    break;
  }
  return chunk;
}

void write_tensor(const std::string& path, hid_t file, hid_t lcpl, const std::string& name,
                  const Tensor& c) {
  const TypePair types = hdf5_types(c.dtype());
  const std::vector<hsize_t> dims(c.shape().begin(), c.shape().end());
  const hid_t space_id = c.dim() == 0 ? H5Screate(H5S_SCALAR)
                                      : H5Screate_simple(static_cast<int>(dims.size()),
                                                         dims.data(), nullptr);
  Handle space = checked(space_id, H5Sclose, path, "dataspace of tensor '", name, "'");
  Handle dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, path, "H5Pcreate(dataset)");
  check_status(H5Pset_obj_track_times(dcpl.get(), false), path, "H5Pset_obj_track_times");
  // Every byte is written below, so HDF5 need not write fill values first.
  check_status(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), path, "H5Pset_fill_time");
  if (c.dim() == 0) {
    // The value lives in the (checksummed) object header.
    check_status(H5Pset_layout(dcpl.get(), H5D_COMPACT), path, "H5Pset_layout");
  } else if (c.numel() > 0) {
    const std::vector<hsize_t> chunk = chunk_shape(c.shape(), dtype_size(c.dtype()));
    check_status(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), path,
                 "chunking tensor '", name, "'");
    check_status(H5Pset_fletcher32(dcpl.get()), path, "H5Pset_fletcher32");
  }
  Handle dataset = checked(H5Dcreate2(file, name.c_str(), types.file, space.get(), lcpl,
                                      dcpl.get(), H5P_DEFAULT),
                           H5Dclose, path, "cannot create dataset '", name, "'");
  if (c.numel() > 0)
    check_status(H5Dwrite(dataset.get(), types.memory, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                          c.raw_data()),
                 path, "cannot write tensor '", name, "'");
}

// A scalar root attribute of `file_type`, written from `value` of `memory_type`.
void write_attribute(const std::string& path, hid_t file, hid_t acpl, const std::string& name,
                     hid_t file_type, hid_t memory_type, const void* value) {
  Handle space = checked(H5Screate(H5S_SCALAR), H5Sclose, path, "H5Screate");
  Handle attr = checked(H5Acreate2(file, name.c_str(), file_type, space.get(), acpl, H5P_DEFAULT),
                        H5Aclose, path, "cannot create attribute '", name, "'");
  check_status(H5Awrite(attr.get(), memory_type, value), path, "cannot write attribute '", name,
               "'");
}

// Writes the whole checkpoint to `tmp` and closes it; `path` is the name errors report.
// `created` tells the caller whether `tmp` is ours to remove on failure.
void write_file(const std::string& path, const std::string& tmp, const Checkpoint& checkpoint,
                const std::vector<std::pair<std::string, Tensor>>& tensors, bool& created) {
  Handle fapl = file_access_properties(path);
  // The root group keeps its attributes (the scalars) in its object header, whose chunks are
  // checksummed, rather than in "dense" storage, which leaves values over 4 KiB unchecksummed.
  // Values over 64 KiB cannot fit a header message and still go dense (see checkpoint.h).
  Handle fcpl = checked(H5Pcreate(H5P_FILE_CREATE), H5Pclose, path, "H5Pcreate(file create)");
  // Room for the digest block (train/checkpoint_digest.h), written once the file is closed.
  check_status(H5Pset_userblock(fcpl.get(), kDigestBlockBytes), path, "H5Pset_userblock");
  check_status(H5Pset_attr_phase_change(fcpl.get(), kMaxCompactAttributes, 0), path,
               "H5Pset_attr_phase_change");
  Handle file = checked(H5Fcreate(tmp.c_str(), H5F_ACC_EXCL, fcpl.get(), fapl.get()), H5Fclose,
                        path, "cannot create ", tmp);
  created = true;
  // UTF-8 names (h5py decodes them to str), and no timestamps on groups or datasets.
  Handle lcpl = checked(H5Pcreate(H5P_LINK_CREATE), H5Pclose, path, "H5Pcreate(link)");
  check_status(H5Pset_char_encoding(lcpl.get(), H5T_CSET_UTF8), path, "H5Pset_char_encoding");
  Handle acpl = checked(H5Pcreate(H5P_ATTRIBUTE_CREATE), H5Pclose, path, "H5Pcreate(attribute)");
  check_status(H5Pset_char_encoding(acpl.get(), H5T_CSET_UTF8), path, "H5Pset_char_encoding");
  Handle gcpl = checked(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, path, "H5Pcreate(group)");
  check_status(H5Pset_obj_track_times(gcpl.get(), false), path, "H5Pset_obj_track_times");

  const int64_t version = kCheckpointVersion;
  write_attribute(path, file.get(), acpl.get(), kVersionAttribute, H5T_STD_I64LE,
                  H5T_NATIVE_INT64, &version);

  std::set<std::string> groups;
  for (const auto& [name, tensor] : tensors) {
    // Intermediate groups, parents first (validation guarantees none is a dataset).
    for (size_t slash = name.find('/'); slash != std::string::npos;
         slash = name.find('/', slash + 1)) {
      const std::string group = name.substr(0, slash);
      if (!groups.insert(group).second) continue;
      Handle g = checked(H5Gcreate2(file.get(), group.c_str(), lcpl.get(), gcpl.get(), H5P_DEFAULT),
                         H5Gclose, path, "cannot create group '", group, "'");
    }
    write_tensor(path, file.get(), lcpl.get(), name, tensor);
  }

  for (const auto& [name, value] : checkpoint.integers)
    write_attribute(path, file.get(), acpl.get(), name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
  for (const auto& [name, value] : checkpoint.reals)
    write_attribute(path, file.get(), acpl.get(), name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
  for (const auto& [name, value] : checkpoint.strings) {
    // Fixed-length, not variable-length: variable-length strings live in HDF5's global heap,
    // which has no checksum and whose corruption crashes HDF5 1.10 (H5HG_read), while a
    // fixed-length value sits in the checksummed attribute storage.
    Handle string_type = checked(H5Tcopy(H5T_C_S1), H5Tclose, path, "H5Tcopy");
    check_status(H5Tset_size(string_type.get(), std::max<size_t>(1, value.size())), path,
                 "string '", name, "' of ", value.size(), " bytes");
    check_status(H5Tset_strpad(string_type.get(), H5T_STR_NULLPAD), path, "H5Tset_strpad");
    check_status(H5Tset_cset(string_type.get(), H5T_CSET_UTF8), path, "H5Tset_cset");
    std::string padded = value;
    padded.resize(std::max<size_t>(1, value.size()), '\0');  // "" is stored as one NUL
    write_attribute(path, file.get(), acpl.get(), name, string_type.get(), string_type.get(),
                    padded.data());
  }
  if (!file.close()) fail(path, "closing ", tmp, " failed: ", hdf5_reason());
}

// Forces the file's bytes to disk, so the rename never publishes a file whose data is still
// only in the page cache (a crash would leave it empty).
void sync_path(const std::string& path, const std::string& target, bool directory) {
  const int fd = ::open(target.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (directory) return;  // best effort: the rename itself already happened
    fail(path, "cannot open ", target, " to sync it: ", std::strerror(errno));
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0 && !directory) fail(path, "fsync of ", target, " failed: ", std::strerror(err));
}

std::string parent_directory(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// ---- reading ------------------------------------------------------------------------------------

DType dataset_dtype(const std::string& path, const std::string& name, hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT && size == 4) return DType::f32;
  if (cls == H5T_FLOAT && size == 8) return DType::f64;
  if (cls == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_2) {
    if (size == 4) return DType::i32;
    if (size == 8) return DType::i64;
  }
  const bool is_unsigned = cls == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_NONE;
  fail(path, "dataset '", name, "' has type ", is_unsigned ? "unsigned " : "", class_name(cls),
       " of ", size, " bytes; expected f32, f64 (float of 4 or 8 bytes) or i32, i64 (signed "
       "integer of 4 or 8 bytes)");
}

Tensor read_tensor(const std::string& path, hid_t file, const std::string& name) {
  Handle dataset = checked(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose, path,
                           "cannot open dataset '", name, "'");
  Handle type = checked(H5Dget_type(dataset.get()), H5Tclose, path, "type of dataset '", name, "'");
  const DType dtype = dataset_dtype(path, name, type.get());
  Handle space = checked(H5Dget_space(dataset.get()), H5Sclose, path, "dataspace of dataset '",
                         name, "'");
  Shape shape;
  switch (H5Sget_simple_extent_type(space.get())) {
    case H5S_SCALAR: break;  // 0-d
    case H5S_SIMPLE: {
      const int ndims = H5Sget_simple_extent_ndims(space.get());
      if (ndims < 0) fail(path, "dataset '", name, "': cannot read its rank: ", hdf5_reason());
      std::vector<hsize_t> dims(static_cast<size_t>(ndims));
      if (H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
        fail(path, "dataset '", name, "': cannot read its shape: ", hdf5_reason());
      // The byte count must fit in int64 (a corrupted shape must not wrap around).
      uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / 8;
      for (hsize_t d : dims) {
        if (d != 0 && limit / d == 0)
          fail(path, "dataset '", name, "' has an impossibly large shape");
        if (d != 0) limit /= d;
        shape.push_back(static_cast<int64_t>(d));
      }
      break;
    }
    default:
      fail(path, "dataset '", name, "' has a null or unknown dataspace; expected a scalar or an "
           "array shape");
  }
  Tensor tensor;
  try {
    tensor = tt::empty(shape, dtype);
  } catch (const std::bad_alloc&) {
    fail(path, "dataset '", name, "' of shape ", shape_str(shape), " does not fit in memory");
  }
  if (tensor.numel() > 0)
    check_status(H5Dread(dataset.get(), hdf5_types(dtype).memory, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                         tensor.raw_data()),
                 path, "cannot read dataset '", name, "'");
  return tensor;
}

// Reads root attribute `name` into the map its type selects.
void read_attribute(const std::string& path, hid_t file, const std::string& name,
                    Checkpoint& checkpoint) {
  Handle attr = checked(H5Aopen(file, name.c_str(), H5P_DEFAULT), H5Aclose, path,
                        "cannot open attribute '", name, "'");
  Handle space = checked(H5Aget_space(attr.get()), H5Sclose, path, "dataspace of attribute '",
                         name, "'");
  if (H5Sget_simple_extent_type(space.get()) != H5S_SCALAR)
    fail(path, "attribute '", name, "' is not a scalar; expected one integer, real or string");
  Handle type = checked(H5Aget_type(attr.get()), H5Tclose, path, "type of attribute '", name, "'");
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls == H5T_INTEGER) {
    if (H5Tget_sign(type.get()) == H5T_SGN_NONE && H5Tget_size(type.get()) >= 8)
      fail(path, "attribute '", name, "' is an unsigned 64-bit integer; expected a signed one");
    int64_t value = 0;
    check_status(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), path,
                 "cannot read attribute '", name, "'");
    checkpoint.integers[name] = value;
  } else if (cls == H5T_FLOAT) {
    double value = 0;
    check_status(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value), path,
                 "cannot read attribute '", name, "'");
    checkpoint.reals[name] = value;
  } else if (cls == H5T_STRING) {
    // Read in the stored character set (HDF5 does not convert between ASCII and UTF-8).
    Handle memory = checked(H5Tcopy(H5T_C_S1), H5Tclose, path, "H5Tcopy");
    check_status(H5Tset_cset(memory.get(), H5Tget_cset(type.get())), path, "H5Tset_cset");
    if (H5Tis_variable_str(type.get()) > 0) {
      check_status(H5Tset_size(memory.get(), H5T_VARIABLE), path, "H5Tset_size");
      char* text = nullptr;
      check_status(H5Aread(attr.get(), memory.get(), &text), path, "cannot read attribute '",
                   name, "'");
      std::string value = text != nullptr ? text : "";
      H5free_memory(text);
      checkpoint.strings[name] = std::move(value);
    } else {  // fixed length (e.g. numpy bytes from h5py): up to the first NUL
      const size_t size = H5Tget_size(type.get());
      check_status(H5Tset_size(memory.get(), size), path, "H5Tset_size");
      check_status(H5Tset_strpad(memory.get(), H5T_STR_NULLPAD), path, "H5Tset_strpad");
      std::string value(size, '\0');
      check_status(H5Aread(attr.get(), memory.get(), value.data()), path,
                   "cannot read attribute '", name, "'");
      value.resize(std::min(value.find('\0'), value.size()));
      checkpoint.strings[name] = std::move(value);
    }
  } else {
    fail(path, "attribute '", name, "' has type ", class_name(cls),
         "; expected an integer, a float or a string");
  }
}

// HDF5 iterates with C callbacks; exceptions must not cross them, so they only collect names.
struct LinkWalk {
  std::vector<std::string> names;  // every hard link, in name order, parents first
  std::string bad_link;            // the first soft or external link met
};

#if H5_VERSION_GE(1, 12, 0)
using LinkInfo = H5L_info2_t;
#define TT_H5LVISIT H5Lvisit2
#else
using LinkInfo = H5L_info_t;
#define TT_H5LVISIT H5Lvisit
#endif

herr_t collect_link(hid_t, const char* name, const LinkInfo* info, void* data) noexcept {
  auto* walk = static_cast<LinkWalk*>(data);
  try {
    if (info->type != H5L_TYPE_HARD) {
      walk->bad_link = name;
      return 1;  // stop
    }
    walk->names.emplace_back(name);
    return 0;
  } catch (...) {
    return -1;
  }
}

herr_t collect_attribute(hid_t, const char* name, const H5A_info_t*, void* data) noexcept {
  try {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  } catch (...) {
    return -1;
  }
}

Checkpoint read_file(const std::string& path, bool verify_digest) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail(path, "cannot open for reading: ", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(path, "not a regular file");
  // Every byte is checked before libhdf5 parses any: it crashes on some corrupted metadata.
  if (verify_digest) verify_digest_block(path);
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 < 0) fail(path, "cannot read it as HDF5: ", hdf5_reason());
  if (is_hdf5 == 0) fail(path, "not an HDF5 file (no HDF5 signature); expected a checkpoint "
                         "written by save_checkpoint");

  Handle fapl = file_access_properties(path);
  Handle file = checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose, path,
                        "cannot open HDF5 file (truncated or corrupted?)");

  // The format version first: anything else is not ours, whatever it holds.
  const htri_t has_version = H5Aexists(file.get(), kVersionAttribute);
  if (has_version < 0) fail(path, "cannot read the root attributes: ", hdf5_reason());
  if (has_version == 0)
    fail(path, "not a tinytune checkpoint: the root has no '", kVersionAttribute,
         "' attribute (expected ", kVersionAttribute, " = ", kCheckpointVersion, ")");
  Checkpoint version_only;
  read_attribute(path, file.get(), kVersionAttribute, version_only);
  const auto version = version_only.integers.find(kVersionAttribute);
  if (version == version_only.integers.end())
    fail(path, "attribute '", kVersionAttribute, "' is not an integer");
  if (version->second < kOldestCheckpointVersion || version->second > kCheckpointVersion)
    fail(path, "checkpoint format version ", version->second, " is not supported (expected ",
         kOldestCheckpointVersion, " to ", kCheckpointVersion, ")");

  Checkpoint checkpoint;
  std::vector<std::string> attributes;
  check_status(H5Aiterate2(file.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_attribute,
                           &attributes),
               path, "cannot list the root attributes");
  for (const std::string& name : attributes)
    if (name != kVersionAttribute) read_attribute(path, file.get(), name, checkpoint);

  LinkWalk walk;
  check_status(TT_H5LVISIT(file.get(), H5_INDEX_NAME, H5_ITER_INC, collect_link, &walk), path,
               "cannot list the datasets");
  if (!walk.bad_link.empty())
    fail(path, "'", walk.bad_link, "' is a soft or external link; expected only groups and "
         "datasets");
  for (const std::string& name : walk.names) {
    Handle object = checked(H5Oopen(file.get(), name.c_str(), H5P_DEFAULT), H5Oclose, path,
                            "cannot open object '", name, "'");
    const H5I_type_t kind = H5Iget_type(object.get());
    if (kind == H5I_GROUP) continue;  // its datasets are visited on their own
    if (kind != H5I_DATASET)
      fail(path, "object '", name, "' is neither a group nor a dataset");
    checkpoint.tensors[name] = read_tensor(path, file.get(), name);
  }
  return checkpoint;
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  // Validate everything and make contiguous copies before creating any file.
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [name, tensor] : checkpoint.tensors) {
    check_tensor_name(path, name, checkpoint.tensors);
    if (!tensor.defined()) fail(path, "tensor '", name, "' is undefined");
    if (!tensor.device().is_cpu())
      fail(path, "tensor '", name, "' is on ", tensor.device().str(), "; save needs CPU tensors");
    tensors.emplace_back(name, tensor.contiguous());
  }
  std::set<std::string> scalar_names;
  for (const auto& entry : checkpoint.integers) check_scalar_name(path, entry.first, scalar_names);
  for (const auto& entry : checkpoint.reals) check_scalar_name(path, entry.first, scalar_names);
  for (const auto& [name, value] : checkpoint.strings) {
    check_scalar_name(path, name, scalar_names);
    check_text(path, "string", name, value);
  }

  // A name of its own (core/io/atomic_file.h): two runs saving one path never share a file.
  const std::string tmp = io::temporary_path_for(path);
  QuietHdf5Errors quiet;
  bool created = false;
  try {
    write_file(path, tmp, checkpoint, tensors, created);
    write_digest_block(path, tmp);
    sync_path(path, tmp, /*directory=*/false);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      fail(path, "renaming ", tmp, " over it failed: ", std::strerror(errno));
  } catch (...) {
    if (created) std::remove(tmp.c_str());  // its HDF5 handles are closed by now (RAII)
    throw;
  }
  sync_path(path, parent_directory(path), /*directory=*/true);  // makes the rename durable
}

// Note: HDF5 before 1.14.5 leaks a small object-header struct each time an object header fails
// its checksum (HDFGroup/hdf5#3790); with HDF5's error printing on at exit it then prints
// "HDF5: infinite loop closing library". Harmless, and since the digest only reachable with
// TINYTUNE_HDF5_DEBUG=1 on a file changed between the digest check and the parse.
Checkpoint load_checkpoint(const std::string& path) {
  QuietHdf5Errors quiet;
  return read_file(path, /*verify_digest=*/true);
}

Checkpoint load_checkpoint_skipping_digest(const std::string& path) {
  QuietHdf5Errors quiet;
  return read_file(path, /*verify_digest=*/false);
}

}  // namespace tt::train

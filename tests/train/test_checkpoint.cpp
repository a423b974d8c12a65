// HDF5 training checkpoints (train/checkpoint.h): bit-exact round trips of every dtype, 0-d,
// empty and non-contiguous tensors and every scalar kind; atomic replacement; and every kind of
// bad file (missing, not a checkpoint, truncated, corrupted, format version 1 or newer, foreign),
// each a tt::Error naming the file; every flipped byte is an error, never a crash.
// One case leaves /tmp/tinytune_checkpoint_example.h5 for scripts/check_checkpoint_h5py.py.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "tinytune/core/error.h"
#include "tinytune/core/ops.h"
#include "tinytune/train/checkpoint.h"
#include "tinytune/train/checkpoint_digest.h"
#include "tests/test_util.h"
#include "tests/write_faults.h"

using namespace tt;
using tt::test::check_error;
using tt::test::TempDir;
using tt::test::temporaries_in;
using train::Checkpoint;
namespace fs = std::filesystem;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string from_hex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

void check_load_error(const std::string& path, const std::string& what) {
  check_error([&] { train::load_checkpoint(path); }, {path, what});
}

// Same dtype, shape and bytes (so NaN payloads and -0 count).
bool same_tensor(const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined() || a.dtype() != b.dtype() || a.shape() != b.shape())
    return false;
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.raw_data(), cb.raw_data(), ca.numel() * dtype_size(ca.dtype())) == 0;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void check_same(const Checkpoint& actual, const Checkpoint& expected) {
  REQUIRE(actual.tensors.size() == expected.tensors.size());
  for (const auto& [name, tensor] : expected.tensors) {
    INFO("tensor ", name);
    REQUIRE(actual.tensors.count(name) == 1);
    CHECK(actual.tensors.at(name).is_contiguous());
    CHECK(same_tensor(actual.tensors.at(name), tensor));
  }
  CHECK(actual.integers == expected.integers);
  REQUIRE(actual.reals.size() == expected.reals.size());
  for (const auto& [name, value] : expected.reals) {
    INFO("real ", name);
    REQUIRE(actual.reals.count(name) == 1);
    CHECK(same_bits(actual.reals.at(name), value));
  }
  CHECK(actual.strings == expected.strings);
}

// A JSON config of about 100 KB with non-ASCII text, as a trainer would store it.
std::string long_json() {
  std::string json = "{\"model\": \"bert-base-uncased\", "
                     "\"note\": \"caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC\", \"layers\": [";
  for (int i = 0; i < 2000; ++i)
    json += (i ? ", " : "") + std::string("{\"index\": ") + std::to_string(i) +
            ", \"dropout\": 0.1, \"name\": \"encoder.layer." + std::to_string(i) + "\"}";
  return json + "]}";
}

// Every dtype (with their edge values), 0-d, empty, non-contiguous and multi-chunk tensors,
// and every scalar kind.
Checkpoint full_checkpoint() {
  const float f_inf = std::numeric_limits<float>::infinity();
  const double d_nan = std::numeric_limits<double>::quiet_NaN();
  Checkpoint c;
  Generator gen(7);
  c.tensors["model/bert.encoder.layer.0.attention.self.query.weight"] =
      uniform({8, 8}, -1.0, 1.0, DType::f32, gen);
  c.tensors["model/edge_f32"] = from_vector(
      std::vector<float>{0.0f, -0.0f, f_inf, -f_inf, std::numeric_limits<float>::quiet_NaN(),
                         std::numeric_limits<float>::denorm_min(),
                         std::numeric_limits<float>::max(), 1e-30f},
      {2, 4});
  c.tensors["model/edge_f64"] =
      from_vector({d_nan, -0.0, std::numeric_limits<double>::denorm_min(), 1.0 / 3.0}, {4},
                  DType::f64);
  c.tensors["data/ids_i32"] = from_vector({double(std::numeric_limits<int32_t>::min()), -1, 0,
                                           double(std::numeric_limits<int32_t>::max())},
                                          {2, 2}, DType::i32);
  c.tensors["data/ids_i64"] = from_vector(
      std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -1, 0,
                           std::numeric_limits<int64_t>::max(), int64_t{1} << 53 | 1},
      {5});
  c.tensors["optimizer/m/3"] = uniform({3, 5}, -1.0, 1.0, DType::f64, gen);
  c.tensors["optimizer/step/0d_f64"] = scalar_tensor(2.5, DType::f64);
  c.tensors["optimizer/step/0d_i64"] = scalar_tensor(12345, DType::i64);
  c.tensors["empty/f32_0"] = zeros({0}, DType::f32);
  c.tensors["empty/i64_2x0x3"] = zeros({2, 0, 3}, DType::i64);
  // Non-contiguous (a transposed view): saved as its contiguous copy.
  Tensor base = uniform({3, 6}, -1.0, 1.0, DType::f64, gen);
  c.tensors["views/transposed"] = base.transpose(0, 1);
  REQUIRE_FALSE(c.tensors["views/transposed"].is_contiguous());
  // ~2.9 MB: several ~1 MiB chunks, the last one partial.
  c.tensors["model/embeddings.word_embeddings.weight"] =
      uniform({1000, 723}, -1.0, 1.0, DType::f32, gen);

  c.integers = {{"step", 1234},
                {"epoch", 0},
                {"rng/seed", std::numeric_limits<int64_t>::max()},
                {"rng/offset", std::numeric_limits<int64_t>::min()},
                {"negative", -42}};
  c.reals = {{"best_metric", 0.8765432101234567},
             {"nan", d_nan},
             {"minus_zero", -0.0},
             {"inf", std::numeric_limits<double>::infinity()},
             {"tiny", std::numeric_limits<double>::denorm_min()}};
  c.strings = {{"config", long_json()}, {"task", "sst2"}, {"empty", ""}};
  return c;
}

// Tiny HDF5 files that are not tinytune checkpoints, written by h5py (HDF5 1.10 format,
// compact datasets to keep them small), e.g. for the first:
//   with h5py.File(p, "w", libver=("v110", "v110")) as f: <compact dataset "x" = arange(3, f4)>
// No version attribute; one float32 dataset "x".
const char* kNoVersionHex =
    "894844460d0a1a0a030808000000000000000000ffffffffffffffffdb010000000000003000000000000000f4929c35"
    "4f484452020078021200000000ffffffffffffffffffffffffffffffff0a0200010000060c000001000178b300000000"
    "000000004800000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000069f91c7c4f48445202216a97046b6a9704"
    "6b6a97046b6a97046b0c010114000002010101030000000000000003000000000000000314000111201f000400000000"
    "002000170800177f0000000502000103090810000003000c00000000000000803f0000004000be000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000083f58767";
// tinytune_checkpoint_version = 1 and a float16 dataset "half" (a dtype tinytune lacks).
const char* kFloat16Hex =
    "894844460d0a1a0a030808000000000000000000ffffffffffffffff040200000000000030000000000000006d469fd5"
    "4f48445202007810100000d30100000000000031000000000000000a0200010000151200040000ffffffffffffffffff"
    "ffffffffffffff0c3d000003001c000c0004000074696e7974756e655f636865636b706f696e745f76657273696f6e00"
    "100800000800000000004000020000000100000000000000000300000000005bd668984f48445202216a97046b6a9704"
    "6b6a97046b6a97046b04010114000002010101020000000000000002000000000000000314000111200f000200000000"
    "0010000a05000a0f0000000502000103090808000003000400003c003c00be0000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000ae565fa74f43484b021200000000ffffff"
    "ffffffffffffffffffffffffff060f000001000468616c66b30000000000000010a2d82c";
// The same with tinytune_checkpoint_version = 2 (format version 2, core/format_version.h).
const char* kFloat16Version2Hex =
    "894844460d0a1a0a030808000000000000000000ffffffffffffffff040200000000000030000000000000006d469fd5"
    "4f48445202007810100000d30100000000000031000000000000000a0200010000151200040000ffffffffffffffffff"
    "ffffffffffffff0c3d000003001c000c0004000074696e7974756e655f636865636b706f696e745f76657273696f6e00"
    "100800000800000000004000020000000200000000000000000300000000006704ab0a4f484452022134fd166b34fd16"
    "6b34fd166b34fd166b04010114000002010101020000000000000002000000000000000314000111200f000200000000"
    "0010000a05000a0f0000000502000103090808000003000400003c003c00be0000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000004ed1dbd74f43484b021200000000ffffff"
    "ffffffffffffffffffffffffff060f000001000468616c66b30000000000000010a2d82c";

// An HDF5 file's bytes behind a digest block with a valid digest, as save_checkpoint writes
// (HDF5 finds the superblock after the block by itself).
void write_with_digest(const std::string& path, const std::string& hdf5_bytes) {
  write_bytes(path, std::string(train::kDigestBlockBytes, '\0') + hdf5_bytes);
  train::write_digest_block(path, path);
}

}  // namespace

TEST_CASE("checkpoint: every dtype, 0-d, empty, strided tensors and scalars round-trip bit-exactly") {
  TempDir tmp;
  const std::string path = tmp.file("state.h5");
  const Checkpoint saved = full_checkpoint();
  train::save_checkpoint(path, saved);
  CHECK(fs::exists(path));
  CHECK(temporaries_in(tmp.dir).empty());
  const Checkpoint loaded = train::load_checkpoint(path);
  check_same(loaded, saved);
  CHECK(loaded.tensors.at("optimizer/step/0d_i64").dim() == 0);
  CHECK(loaded.tensors.at("empty/i64_2x0x3").shape() == Shape{2, 0, 3});
  CHECK(loaded.tensors.at("views/transposed").shape() == Shape{6, 3});
  CHECK(loaded.strings.at("config").size() > 100000);

  SUBCASE("an empty checkpoint round-trips too") {
    train::save_checkpoint(path, Checkpoint{});
    const Checkpoint empty = train::load_checkpoint(path);
    CHECK(empty.tensors.empty());
    CHECK(empty.integers.empty());
    CHECK(empty.reals.empty());
    CHECK(empty.strings.empty());
  }
}

TEST_CASE("checkpoint: saving over an existing checkpoint replaces it atomically") {
  TempDir tmp;
  const std::string path = tmp.file("state.h5");
  train::save_checkpoint(path, full_checkpoint());
  Checkpoint second;
  second.tensors["model/w"] = from_vector({1.0, 2.0, 3.0}, {3}, DType::f64);
  second.integers["step"] = 2;
  train::save_checkpoint(path, second);
  CHECK(temporaries_in(tmp.dir).empty());
  check_same(train::load_checkpoint(path), second);  // nothing of the first one is left

  SUBCASE("a disk that fills during the save: an error, and the old checkpoint in place") {
    {
      // Room for HDF5's first metadata, not for full_checkpoint()'s large string and tensors.
      test::FileSizeLimit full(16 * 1024);
      MESSAGE(check_error([&] { train::save_checkpoint(path, full_checkpoint()); }, {path}));
    }
    check_same(train::load_checkpoint(path), second);
    CHECK(temporaries_in(tmp.dir).empty());
  }
  SUBCASE("a failed rename removes the temporary file") {
    const std::string dir_path = tmp.file("a_directory");
    fs::create_directories(dir_path + "/occupied");
    check_error([&] { train::save_checkpoint(dir_path, second); }, {dir_path, "renaming"});
    CHECK(temporaries_in(tmp.dir).empty());
  }
  SUBCASE("no directory, no file") {
    const std::string missing = tmp.file("no_such_dir/state.h5");
    check_error([&] { train::save_checkpoint(missing, second); }, {missing, "cannot create"});
    CHECK(temporaries_in(tmp.dir).empty());
  }
  SUBCASE("a read-only directory") {
    if (::geteuid() == 0) return;  // root writes anyway; nothing to observe
    const std::string ro = tmp.file("read_only");
    fs::create_directory(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    check_error([&] { train::save_checkpoint(ro + "/state.h5", second); },
                {ro + "/state.h5", "cannot create"});
    fs::permissions(ro, fs::perms::owner_all);
    CHECK(fs::is_empty(ro));
  }
}

TEST_CASE("checkpoint: invalid names and values are errors before any file is written") {
  TempDir tmp;
  const std::string path = tmp.file("state.h5");
  auto check_rejected = [&](const Checkpoint& c, const std::string& what) {
    check_error([&] { train::save_checkpoint(path, c); }, {path, what});
    CHECK_FALSE(fs::exists(path));
    CHECK(temporaries_in(tmp.dir).empty());
  };
  const Tensor t = zeros({2});
  for (const std::string bad : {"", "/a", "a/", "a//b", "a/./b", "../a"}) {
    CAPTURE(bad);
    Checkpoint c;
    c.tensors[bad] = t;
    check_rejected(c, bad.empty() ? "empty" : "components");
  }
  Checkpoint prefix;
  prefix.tensors["model/a"] = t;
  prefix.tensors["model/a/b"] = t;
  check_rejected(prefix, "prefix");
  Checkpoint undefined;
  undefined.tensors["x"] = Tensor();
  check_rejected(undefined, "undefined");
  Checkpoint duplicate;
  duplicate.integers["step"] = 1;
  duplicate.reals["step"] = 1.0;
  check_rejected(duplicate, "unique");
  Checkpoint reserved;
  reserved.integers["tinytune_checkpoint_version"] = kFormatVersion;
  check_rejected(reserved, "reserved");
  Checkpoint nul;
  nul.strings["s"] = std::string("a\0b", 3);
  check_rejected(nul, "NUL");
  Checkpoint latin1;
  latin1.strings["s"] = "caf\xE9";
  check_rejected(latin1, "UTF-8");
}

TEST_CASE("checkpoint: bad files are errors naming the file") {
  TempDir tmp;
  SUBCASE("missing") { check_load_error(tmp.file("missing.h5"), "cannot open"); }
  SUBCASE("a directory") { check_load_error(tmp.dir.string(), "not a regular file"); }
  SUBCASE("a text file") {
    const std::string path = tmp.file("notes.h5");
    write_bytes(path, "step = 3\nthis is not HDF5\n");
    check_load_error(path, "not a tinytune checkpoint");
  }
  SUBCASE("an empty file") {
    const std::string path = tmp.file("empty.h5");
    write_bytes(path, "");
    check_load_error(path, "not a tinytune checkpoint");
  }
  SUBCASE("a checkpoint truncated to half") {
    const std::string path = tmp.file("half.h5");
    train::save_checkpoint(path, full_checkpoint());
    const std::string bytes = read_bytes(path);
    write_bytes(path, bytes.substr(0, bytes.size() / 2));
    check_load_error(path, "corrupted: the SHA-256 digest");
    write_bytes(path, bytes.substr(0, 300));  // inside the digest block
    check_load_error(path, "the file ends inside it");
  }
  SUBCASE("a format version 1 checkpoint (HDF5 from byte 0, no digest) is refused") {
    const std::string path = tmp.file("v1.h5");
    write_bytes(path, from_hex(kFloat16Hex));
    check_error([&] { train::load_checkpoint(path); },
                {path, "format version 1", "format versions " + std::to_string(kOldestCheckpointVersion) +
                                                " to " + std::to_string(kFormatVersion)});
  }
  SUBCASE("a digest block of a newer format version is refused, naming both versions") {
    const std::string path = tmp.file("newer.h5");
    train::save_checkpoint(path, Checkpoint{});
    std::string bytes = read_bytes(path);
    const std::string current = "format_version " + std::to_string(kFormatVersion) + "\n";
    REQUIRE(bytes.find(current) == 20);
    bytes.replace(20, current.size(), "format_version " + std::to_string(kFormatVersion + 1) + "\n");
    write_bytes(path, bytes);
    check_error([&] { train::load_checkpoint(path); },
                {path, "format version " + std::to_string(kFormatVersion + 1),
                 "up to " + std::to_string(kFormatVersion)});
  }
  SUBCASE("a valid HDF5 file without the version attribute") {
    const std::string path = tmp.file("foreign.h5");
    write_with_digest(path, from_hex(kNoVersionHex));
    check_load_error(path, "tinytune_checkpoint_version");
  }
  SUBCASE("a version attribute other than the digest block's") {
    const std::string path = tmp.file("v1_attribute.h5");
    write_with_digest(path, from_hex(kFloat16Hex));  // attribute = 1
    check_error([&] { train::load_checkpoint(path); },
                {path, "format version 1 is not supported (expected " +
                           std::to_string(kOldestCheckpointVersion) + " to " +
                           std::to_string(kFormatVersion) + ")"});
  }
  SUBCASE("a dataset of a dtype tinytune does not have (float16)") {
    const std::string path = tmp.file("f16.h5");
    write_with_digest(path, from_hex(kFloat16Version2Hex));
    check_load_error(path, "'half' has type float of 2 bytes");
  }
}

TEST_CASE("checkpoint: a few bytes flipped in the middle are detected, by the digest and by HDF5") {
  TempDir tmp;
  const std::string path = tmp.file("state.h5");
  train::save_checkpoint(path, full_checkpoint());
  std::string bytes = read_bytes(path);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 4; ++i)
    bytes[i] = static_cast<char>(~bytes[i]);
  write_bytes(path, bytes);
  check_load_error(path, "corrupted: the SHA-256 digest");
  // Behind a digest recomputed over the damage, HDF5's own check still holds: the middle of
  // the file is chunk data of the large embedding tensor, under a Fletcher-32 checksum.
  train::write_digest_block(path, path);
  check_load_error(path, "Fletcher32");
}

namespace {

// Loads after a flip of each byte at 0, stride, 2 stride, ... (XOR 0x5A, restored after each
// load). The loads run in a child process: a crash then fails the calling test instead of
// killing the suite, and HDF5's exit handlers never run there. The child reports one line per
// flip that loaded without an error, or failed with a message that does not name the file.
struct FlipTally {
  int flips = 0, errors = 0;
  std::string report;  // the child's lines, for the failure message
};

FlipTally flip_and_load(const std::string& path, size_t stride) {
  const std::string good = read_bytes(path);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    FILE* out = ::fdopen(fds[1], "w");
    const int fd = ::open(path.c_str(), O_RDWR);
    if (out == nullptr || fd < 0) ::_exit(3);
    int flips = 0, errors = 0;
    for (size_t position = 0; position < good.size(); position += stride, ++flips) {
      const char flipped = static_cast<char>(good[position] ^ 0x5A);
      if (::pwrite(fd, &flipped, 1, static_cast<off_t>(position)) != 1) ::_exit(2);
      try {
        train::load_checkpoint(path);
        std::fprintf(out, "byte %zu: loaded without an error\n", position);
      } catch (const Error& e) {
        if (std::string(e.what()).find(path) == std::string::npos)
          std::fprintf(out, "byte %zu: message without the path: %s\n", position, e.what());
        ++errors;
      }
      std::fflush(out);  // a crash keeps the lines so far
      if (::pwrite(fd, &good[position], 1, static_cast<off_t>(position)) != 1) ::_exit(2);
    }
    std::fprintf(out, "tally %d %d\n", flips, errors);
    std::fflush(out);
    ::_exit(0);  // no atexit handlers: neither doctest's nor HDF5's
  }
  ::close(fds[1]);
  FlipTally tally;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) tally.report.append(buffer, n);
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  INFO("child report (last 2000 bytes):\n",
       tally.report.substr(tally.report.size() > 2000 ? tally.report.size() - 2000 : 0));
  REQUIRE_MESSAGE(WIFEXITED(status), "the loading process died of signal ", WTERMSIG(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  const size_t at = tally.report.rfind("tally ");
  REQUIRE(at != std::string::npos);
  REQUIRE(std::sscanf(tally.report.c_str() + at, "tally %d %d", &tally.flips, &tally.errors) == 2);
  CHECK_MESSAGE(at == 0, "flips that loaded, or errors without the path:\n",
                tally.report.substr(0, std::min<size_t>(at, 2000)));
  return tally;
}

// Many tensors per group, as a BERT checkpoint has: HDF5 then keeps the group's links in
// "dense" storage (a fractal heap and a B-tree), whose corruption crashed libhdf5 1.10.
Checkpoint trainer_like_checkpoint() {
  Checkpoint c;
  Generator gen(3);
  for (int i = 0; i < 40; ++i) {
    c.tensors["model/bert.encoder.layer." + std::to_string(i) + ".weight"] =
        uniform({4, 4}, -1.0, 1.0, DType::f32, gen);
    c.tensors["optimizer/m/" + std::to_string(i)] = zeros({4, 4});
  }
  c.integers = {{"step", 2}, {"rng/seed", 42}};
  c.reals = {{"best_metric", 0.5}};
  c.strings = {{"config", R"({"task": "sst2", "peft": "lora"})"}, {"task", "sst2"}};
  return c;
}

}  // namespace

TEST_CASE("checkpoint: every single-byte flip is an error naming the file, never a crash") {
  // A small checkpoint of every kind of entry, so that every byte can be flipped in turn.
  Checkpoint saved = full_checkpoint();
  saved.tensors.erase("model/embeddings.word_embeddings.weight");
  saved.strings["config"] = R"({"hidden_size": 768, "num_attention_heads": 12, "task": "mrpc"})";
  TempDir tmp;
  const std::string path = tmp.file("state.h5");
  train::save_checkpoint(path, saved);
  // The digest covers every byte after the digest block, and the block itself is parsed
  // strictly, so no flip goes unnoticed, padding and free space included.
  const FlipTally tally = flip_and_load(path, 1);
  MESSAGE(tally.flips, " single-byte flips: ", tally.errors, " errors");
  CHECK(tally.errors == tally.flips);
  check_same(train::load_checkpoint(path), saved);  // the file was restored after each flip
}

TEST_CASE("checkpoint: flips every 97 bytes of a checkpoint with dense link storage are errors") {
  TempDir tmp;
  const std::string path = tmp.file("checkpoint.h5");
  train::save_checkpoint(path, trainer_like_checkpoint());
  const FlipTally tally = flip_and_load(path, 97);
  MESSAGE(tally.flips, " flips: ", tally.errors, " errors");
  CHECK(tally.flips > 50);
  CHECK(tally.errors == tally.flips);
}

TEST_CASE("checkpoint: an example file for scripts/check_checkpoint_h5py.py") {
  // A miniature training state, left in the temp dir so h5py can be pointed at it.
  Checkpoint c;
  Generator gen(1);
  auto weight = [&](const Shape& shape) { return uniform(shape, -0.1, 0.1, DType::f32, gen); };
  c.tensors["model/bert.embeddings.word_embeddings.weight"] = weight({30, 8});
  c.tensors["model/bert.encoder.layer.0.attention.self.query.weight"] = weight({8, 8});
  c.tensors["model/bert.encoder.layer.0.attention.self.query.bias"] = zeros({8});
  c.tensors["model/classifier.weight"] = weight({8, 2}).transpose(0, 1);  // saved contiguous
  c.tensors["optimizer/m/0"] = zeros({30, 8});
  c.tensors["optimizer/v/0"] = zeros({30, 8});
  c.tensors["optimizer/step"] = scalar_tensor(100, DType::i64);
  c.tensors["data/order"] = arange(0, 10, 1, DType::i32);
  c.tensors["data/empty"] = zeros({0, 4}, DType::f64);
  c.integers = {{"step", 100}, {"epoch", 1}, {"rng/seed", 42}, {"rng/offset", 3200}};
  c.reals = {{"best_metric", 0.9125}, {"lr", 2e-5}};
  c.strings = {{"task", "sst2"}, {"config", R"({"hidden_size": 8, "num_hidden_layers": 1})"}};
  const std::string path = (fs::temp_directory_path() / "tinytune_checkpoint_example.h5").string();
  train::save_checkpoint(path, c);
  check_same(train::load_checkpoint(path), [&] {
    Checkpoint expected = c;
    for (auto& [name, tensor] : expected.tensors) tensor = tensor.contiguous();
    return expected;
  }());
}

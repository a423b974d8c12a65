// safetensors reader/writer: round trips of every dtype, F16/BF16 conversion, and every kind of
// malformed file, each of which must throw tt::Error naming the file and the fault.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "tinytune/core/error.h"
#include "tinytune/core/io/safetensors.h"
#include "tinytune/core/ops.h"
#include "tests/test_util.h"
#include "tests/write_faults.h"

using namespace tt;
using tt::test::check_error;
using tt::test::TempDir;
namespace fs = std::filesystem;

namespace {

void write_raw(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &v, 8);
  return s;
}

// A safetensors file with the given header text (length-prefixed) followed by `data`.
void write_file(const std::string& path, const std::string& header, const std::string& data) {
  write_raw(path, le64(header.size()) + header + data);
}

// Loading `path` fails with a message naming the file and holding `what`.
void check_load_error(const std::string& path, const std::string& what) {
  check_error([&] { io::load_safetensors(path); }, {path, what});
}

void check_same(const Tensor& actual, const Tensor& expected) {
  REQUIRE(actual.defined());
  CHECK(actual.dtype() == expected.dtype());
  REQUIRE(actual.shape() == expected.shape());
  for (int64_t i = 0; i < expected.numel(); ++i) {
    INFO("element ", i);
    CHECK(actual.get(i) == expected.get(i));
  }
}

}  // namespace

TEST_CASE("safetensors: round trip of F32, F64, I32, I64, scalars, empty and strided tensors") {
  TempDir tmp;
  const std::string path = tmp.file("round_trip.safetensors");
  Generator gen(7);
  std::map<std::string, Tensor> tensors = {
      {"f32", normal({3, 4}, 0.0, 1.0, DType::f32, gen)},
      {"f64", normal({2, 3, 2}, 0.0, 1.0, DType::f64, gen)},
      {"i32", from_vector(std::vector<double>{-2147483648.0, -1, 0, 1, 2147483647.0}, {5},
                          DType::i32)},
      {"i64", from_vector(std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -1, 0, 7,
                                               std::numeric_limits<int64_t>::max(), 3},
                          {2, 3})},
      {"scalar", scalar_tensor(3.25, DType::f64)},
      {"empty", zeros({0, 4})},
      {"strided", normal({4, 3}, 0.0, 1.0, DType::f32, gen).transpose(0, 1)},  // not contiguous
      {"with.dots/and slash", ones({1})},
  };
  tensors["f32"].set(5, std::numeric_limits<float>::infinity());
  tensors["f64"].set(0, std::numeric_limits<double>::denorm_min());
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "héllo"}};
  io::save_safetensors(path, tensors, metadata);
  CHECK(test::temporaries_in(tmp.dir).empty());
  CHECK(fs::file_size(path) % 8 == 0);  // header padded to 8 bytes, and every tensor is 4 or 8

  io::SafetensorsFile loaded = io::read_safetensors(path);
  CHECK(loaded.metadata == metadata);
  REQUIRE(loaded.tensors.size() == tensors.size());
  for (const auto& [name, expected] : tensors) {
    INFO("tensor ", name);
    check_same(loaded.tensors.at(name), expected);
  }
  CHECK(loaded.tensors.at("scalar").dim() == 0);

  // Saving again over an existing file replaces it (the rename is atomic).
  io::save_safetensors(path, {{"only", ones({2}, DType::f64)}});
  auto again = io::load_safetensors(path);
  REQUIRE(again.size() == 1);
  check_same(again.at("only"), ones({2}, DType::f64));
}

TEST_CASE("safetensors: F16 and BF16 load as f32, exactly") {
  TempDir tmp;
  const std::string path = tmp.file("half.safetensors");
  // F16: 1, -2, 0.5, 65504 (max), 2^-24 (smallest subnormal), 2^-14 (smallest normal), -0, inf
  const std::vector<uint16_t> f16 = {0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x0400, 0x8000,
                                     0x7c00};
  const std::vector<float> f16_values = {1.0f, -2.0f, 0.5f, 65504.0f, std::ldexp(1.0f, -24),
                                         std::ldexp(1.0f, -14), -0.0f,
                                         std::numeric_limits<float>::infinity()};
  // BF16: 1, -2.5, 3.140625, 1e38-ish (0x7e96 -> 0x7e960000), -inf
  const std::vector<uint16_t> bf16 = {0x3f80, 0xc020, 0x4049, 0x7e96, 0xff80};
  std::vector<float> bf16_values;
  for (uint16_t h : bf16) {
    uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    bf16_values.push_back(f);
  }
  CHECK(bf16_values[2] == 3.140625f);
  std::string data(reinterpret_cast<const char*>(f16.data()), f16.size() * 2);
  data.append(reinterpret_cast<const char*>(bf16.data()), bf16.size() * 2);
  write_file(path,
             R"({"h": {"dtype": "F16", "shape": [2, 4], "data_offsets": [0, 16]},)"
             R"( "b": {"dtype": "BF16", "shape": [5], "data_offsets": [16, 26]}})",
             data);
  auto t = io::load_safetensors(path);
  check_same(t.at("h"), from_vector(f16_values, {2, 4}));
  check_same(t.at("b"), from_vector(bf16_values, {5}));
  CHECK(std::signbit(t.at("h").get(6)));  // -0 keeps its sign

  // A NaN half stays NaN.
  write_file(path, R"({"n": {"dtype": "F16", "shape": [1], "data_offsets": [0, 2]}})",
             std::string("\x00\x7e", 2));
  CHECK(std::isnan(io::load_safetensors(path).at("n").item()));
}

TEST_CASE("safetensors: an unaligned data block and an empty file of tensors load") {
  TempDir tmp;
  const std::string path = tmp.file("unaligned.safetensors");
  // An odd header length (65 bytes) leaves the f64 data 8-byte misaligned in the mapping.
  double values[2] = {1.5, -2.25};
  write_file(path, R"({"x": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}}   )",
             std::string(reinterpret_cast<const char*>(values), 16));
  check_same(io::load_safetensors(path).at("x"), from_vector(std::vector<double>{1.5, -2.25},
                                                             {2}, DType::f64));
  write_file(path, "{}", "");
  CHECK(io::load_safetensors(path).empty());
  write_file(path, R"({"__metadata__": {"a": "b"}})", "");
  CHECK(io::read_safetensors(path).metadata.at("a") == "b");
}

TEST_CASE("safetensors: malformed files throw tt::Error naming the file and the fault") {
  TempDir tmp;
  const std::string path = tmp.file("bad.safetensors");
  const std::string f32x2(8, '\0');  // data for a [2] F32 tensor

  SUBCASE("missing file") {
    check_load_error(tmp.file("does_not_exist.safetensors"), "cannot open");
  }
  SUBCASE("a directory") {
    check_load_error(tmp.dir.string(), "not a regular file");
  }
  SUBCASE("shorter than 8 bytes") {
    write_raw(path, "");
    check_load_error(path, "shorter than the 8-byte header length");
    write_raw(path, "\x05\x00\x00");
    check_load_error(path, "shorter than the 8-byte header length");
  }
  SUBCASE("header length larger than the file") {
    write_raw(path, le64(100) + "{}");
    check_load_error(path, "header length 100 is larger than the 2 bytes");
    write_raw(path, le64(std::numeric_limits<uint64_t>::max()) + "{}");
    check_load_error(path, "is larger than");
  }
  SUBCASE("invalid JSON") {
    write_file(path, R"({"x": {"dtype": "F32",)", "");
    check_load_error(path, "not valid JSON");
    write_file(path, "\xff\xfe", "");
    check_load_error(path, "not valid JSON");
  }
  SUBCASE("header not an object") {
    write_file(path, "[1, 2]", "");
    check_load_error(path, "header must be a JSON object");
    write_file(path, R"({"x": [1, 2]})", "");
    check_load_error(path, "tensor 'x': expected an object");
  }
  SUBCASE("missing dtype, shape or data_offsets") {
    write_file(path, R"({"x": {"shape": [2], "data_offsets": [0, 8]}})", f32x2);
    check_load_error(path, "tensor 'x': missing \"dtype\"");
    write_file(path, R"({"x": {"dtype": "F32", "data_offsets": [0, 8]}})", f32x2);
    check_load_error(path, "tensor 'x': missing \"shape\"");
    write_file(path, R"({"x": {"dtype": "F32", "shape": [2]}})", f32x2);
    check_load_error(path, "tensor 'x': missing \"data_offsets\"");
  }
  SUBCASE("ill-typed fields") {
    write_file(path, R"({"x": {"dtype": 3, "shape": [2], "data_offsets": [0, 8]}})", f32x2);
    check_load_error(path, "dtype must be a string");
    write_file(path, R"({"x": {"dtype": "F32", "shape": 2, "data_offsets": [0, 8]}})", f32x2);
    check_load_error(path, "shape must be an array");
    write_file(path, R"({"x": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", f32x2);
    check_load_error(path, "shape must hold non-negative integers, got -2");
    write_file(path, R"({"x": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}})",
               f32x2);
    check_load_error(path, "shape must hold non-negative integers, got 2.5");
    write_file(path, R"({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0]}})", f32x2);
    check_load_error(path, "data_offsets must be an array [begin, end]");
    write_file(path, R"({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, "8"]}})",
               f32x2);
    check_load_error(path, "data_offsets must hold non-negative integers");
    write_file(path, R"({"__metadata__": {"a": 1}})", "");
    check_load_error(path, "__metadata__ value of 'a' must be a string");
    write_file(path, R"({"__metadata__": [1]})", "");
    check_load_error(path, "__metadata__ must be an object");
  }
  SUBCASE("unknown dtype") {
    write_file(path, R"({"x": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 8]}})", f32x2);
    check_load_error(path, "tensor 'x': unsupported dtype \"Q4\"");
    write_file(path, R"({"x": {"dtype": "BOOL", "shape": [8], "data_offsets": [0, 8]}})", f32x2);
    check_load_error(path, "unsupported dtype \"BOOL\"");
  }
  SUBCASE("offsets out of range") {
    write_file(path, R"({"x": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", f32x2);
    check_load_error(path, "run past the data block (8 bytes)");
    write_file(path, R"({"x": {"dtype": "F32", "shape": [0], "data_offsets": [9, 9]}})", f32x2);
    check_load_error(path, "run past the data block");
    write_file(path, R"({"x": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})", f32x2);
    check_load_error(path, "begin > end");
  }
  SUBCASE("offsets not matching shape x dtype") {
    write_file(path, R"({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})",
               std::string(16, '\0'));
    check_load_error(path, "span 8 bytes but shape [3] x F32 needs 12");
    write_file(path, R"({"x": {"dtype": "F64", "shape": [2], "data_offsets": [0, 8]}})", f32x2);
    check_load_error(path, "needs 16");
    // A shape whose byte count overflows 64 bits.
    write_file(path,
               R"({"x": {"dtype": "F32", "shape": [4294967296, 4294967296], )"
               R"("data_offsets": [0, 8]}})",
               f32x2);
    check_load_error(path, "is too large");
  }
  SUBCASE("overlapping tensors") {
    write_file(path,
               R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
               R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
               std::string(12, '\0'));
    check_load_error(path, "tensors 'a' [0, 8) and 'b' [4, 12) overlap");
    write_file(path,
               R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
               R"( "b": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})",
               f32x2);
    check_load_error(path, "overlap");
  }
}

TEST_CASE("safetensors: save rejects what it cannot write, naming the file") {
  TempDir tmp;
  const std::string path = tmp.file("out.safetensors");
  check_error([&] { io::save_safetensors(path, {{"__metadata__", ones({1})}}); },
              {path, "__metadata__"});
  check_error([&] { io::save_safetensors(path, {{"x", Tensor()}}); }, {path, "'x'", "undefined"});
  const std::string unwritable = tmp.file("no_such_dir/out.safetensors");
  check_error([&] { io::save_safetensors(unwritable, {{"x", ones({1})}}); },
              {unwritable, "cannot open"});
  check_error([&] { io::save_safetensors(path, {{"bad\xff", ones({1})}}); },
              {path, "cannot encode the header"});
  CHECK_FALSE(fs::exists(path));
  CHECK(test::temporaries_in(tmp.dir).empty());
}

#!/usr/bin/env bash
# tinytune as other projects use it (ctest runs this as install.package):
#   1. `cmake --install` of this build into a temporary prefix: libraries, headers, tools, package;
#   2. examples/ configured, built and run as a separate project against that install;
#   3. a consumer with its own core/tensor.h and data/glue.h beside ours;
#   4. a project that embeds tinytune with add_subdirectory: only the libraries build (static,
#      its default), with doctest and Google Benchmark hidden; its install, made with OpenBLAS
#      off, then serves
#   5. a consumer of tinytune::core alone, configured with HDF5, OpenSSL, SentencePiece, utf8proc,
#      NLopt, nlohmann-json and pkg-config hidden; the same consumer asking for the train layer must
#      fail there (so the hiding is shown to bite).
# Usage: check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
tt_build=$(cd "$1" && pwd); src=$(cd "$2" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
jobs=${CHECK_INSTALL_JOBS:-2}
fail() { echo "check_install: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
configure() { cmake -G Ninja "$@" >"$tmp/configure.log" 2>&1 ||
              { cat "$tmp/configure.log"; return 1; }; }
build() { cmake --build "$1" -j "$jobs" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; return 1; }; }

step "1. install into $tmp/prefix"
cmake --install "$tt_build" --prefix "$tmp/prefix" >/dev/null
for f in include/tinytune/tinytune.h include/tinytune/core/tensor.h include/tinytune/train/trainer.h \
         lib/cmake/tinytune/tinytuneConfig.cmake bin/train_glue; do
  [ -e "$tmp/prefix/$f" ] || fail "the install lacks $f"
done
ls "$tmp/prefix"/lib/libtinytune_core.* >/dev/null || fail "the install lacks libtinytune_core"
[ -z "$(find "$tmp/prefix/include" -name '*.cpp' -o -name '*.cu')" ] || fail "sources installed as headers"
"$tmp/prefix/bin/train_glue" --help >/dev/null || fail "the installed train_glue does not run"

step "2. examples/ against the install"
configure -S "$src/examples" -B "$tmp/examples" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DTINYTUNE_FIXTURE_DIR="$src/tests/fixtures" -DTINYTUNE_EXAMPLES_WERROR=ON
build "$tmp/examples"
ctest --test-dir "$tmp/examples" --output-on-failure -j 1

step "3. a consumer with its own core/tensor.h and data/glue.h"
configure -S "$src/tests/install/collision" -B "$tmp/collision" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$tmp/prefix"
build "$tmp/collision"
"$tmp/collision/collision"

step "4. add_subdirectory: libraries only, static, no doctest or Google Benchmark"
configure -S "$src/tests/install/subproject" -B "$tmp/sub" -DTINYTUNE_SOURCE_DIR="$src" \
  -DTINYTUNE_CUDA=OFF -DTINYTUNE_OPENBLAS=OFF -DTINYTUNE_INSTALL=ON \
  -DCMAKE_DISABLE_FIND_PACKAGE_doctest=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON
targets=$(ninja -C "$tmp/sub" -t targets all | sed -n 's/^\([^:]*\): phony$/\1/p; s/^\([^:]*\): CXX_EXECUTABLE_LINKER.*/\1/p')
for unwanted in tinytune_tests train_glue bench_gemm_cpu example_autograd; do
  grep -qx "$unwanted" <<<"$targets" && fail "add_subdirectory builds $unwanted by default"
done
grep -q -- '-march=native' "$tmp/sub/build.ninja" && fail "a subproject compiles with -march=native"
grep -qx 'CMAKE_BUILD_TYPE:STRING=' "$tmp/sub/CMakeCache.txt" || fail "a subproject set the parent's build type"
build "$tmp/sub"
"$tmp/sub/subproject_consumer"
ls "$tmp/sub/tinytune/libtinytune_core.a" >/dev/null || fail "a subproject's libraries are not static"
cmake --install "$tmp/sub" --prefix "$tmp/static" >/dev/null

step "5. tinytune::core alone, the upper layers' libraries hidden (static install, no OpenBLAS)"
hide=(-DCMAKE_DISABLE_FIND_PACKAGE_HDF5=ON -DCMAKE_DISABLE_FIND_PACKAGE_OpenSSL=ON
      -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON
      -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON -DCMAKE_PREFIX_PATH="$tmp/static")
configure -S "$src/tests/install/core_only" -B "$tmp/core" "${hide[@]}"
build "$tmp/core"
"$tmp/core/core_only"
if ninja -C "$tmp/core" -t commands | grep -E 'hdf5|crypto|ssl|sentencepiece|utf8proc|nlopt|openblas'; then
  fail "the core consumer links an upper layer's library"
fi
if configure -S "$src/tests/install/core_only" -B "$tmp/train" "${hide[@]}" -DTINYTUNE_COMPONENTS=train; then
  fail "asking for the train layer with its libraries hidden configured anyway: the hiding does not bite"
fi
echo "check_install: all passed"

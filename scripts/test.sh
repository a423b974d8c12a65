#!/usr/bin/env bash
# The test command: installs dependencies, builds everything (Release), runs the whole suite.
#   ./scripts/test.sh            build in ./build
#   BUILD_DIR=out ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
./scripts/install_deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"

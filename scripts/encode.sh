#!/usr/bin/env bash
# The main job until train_glue lands: fetch SST-2 and all-MiniLM-L6-v2, build, compare
# tinytune's hidden states with HF transformers (when a Python with torch + transformers is
# found: $PYTHON, else python3), and encode SST-2 dev on the CPU, printing sentences/s.
#   ./scripts/encode.sh [extra bert_encode flags, e.g. --threads 2 --gemm openblas]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install_deps.sh
./scripts/get_glue.sh SST-2
./scripts/get_model.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target bert_encode
python="${PYTHON:-python3}"
if "$python" -c "import torch, transformers, safetensors" 2>/dev/null; then
  "$python" scripts/compare_minilm.py --rtol 1e-4
else
  echo "encode.sh: no torch/transformers in $python; skipping the HF comparison (set PYTHON=...)"
fi
build/bin/bert_encode --model models/all-MiniLM-L6-v2 --task sst2 --split dev "$@"

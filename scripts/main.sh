#!/usr/bin/env bash
# The main job: fetch SST-2 and all-MiniLM-L6-v2, build, fine-tune with train_glue on the CPU,
# and print the dev accuracy. Extra arguments go to train_glue, e.g.
#   ./scripts/main.sh                       LoRA r=8 on query,value, 3 epochs (hours on 2 cores)
#   ./scripts/main.sh --max-steps 600       a shorter run
#   ./scripts/main.sh --peft full --lr 3e-5
# (--peft qgoft joins with the PEFT issue.)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install_deps.sh
./scripts/get_glue.sh SST-2
./scripts/get_model.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target train_glue
build/bin/train_glue --task sst2 --peft lora --model models/all-MiniLM-L6-v2 --data-dir data/glue \
  --output-dir runs/sst2-main "$@"

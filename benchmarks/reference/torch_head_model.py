"""Writes a copy of an HF BERT model directory whose model.safetensors also holds the classifier
head that train_glue_torch.py draws for --seed S (torch.manual_seed(S), then from_pretrained with
num_labels), so that `train_glue --model DIR` starts from PyTorch's head: train_glue takes a
classifier it finds in the file and draws only what is missing (nn/hf_checkpoint.cpp).

The probe it serves (issue 5, CoLA full fine-tuning, benchmarks/notes/cola-full-gap.md, sessions
7-8): PyTorch started from tinytune's heads lands in tinytune's range; does tinytune started
from PyTorch's heads land in PyTorch's?

    /work/venv/bin/python benchmarks/reference/torch_head_model.py --seed 1 --out runs/probe/torch-head-1
    build/bin/train_glue --task cola --peft full --seed 1 --model runs/probe/torch-head-1 ...
"""
import argparse
import os
import shutil

import torch
from safetensors.torch import load_file, save_file
from transformers import BertForSequenceClassification

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--model", default=os.path.join(ROOT, "models/all-MiniLM-L6-v2"))
p.add_argument("--seed", type=int, required=True, help="train_glue_torch.py's --seed")
p.add_argument("--num-labels", type=int, default=2)
p.add_argument("--out", required=True, help="the new model directory (must not exist)")
args = p.parse_args()
if os.path.exists(args.out):
    p.error(f"--out {args.out} already exists")
for name in ("config.json", "vocab.txt", "model.safetensors"):
    if not os.path.isfile(os.path.join(args.model, name)):
        p.error(f"--model {args.model}: no {name} (expected an HF BERT directory)")

torch.manual_seed(args.seed)  # as train_glue_torch.py: nothing else draws before the model
model = BertForSequenceClassification.from_pretrained(args.model, num_labels=args.num_labels)
weights = load_file(os.path.join(args.model, "model.safetensors"))
for name in ("classifier.weight", "classifier.bias"):
    if name in weights:
        p.error(f"--model {args.model} already holds {name}")
    weights[name] = model.state_dict()[name].contiguous()

partial = args.out + ".partial"  # complete or absent, never half-written
shutil.rmtree(partial, ignore_errors=True)
os.makedirs(partial)
for name in ("config.json", "vocab.txt"):
    shutil.copy(os.path.join(args.model, name), partial)
save_file(weights, os.path.join(partial, "model.safetensors"))
os.rename(partial, args.out)
w = weights["classifier.weight"]
print(f"{args.out}: classifier {tuple(w.shape)} from torch seed {args.seed} (std {w.std().item():.4f})")

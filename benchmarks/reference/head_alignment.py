"""How a freshly drawn classifier head sits against CoLA's training data, before any training:
for each head, the logit gap z1 - z0 = (w1 - w0)·p + (b1 - b0) over the base model's pooled
outputs p of every training sentence (eval mode), and the cosine between w1 - w0 and the
direction that separates the labels, mean(p | label 1) - mean(p | label 0).

A head is read from a train_glue checkpoint.h5 (model/classifier.*; take it after a first step at
lr 0: --stop-after 1 with the table's warmup) or from a model directory whose model.safetensors
holds classifier.* (torch_head_model.py). The probe of issue 5's CoLA gap
(benchmarks/notes/cola-full-gap.md, session 14).

    /work/venv/bin/python benchmarks/reference/head_alignment.py runs/probe/tt-s1-1/checkpoint.h5 \
        runs/probe/torch-head-1 ...
"""
import argparse
import csv
import os

import h5py
import numpy as np
import torch
from safetensors.numpy import load_file
from sklearn.metrics import roc_auc_score
from transformers import BertModel, BertTokenizerFast

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("heads", nargs="+", help="checkpoint.h5 files or model directories")
p.add_argument("--model", default=os.path.join(ROOT, "models/all-MiniLM-L6-v2"))
p.add_argument("--data-dir", default=os.path.join(ROOT, "data/glue"))
p.add_argument("--threads", type=int, default=1)
args = p.parse_args()


def read_head(path):
    if path.endswith(".h5"):
        if not os.path.isfile(path):
            p.error(f"{path}: no such checkpoint")
        prefix, hint = "model/", "expected a train_glue checkpoint"
        with h5py.File(path, "r") as f:
            tensors = {n: f[n][:] for n in (prefix + "classifier.weight", prefix + "classifier.bias") if n in f}
    else:
        weights = os.path.join(path, "model.safetensors")
        if not os.path.isfile(weights):
            p.error(f"{path}: neither a .h5 checkpoint nor a directory with model.safetensors")
        prefix, hint = "", "write one with torch_head_model.py"
        tensors = load_file(weights)
    for name in ("classifier.weight", "classifier.bias"):
        if prefix + name not in tensors:
            p.error(f"{path}: no {prefix + name} ({hint})")
    return tensors[prefix + "classifier.weight"].astype(float), tensors[prefix + "classifier.bias"].astype(float)


heads = {path: read_head(path) for path in args.heads}  # bad paths fail before the slow part
with open(os.path.join(args.data_dir, "CoLA", "train.tsv"), encoding="utf-8") as f:
    rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
texts, labels = [r[3] for r in rows], np.array([int(r[1]) for r in rows])

torch.set_num_threads(args.threads)
tokenizer = BertTokenizerFast.from_pretrained(args.model)
bert = BertModel.from_pretrained(args.model).eval()
pooled = []
with torch.no_grad():
    for i in range(0, len(texts), 256):
        enc = tokenizer(texts[i:i + 256], padding=True, truncation=True, max_length=128, return_tensors="pt")
        pooled.append(bert(**enc).pooler_output.double())
pooled = torch.cat(pooled).numpy()
direction = pooled[labels == 1].mean(0) - pooled[labels == 0].mean(0)

print("| head | mean gap | std gap | share with gap > 0 | AUC of the gap | cos(w1 - w0, label direction) |")
print("|---|---:|---:|---:|---:|---:|")
for path, (w, b) in heads.items():
    v = w[1] - w[0]
    gap = pooled @ v + (b[1] - b[0])
    cos = v @ direction / np.linalg.norm(v) / np.linalg.norm(direction)
    print(f"| {path} | {gap.mean():+.4f} | {gap.std():.4f} | {np.mean(gap > 0):.2f} | "
          f"{roc_auc_score(labels, gap):.3f} | {cos:+.3f} |")

"""PyTorch + HF transformers baseline for `bert_encode`: the same model, the same GLUE split,
the same batching (dataset order, padding to the longest in each batch of --batch-size,
max_length 128), the same thread count; times the forward passes only.

    /work/venv/bin/python benchmarks/reference/encode_torch.py --threads 2
"""
import argparse
import csv
import json
import os
import sys
import time

import torch
from transformers import BertModel, BertTokenizerFast

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLUMNS = {"sst2": ("SST-2", True, 0, None), "cola": ("CoLA", False, 3, None),
           "mrpc": ("MRPC", True, 3, 4), "rte": ("RTE", True, 1, 2), "qnli": ("QNLI", True, 1, 2),
           "stsb": ("STS-B", True, 7, 8)}

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--model", default=os.path.join(ROOT, "models/all-MiniLM-L6-v2"))
parser.add_argument("--task", default="sst2", choices=sorted(COLUMNS))
parser.add_argument("--data-dir", default=os.path.join(ROOT, "data/glue"))
parser.add_argument("--split", default="dev")
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--max-seq-length", type=int, default=128)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()

torch.set_num_threads(args.threads)
folder, header, col_a, col_b = COLUMNS[args.task]
with open(os.path.join(args.data_dir, folder, args.split + ".tsv"), encoding="utf-8") as f:
    rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1 if header else 0:]
texts_a = [r[col_a] for r in rows]
texts_b = [r[col_b] for r in rows] if col_b is not None else None

tokenizer = BertTokenizerFast.from_pretrained(args.model)
model = BertModel.from_pretrained(args.model).eval()
batches = []
for start in range(0, len(texts_a), args.batch_size):
    a = texts_a[start:start + args.batch_size]
    b = texts_b[start:start + args.batch_size] if texts_b else None
    batches.append(tokenizer(a, b, padding="longest", truncation="longest_first",
                             max_length=args.max_seq_length, return_tensors="pt"))
with torch.inference_mode():
    model(**batches[0])  # warm-up: first-call allocations
    start = time.perf_counter()
    for batch in batches:
        model(**batch)
    seconds = time.perf_counter() - start
print(json.dumps({"framework": f"torch {torch.__version__}", "task": args.task, "split": args.split,
                  "sentences": len(texts_a), "batch_size": args.batch_size, "threads": args.threads,
                  "attn_implementation": model.config._attn_implementation,
                  "encode_seconds": round(seconds, 3),
                  "sentences_per_second": round(len(texts_a) / seconds, 1)}))

"""PyTorch + HF transformers baseline for `predict`: labels the sentences of a TSV file with an
AutoModelForSequenceClassification directory (as export_model writes it), the same batching as
predict (file order, --batch-size at a time, padding to the longest in each batch, max_length
--max-seq-length), the same thread count. Timed as predict times itself: tokenizing, the forward
passes, the softmax and formatting the output lines; not reading the file or loading the model.
Writes `index<TAB>label<TAB>probabilities` lines to --output and one JSON line to stdout.

    /work/venv/bin/python benchmarks/reference/predict_torch.py --model DIR --input dev.tsv \
        --output out.tsv --threads 2
"""
import argparse
import csv
import json
import time

import torch
from transformers import AutoModelForSequenceClassification, BertTokenizerFast

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--model", required=True)
parser.add_argument("--input", required=True)
parser.add_argument("--output", required=True)
parser.add_argument("--text-column", default="sentence")
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--max-seq-length", type=int, default=128)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()

torch.set_num_threads(args.threads)
with open(args.input, encoding="utf-8") as f:
    rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
column = rows[0].index(args.text_column)
texts = [r[column] for r in rows[1:]]

tokenizer = BertTokenizerFast.from_pretrained(args.model)
model = AutoModelForSequenceClassification.from_pretrained(args.model).eval()
names = [model.config.id2label[i] for i in range(model.config.num_labels)]


def label_batch(batch_texts):
    encoded = tokenizer(batch_texts, padding="longest", truncation=True,
                        max_length=args.max_seq_length, return_tensors="pt")
    probabilities = torch.softmax(model(**encoded).logits.double(), dim=-1)
    return probabilities.argmax(dim=-1).tolist(), probabilities.tolist()


with torch.inference_mode():
    label_batch(texts[:args.batch_size])  # warm-up: first-call allocations
    start = time.perf_counter()
    lines = []
    for begin in range(0, len(texts), args.batch_size):
        labels, probabilities = label_batch(texts[begin:begin + args.batch_size])
        for label, p in zip(labels, probabilities):
            lines.append(f"{len(lines)}\t{names[label]}\t" + ",".join(f"{x:.6f}" for x in p))
    text = "\n".join(lines) + "\n"
    seconds = time.perf_counter() - start
with open(args.output, "w", encoding="utf-8") as f:
    f.write(text)
print(json.dumps({"framework": f"torch {torch.__version__}", "sentences": len(texts),
                  "batch_size": args.batch_size, "threads": args.threads,
                  "attn_implementation": model.config._attn_implementation,
                  "predict_seconds": round(seconds, 3),
                  "sentences_per_second": round(len(texts) / seconds, 1)}))

"""Summarises runs/table/ (benchmarks/glue/run_table.sh) as a Markdown table: per task and
method, the dev main metric (GLUE's task score, ×100) as mean ± sample std over seeds, with the
number of seeds, trainable parameters, examples/s and peak memory, for each side.

    python3 benchmarks/glue/summarize_table.py [runs/table]
"""
import json
import os
import statistics
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "runs/table"
rows = {}
for side in sorted(os.listdir(root)) if os.path.isdir(root) else []:
    for task in sorted(os.listdir(os.path.join(root, side))):
        for method in sorted(os.listdir(os.path.join(root, side, task))):
            runs = []
            for seed_dir in sorted(os.listdir(os.path.join(root, side, task, method))):
                path = os.path.join(root, side, task, method, seed_dir, "results.json")
                if os.path.exists(path):
                    with open(path) as f:
                        runs.append(json.load(f))
            if runs:
                rows[(task, method, side)] = runs


def fmt(runs):
    scores = [100 * r["dev"]["main"] for r in runs]
    spread = statistics.stdev(scores) if len(scores) > 1 else float("nan")
    params = runs[0].get("adapter_parameters") or runs[0]["trainable_parameters"]
    rate = statistics.mean(r["examples_per_second"] for r in runs)
    mem = max(r.get("peak_memory_mib", 0) for r in runs)
    return f"{statistics.mean(scores):.2f} ± {spread:.2f} (n={len(scores)}) | {params:,} | {rate:.1f} | {mem:.0f}"


print("| task | method | side | dev main ×100, mean ± std | params | ex/s | peak MiB |")
print("|---|---|---|---|---:|---:|---:|")
for (task, method, side), runs in sorted(rows.items()):
    print(f"| {task} | {method} | {side} | {fmt(runs)} |")

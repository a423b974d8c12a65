"""Summarises the LoraHub leave-one-task-out table (benchmarks/glue/lorahub_table.sh) as
Markdown: per target task and k, the dev main metric (GLUE's task score, ×100) as
mean ± sample std (n seeds) for the base model with the ridge head, LoraHub, LoRA trained on
the same k examples (its last evaluation) and LoRA on the full training set (its best
evaluation, as run_table.sh); then LoraHub's mean compose + adapt seconds and objective
evaluations, and the mean |w| of its weights per module.

    python3 benchmarks/glue/lorahub_summary.py [runs/lorahub/table]
"""
import json
import os
import statistics
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "runs/lorahub/table"
METHODS = ["base", "lorahub", "lora-k", "lora-full"]
# lora-k reports its last evaluation (selecting the best on dev would select on the test set).
METRIC_KEY = {"base": "dev", "lorahub": "dev", "lora-k": "dev_last", "lora-full": "dev"}


def load_runs(path):
    runs = []
    if not os.path.isdir(path):
        return runs
    for seed_dir in sorted(os.listdir(path)):
        f = os.path.join(path, seed_dir, "results.json")
        if os.path.exists(f):
            with open(f) as fh:
                runs.append(json.load(fh))
    return runs


def module_name(path):
    """The task of a module directory: <modules>/<task> or <modules>/<task>/adapter."""
    path = path.rstrip("/")
    if os.path.basename(path) == "adapter":
        path = os.path.dirname(path)
    return os.path.basename(path)


def score(runs, method):
    values = [100 * r[METRIC_KEY[method]]["main"] for r in runs if r.get(METRIC_KEY[method])]
    if not values:
        return "–"
    spread = statistics.stdev(values) if len(values) > 1 else float("nan")
    return f"{statistics.mean(values):.2f} ± {spread:.2f} (n={len(values)})"


if not os.path.isdir(root):
    sys.exit(f"lorahub_summary.py: {root} not found (run benchmarks/glue/lorahub_table.sh)")

rows, timing, weights = [], [], {}
for target in sorted(os.listdir(root)):
    full = load_runs(os.path.join(root, target, "full", "lora-full"))
    shots = sorted((d for d in os.listdir(os.path.join(root, target)) if d.startswith("k")),
                   key=lambda d: int(d[1:]))
    for k in shots:
        runs = {m: load_runs(os.path.join(root, target, k, m)) for m in METHODS if m != "lora-full"}
        runs["lora-full"] = full
        rows.append((target, k[1:], [score(runs[m], m) for m in METHODS]))
        hub = runs["lorahub"]
        if hub:
            timing.append((target, k[1:], statistics.mean(r["compose_adapt_seconds"] for r in hub),
                           statistics.mean(r["evaluations"] for r in hub), hub[0].get("mode", "?"),
                           hub[0].get("optimizer", "?")))
            for r in hub:
                for module, w in zip(r["modules"], r["weights"]):
                    weights.setdefault((target, module_name(module)), []).append(abs(w))

print("| target | k | base + ridge head | LoraHub | LoRA on k | LoRA on all |")
print("|---|---:|---|---|---|---|")
for target, k, cells in rows:
    print(f"| {target} | {k} | " + " | ".join(cells) + " |")
if timing:
    print()
    print("| target | k | LoraHub compose + adapt, s (mean) | evaluations (mean) | mode | optimizer |")
    print("|---|---:|---:|---:|---|---|")
    for target, k, seconds, evals, mode, optimizer in timing:
        print(f"| {target} | {k} | {seconds:.2f} | {evals:.1f} | {mode} | {optimizer} |")
if weights:
    print()
    print("| target | module | mean \\|w\\| over k and seeds |")
    print("|---|---|---:|")
    for (target, module), ws in sorted(weights.items()):
        print(f"| {target} | {module} | {statistics.mean(ws):.3f} |")

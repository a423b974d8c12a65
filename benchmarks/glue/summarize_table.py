"""Summarises runs/table/ (benchmarks/glue/run_table.sh) as a Markdown table: per task and
method, the dev main metric (GLUE's task score, ×100) as mean ± sample std over seeds, with the
seeds, trainable parameters, examples/s and peak memory, for each side; then, where both sides
have runs of the same seeds, tinytune's mean minus PyTorch's over those seeds with its standard
error (sqrt(s1²/n1 + s2²/n2): a difference smaller than about two of these is within what the
seeds alone would give).
Unfinished runs (stopped by a signal, or without a dev evaluation) are left out; --seeds keeps
only the listed seeds (e.g. the table's 1,2,3 where more were run).

    python3 benchmarks/glue/summarize_table.py [runs/table] [--seeds 1,2,3]
"""
import argparse
import json
import os
import statistics

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("root", nargs="?", default="runs/table")
parser.add_argument("--seeds", default="", help="comma-separated seeds to keep (default: all)")
args = parser.parse_args()
root = args.root
keep = set(args.seeds.split(",")) if args.seeds else None


def finished(result):
    return result.get("stopped_by_signal", 0) == 0 and "main" in result.get("dev", {})


rows = {}
for side in sorted(os.listdir(root)) if os.path.isdir(root) else []:
    for task in sorted(os.listdir(os.path.join(root, side))):
        for method in sorted(os.listdir(os.path.join(root, side, task))):
            runs = {}
            seed_dirs = os.listdir(os.path.join(root, side, task, method))
            # seedN names, shorter first: seed2 sorts before seed10
            for seed_dir in sorted(seed_dirs, key=lambda d: (len(d), d)):
                path = os.path.join(root, side, task, method, seed_dir, "results.json")
                if keep is not None and seed_dir.removeprefix("seed") not in keep:
                    continue
                if os.path.exists(path):
                    with open(path) as f:
                        result = json.load(f)
                    if finished(result):
                        runs[seed_dir.removeprefix("seed")] = result
            if runs:
                rows[(task, method, side)] = runs


def scores(runs):
    return [100 * r["dev"]["main"] for r in runs.values()]


def fmt(runs):
    s = scores(runs)
    spread = f"{statistics.stdev(s):.2f}" if len(s) > 1 else "–"
    first = next(iter(runs.values()))
    params = first.get("adapter_parameters") or first["trainable_parameters"]
    rate = statistics.mean(r["examples_per_second"] for r in runs.values())
    mem = max(r.get("peak_memory_mib", 0) for r in runs.values())
    return (f"{statistics.mean(s):.2f} ± {spread} | {','.join(runs)} | {params:,} | {rate:.1f} | "
            f"{mem:.0f}")


print("| task | method | side | dev main ×100, mean ± std | seeds | params | ex/s | peak MiB |")
print("|---|---|---|---|---|---:|---:|---:|")
for (task, method, side), runs in sorted(rows.items()):
    print(f"| {task} | {method} | {side} | {fmt(runs)} |")

pairs = [(t, m) for (t, m, s) in sorted(rows) if s == "tinytune" and (t, m, "torch") in rows]
if pairs:
    print()
    print("| task | method | seeds on both sides | tinytune − PyTorch (points) | its standard error | ex/s ratio tinytune / PyTorch |")
    print("|---|---|---|---:|---:|---:|")
    for task, method in pairs:
        # Only the seeds both sides ran: a seed one side lacks would tilt the difference.
        both = [seed for seed in rows[(task, method, "tinytune")] if seed in rows[(task, method, "torch")]]
        if not both:
            continue
        ours = {seed: rows[(task, method, "tinytune")][seed] for seed in both}
        theirs = {seed: rows[(task, method, "torch")][seed] for seed in both}
        a, b = scores(ours), scores(theirs)
        diff = statistics.mean(a) - statistics.mean(b)
        se = ((statistics.variance(a) / len(a) + statistics.variance(b) / len(b)) ** 0.5
              if len(a) > 1 and len(b) > 1 else None)
        ratio = (statistics.mean(r["examples_per_second"] for r in ours.values())
                 / statistics.mean(r["examples_per_second"] for r in theirs.values()))
        print(f"| {task} | {method} | {','.join(both)} | {diff:+.2f} | {f'{se:.2f}' if se is not None else '–'} | {ratio:.2f} |")

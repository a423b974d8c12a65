#!/usr/bin/env python3
"""Compares two sets of train_glue runs (scripts/fixture_runs.sh) run for run: the losses and
grad norms in metrics.jsonl, the dev metrics and counts in results.json, and every tensor and
integer of checkpoint.h5 and best.h5. Timings, memory and paths are left out (they differ
between any two runs). Exact by default; --rtol allows a relative difference (a refactor that
reorders a floating-point sum). Needs h5py and numpy.

  scripts/compare_runs.py BEFORE_DIR AFTER_DIR [--runs full,lora,qgoft] [--rtol R] [--ignore K,..]
--ignore leaves out checkpoint entries by name, e.g. @tinytune_checkpoint_version when the two
builds write different format versions.
Exit 0 when every run matches, 1 otherwise."""
import argparse
import json
import os
import sys

import h5py
import numpy as np

# Fields that measure the machine or name the run's own directories.
VOLATILE = {"examples_per_second", "train_seconds", "peak_memory_mib", "peak_device_memory_mib",
            "model", "data_dir", "model_dir", "output_dir"}


def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def close(a, b, rtol):
    if isinstance(a, float) or isinstance(b, float):
        return a == b or (rtol > 0 and abs(a - b) <= rtol * max(abs(a), abs(b)))
    return a == b


def diff_json(a, b, rtol, where, out):
    """Appends a line per leaf that differs."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{where}.{k}: only on one side")
            else:
                diff_json(a[k], b[k], rtol, f"{where}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff_json(x, y, rtol, f"{where}[{i}]", out)
    elif not close(a, b, rtol):
        out.append(f"{where}: {a!r} vs {b!r}")


def read_metrics(path):
    with open(path) as f:
        return [strip(json.loads(line)) for line in f if line.strip()]


def read_h5(path):
    entries = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            entries[name] = obj[()]
        for key, value in obj.attrs.items():
            entries[f"{name}@{key}"] = value

    with h5py.File(path, "r") as f:
        for key, value in f.attrs.items():
            entries[f"@{key}"] = value
        f.visititems(visit)
    return entries


IGNORED_ENTRIES = set()  # --ignore


def diff_h5(a_path, b_path, rtol, out):
    """Returns (tensors compared, largest relative difference)."""
    a, b = read_h5(a_path), read_h5(b_path)
    for k in IGNORED_ENTRIES:
        a.pop(k, None), b.pop(k, None)
    name = os.path.basename(a_path)
    for k in sorted(set(a) ^ set(b)):
        out.append(f"{name}:{k}: only on one side")
    tensors, worst = 0, 0.0
    for k in sorted(set(a) & set(b)):
        x, y = a[k], b[k]
        if isinstance(x, (bytes, str)) or (isinstance(x, np.ndarray) and x.dtype.kind in "SOU"):
            if "config" in k:  # the stored config names the run's directories
                x, y = strip(json.loads(x)), strip(json.loads(y))
            if x != y if not isinstance(x, np.ndarray) else not np.array_equal(x, y):
                out.append(f"{name}:{k}: differs")
            continue
        x, y = np.asarray(x), np.asarray(y)
        if x.shape != y.shape:
            out.append(f"{name}:{k}: shape {x.shape} vs {y.shape}")
            continue
        tensors += 1
        if np.array_equal(x, y):
            continue
        scale = np.maximum(np.abs(x), np.abs(y)).astype(np.float64)
        rel = float(np.max(np.abs(x.astype(np.float64) - y) / np.where(scale > 0, scale, 1)))
        worst = max(worst, rel)
        if rel > rtol:
            out.append(f"{name}:{k}: max relative difference {rel:.3g}")
    return tensors, worst


def compare_run(before, after, rtol):
    problems = []
    ma, mb = read_metrics(f"{before}/metrics.jsonl"), read_metrics(f"{after}/metrics.jsonl")
    if len(ma) != len(mb):
        problems.append(f"metrics.jsonl: {len(ma)} vs {len(mb)} lines")
    else:
        diff_json(ma, mb, rtol, "metrics.jsonl", problems)
    with open(f"{before}/results.json") as fa, open(f"{after}/results.json") as fb:
        diff_json(strip(json.load(fa)), strip(json.load(fb)), rtol, "results.json", problems)
    tensors, worst = 0, 0.0
    for h5 in ("checkpoint.h5", "best.h5"):
        n, w = diff_h5(f"{before}/{h5}", f"{after}/{h5}", rtol, problems)
        tensors, worst = tensors + n, max(worst, w)
    losses = sum(1 for line in ma if "loss" in line)
    return problems, f"{losses} logged losses, {tensors} checkpoint tensors", worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--runs", default="full,lora,qgoft")
    parser.add_argument("--rtol", type=float, default=0.0)
    parser.add_argument("--ignore", default="", help="checkpoint entries to leave out, comma-separated")
    args = parser.parse_args()
    IGNORED_ENTRIES.update(k for k in args.ignore.split(",") if k)
    failed = False
    for run in args.runs.split(","):
        before, after = f"{args.before}/{run}", f"{args.after}/{run}"
        problems, summary, worst = compare_run(before, after, args.rtol)
        inexact, _, _ = compare_run(before, after, 0.0) if args.rtol > 0 else (problems, "", 0)
        if not inexact:
            verdict = "bit-identical"
        elif not problems:
            verdict = (f"within rtol {args.rtol:g}: {len(inexact)} values differ, largest tensor "
                       f"difference {worst:.3g} relative")
        else:
            verdict = "DIFFER"
        print(f"{run}: {verdict} ({summary})")
        for p in (problems or inexact)[:20]:
            print(f"  {p}")
        failed |= bool(problems)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

"""Medians of benchmarks/speed_side_by_side.sh's runs: tinytune against PyTorch, per row.

    python3 benchmarks/speed_summary.py OUT_DIR
"""
import glob
import json
import os
import statistics
import sys


def values(out, pattern, key):
    found = []
    for path in sorted(glob.glob(os.path.join(out, pattern))):
        with open(path) as f:
            found.append(float(json.load(f)[key]))
    return found


def row(name, out, tt_pattern, pt_pattern, key, unit):
    tt, pt = values(out, tt_pattern, key), values(out, pt_pattern, key)
    if not tt or not pt:
        return f"| {name} | (missing) | | |"
    ratio = statistics.median(tt) / statistics.median(pt)
    fmt = lambda v: ", ".join(f"{x:.1f}" for x in v)
    return f"| {name} ({unit}) | {fmt(tt)} | {fmt(pt)} | **{ratio:.2f}** |"


def main(out):
    print("| row | tinytune, per round | PyTorch, per round | tinytune / PyTorch (medians) |")
    print("|---|---|---|---:|")
    print(row("inference, SST-2 dev", out, "infer-tinytune-*.json", "infer-torch-*.json",
              "sentences_per_second", "sentences/s"))
    for method in ("lora", "full"):
        for key, unit in (("examples_per_second", "examples/s"), ("peak_memory_mib", "peak RSS MiB")):
            print(row(f"training, SST-2 {method}", out, f"train-tinytune-{method}-*.json",
                      f"train-torch-{method}-*.json", key, unit))


if __name__ == "__main__":
    main(sys.argv[1])

"""Table and plot of the LoRA initialisation study (benchmarks/glue/lora_init_sweep.sh): per task,
init and learning rate, the dev main metric (×100) as mean ± std over seeds; writes
<root>/lora_init.svg (one panel per task, metric against log10 lr, one line per init through
the seed means, ±1 std bars) and prints a Markdown table with each init's best lr.

    python3 benchmarks/glue/lora_init_report.py [runs/lora_init]
"""
import json
import math
import os
import statistics
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "runs/lora_init"
if not os.path.isdir(root):
    sys.exit(f"lora_init_report.py: {root} not found (run benchmarks/glue/lora_init_sweep.sh first)")
data = {}  # task -> init -> lr -> [scores]
for task in sorted(os.listdir(root)):
    if not os.path.isdir(os.path.join(root, task)):  # the plot this script wrote last time
        continue
    for init in sorted(os.listdir(os.path.join(root, task))):
        for lr_dir in os.listdir(os.path.join(root, task, init)):
            lr = float(lr_dir[2:])
            for seed_dir in os.listdir(os.path.join(root, task, init, lr_dir)):
                path = os.path.join(root, task, init, lr_dir, seed_dir, "results.json")
                if os.path.exists(path):
                    with open(path) as f:
                        score = 100 * json.load(f)["dev"]["main"]
                    data.setdefault(task, {}).setdefault(init, {}).setdefault(lr, []).append(score)

# One column per lr of any task, so that every row lines up under the header ("—": not run).
all_lrs = sorted({lr for t in data.values() for i in t.values() for lr in i})
print("| task | init | " + " | ".join(f"lr {lr:g}" for lr in all_lrs) + " | best lr |")
print("|---|---|" + "---:|" * (len(all_lrs) + 1))
for task, inits in data.items():
    for init, by_lr in sorted(inits.items()):
        cells = []
        for lr in all_lrs:
            s = by_lr.get(lr, [])
            cells.append(f"{statistics.mean(s):.1f} ± {statistics.stdev(s):.1f}" if len(s) > 1
                         else (f"{s[0]:.1f}" if s else "—"))
        best = max(by_lr, key=lambda lr: statistics.mean(by_lr[lr]))
        print(f"| {task} | {init} | " + " | ".join(cells) + f" | {best:g} |")



def spread(s):
    """The std over seeds; 0 for one seed (no bar)."""
    return statistics.stdev(s) if len(s) > 1 else 0.0


# SVG: one panel per task; a line per init through the seed means, a bar of ±1 std where a
# point has more than one seed, each lr of the grid marked on the x axis.
W, H, M = 360, 260, 45
colors = {"a": "#1f77b4", "b": "#d62728"}
panels = []
for k, (task, inits) in enumerate(data.items()):
    lrs = sorted({lr for i in inits.values() for lr in i})
    x0, x1 = math.log10(lrs[0]), math.log10(lrs[-1])
    y0 = min(statistics.mean(s) - spread(s) for i in inits.values() for s in i.values())
    y1 = max(statistics.mean(s) + spread(s) for i in inits.values() for s in i.values())
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1
    sx = lambda x: k * W + M + (x - x0) / (x1 - x0) * (W - 2 * M)
    sy = lambda y: H - M + (y0 - y) / (y1 - y0) * (H - 2 * M)
    seeds = max(len(s) for i in inits.values() for s in i.values())
    g = [f'<text x="{k * W + W / 2}" y="20" text-anchor="middle">{task}: dev score vs lr '
         f'(up to {seeds} seed{"s" if seeds > 1 else ""})</text>',
         f'<line x1="{k * W + M}" y1="{H - M}" x2="{k * W + W - M}" y2="{H - M}" stroke="black"/>',
         f'<line x1="{k * W + M}" y1="{M}" x2="{k * W + M}" y2="{H - M}" stroke="black"/>',
         f'<text x="{k * W + W / 2}" y="{H - 8}" font-size="10" text-anchor="middle">learning rate (log scale)</text>',
         f'<text x="{k * W + M - 4}" y="{M}" font-size="10" text-anchor="end">{y1:.1f}</text>',
         f'<text x="{k * W + M - 4}" y="{H - M}" font-size="10" text-anchor="end">{y0:.1f}</text>']
    for lr in lrs:
        x = sx(math.log10(lr))
        g.append(f'<line x1="{x:.1f}" y1="{H - M}" x2="{x:.1f}" y2="{H - M + 4}" stroke="black"/>')
        g.append(f'<text x="{x:.1f}" y="{H - M + 15}" font-size="10" text-anchor="middle">{lr:g}</text>')
    for init, by_lr in sorted(inits.items()):
        color = colors.get(init, "gray")
        points = [(sx(math.log10(lr)), statistics.mean(s), spread(s)) for lr, s in sorted(by_lr.items())]
        line = " ".join(f"{x:.1f},{sy(m):.1f}" for x, m, _ in points)
        g.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{line}"/>')
        for x, m, sd in points:
            g.append(f'<circle cx="{x:.1f}" cy="{sy(m):.1f}" r="3" fill="{color}"/>')
            if sd > 0:
                g.append(f'<line x1="{x:.1f}" y1="{sy(m - sd):.1f}" x2="{x:.1f}" y2="{sy(m + sd):.1f}" '
                         f'stroke="{color}"/>')
        g.append(f'<text x="{k * W + W - M - (0 if init == "b" else 50)}" y="{M - 8}" fill="{color}" '
                 f'text-anchor="end" font-size="11">init {init}</text>')  # the legend, above the axes
    panels.append("\n".join(g))
svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W * max(1, len(panels))}" height="{H}" '
       f'font-family="sans-serif" font-size="12">\n' + "\n".join(panels) + "\n</svg>\n")
with open(os.path.join(root, "lora_init.svg") + ".tmp", "w") as f:
    f.write(svg)
os.replace(os.path.join(root, "lora_init.svg") + ".tmp", os.path.join(root, "lora_init.svg"))
print(f"\nplot: {os.path.join(root, 'lora_init.svg')}")

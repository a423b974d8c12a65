"""Table and plot of the LoRA initialisation study (benchmarks/glue/lora_init_sweep.sh): per task,
init and learning rate, the dev main metric (×100) as mean ± std over seeds; writes
<root>/lora_init.svg (one panel per task, metric against log10 lr, one line per init) and prints
a Markdown table with each init's best lr.

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

print("| task | init | " + " | ".join(f"lr {lr:g}" for lr in sorted({lr for t in data.values() for i in t.values() for lr in i})) + " | best lr |")
for task, inits in data.items():
    lrs = sorted({lr for i in inits.values() for lr in i})
    if task == next(iter(data)):
        print("|---|---|" + "---:|" * (len(lrs) + 1))
    for init, by_lr in sorted(inits.items()):
        cells = []
        for lr in lrs:
            s = by_lr.get(lr, [])
            cells.append(f"{statistics.mean(s):.1f} ± {statistics.stdev(s):.1f}" if len(s) > 1
                         else (f"{s[0]:.1f}" if s else "—"))
        best = max(by_lr, key=lambda lr: statistics.mean(by_lr[lr]))
        print(f"| {task} | {init} | " + " | ".join(cells) + f" | {best:g} |")

# SVG: one panel per task.
W, H, M = 360, 260, 45
colors = {"a": "#1f77b4", "b": "#d62728"}
panels = []
for k, (task, inits) in enumerate(data.items()):
    pts = [(math.log10(lr), statistics.mean(s)) for i in inits.values() for lr, s in i.items()]
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1
    sx = lambda x: k * W + M + (x - x0) / (x1 - x0) * (W - 2 * M)
    sy = lambda y: H - M + (y0 - y) / (y1 - y0) * (H - 2 * M)
    g = [f'<text x="{k * W + W / 2}" y="20" text-anchor="middle">{task}: dev score vs lr</text>',
         f'<line x1="{k * W + M}" y1="{H - M}" x2="{k * W + W - M}" y2="{H - M}" stroke="black"/>',
         f'<line x1="{k * W + M}" y1="{M}" x2="{k * W + M}" y2="{H - M}" stroke="black"/>',
         f'<text x="{k * W + M}" y="{H - M + 15}" font-size="10">{10 ** x0:g}</text>',
         f'<text x="{k * W + W - M}" y="{H - M + 15}" font-size="10" text-anchor="end">{10 ** x1:g}</text>',
         f'<text x="{k * W + M - 4}" y="{M}" font-size="10" text-anchor="end">{y1:.1f}</text>',
         f'<text x="{k * W + M - 4}" y="{H - M}" font-size="10" text-anchor="end">{y0:.1f}</text>']
    for init, by_lr in sorted(inits.items()):
        line = " ".join(f"{sx(math.log10(lr)):.1f},{sy(statistics.mean(s)):.1f}" for lr, s in sorted(by_lr.items()))
        g.append(f'<polyline fill="none" stroke="{colors.get(init, "gray")}" stroke-width="2" points="{line}"/>')
        g.append(f'<text x="{k * W + W - M}" y="{M + (15 if init == "a" else 30)}" fill="{colors.get(init, "gray")}" '
                 f'text-anchor="end" font-size="11">init {init}</text>')
    panels.append("\n".join(g))
svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W * max(1, len(panels))}" height="{H}" '
       f'font-family="sans-serif" font-size="12">\n' + "\n".join(panels) + "\n</svg>\n")
with open(os.path.join(root, "lora_init.svg") + ".tmp", "w") as f:
    f.write(svg)
os.replace(os.path.join(root, "lora_init.svg") + ".tmp", os.path.join(root, "lora_init.svg"))
print(f"\nplot: {os.path.join(root, 'lora_init.svg')}")

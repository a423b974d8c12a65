"""PyTorch + transformers + HF PEFT reference for train_glue: the same recipe, written as a plain
loop so every setting is visible. AdamW (eps 1e-8, no decay on biases and LayerNorm weights),
linear schedule with warmup, clipping at 1.0, dynamic padding, evaluation every N steps.
Differences from tinytune that remain are the random draws: the shuffle order (torch.randperm
here; --order tinytune takes train_glue's), the init of the classifier and the adapters (--state-in
takes a train_glue checkpoint's) and the dropout masks (--masks tinytune). Evaluates at each
epoch's end (and every N steps with --eval-every), like train_glue; reports the best and the last
evaluation.

train_seconds and examples_per_second time the training steps alone: batch assembly, forward,
backward, clipping, AdamW, the schedule and the loss log line. Dev evaluations and state writes
(--state-every, --state-out) are kept out of the timed region wherever they happen, inside an
epoch or after the loop (step_timer.py; issue 37).

    /work/venv/bin/python benchmarks/reference/train_glue_torch.py --task sst2 --peft lora \
        --max-steps 1200 --eval-every 300 --threads 2        (needs torch, transformers, peft, scipy, sklearn)

To compare the two sides' training states, --state-in reads a tinytune checkpoint.h5 (its model/
tensors, Adam moments and step; h5py) and continues from it with this script's data order and
dropout; --stop-after N --state-out F writes this side's state in the same layout. Stopping after
2 steps and continuing gives the same losses and final state as 4 straight steps (checked with
dropout off), and --state-in of tinytune's final STS-B checkpoint evaluates to tinytune's own
dev numbers.

--masks tinytune (with --state-in of a train_glue checkpoint) also draws every dropout mask as
train_glue does (tinytune_dropout.py), so that with --order tinytune both sides compute the same
training run: from train_glue's STS-B seed-1 state after step 1, the per-step losses of the two
agree to 1e-7 relative at step 10 and 5e-6 at step 60 (float rounding, growing slowly).
--dropout-seed changes the masks alone, to compare outcomes over masks from one initialisation.
"""
import argparse
import resource
import csv
import json
import math
import os
import sys

import numpy as np
import torch
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import f1_score, matthews_corrcoef
from step_timer import StepTimer
from tinytune_order import seeded_permutation
from transformers import BertForSequenceClassification, BertTokenizerFast, get_linear_schedule_with_warmup

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# task: folder, header, text_a column, text_b column, label column, labels (None: regression)
TASKS = {
    "sst2": ("SST-2", True, 0, None, 1, ["0", "1"]),
    "cola": ("CoLA", False, 3, None, 1, ["0", "1"]),
    "mrpc": ("MRPC", True, 3, 4, 0, ["0", "1"]),
    "stsb": ("STS-B", True, 7, 8, 9, None),
    "rte": ("RTE", True, 1, 2, 3, ["entailment", "not_entailment"]),
    "qnli": ("QNLI", True, 1, 2, 3, ["entailment", "not_entailment"]),
}

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--task", default="sst2", choices=sorted(TASKS))
p.add_argument("--model", default=os.path.join(ROOT, "models/all-MiniLM-L6-v2"))
p.add_argument("--data-dir", default=os.path.join(ROOT, "data/glue"))
p.add_argument("--peft", default="lora", choices=["full", "lora", "c3a"])
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--max-steps", type=int, default=0)
p.add_argument("--batch-size", type=int, default=32)
p.add_argument("--eval-batch-size", type=int, default=64)
p.add_argument("--lr", type=float, default=0.0, help="0: 2e-5 full, 5e-4 lora, 1e-1 c3a (train_glue's defaults)")
p.add_argument("--head-lr", type=float, default=0.0, help="the classifier's lr; 0: the same as --lr")
p.add_argument("--dropout", type=float, default=-1.0,
               help="the model's hidden, attention and classifier dropout; < 0: config.json's (train_glue --dropout)")
p.add_argument("--weight-decay", type=float, default=0.0)
p.add_argument("--warmup-ratio", type=float, default=0.0)
p.add_argument("--max-seq-length", type=int, default=128)
p.add_argument("--max-grad-norm", type=float, default=1.0)
p.add_argument("--eval-every", type=int, default=0)
p.add_argument("--seed", type=int, default=42)
p.add_argument("--order", default="torch", choices=["torch", "tinytune"],
               help="the training order: torch.randperm per epoch, or train_glue's shuffle (tinytune_order.py)")
p.add_argument("--log-every", type=int, default=10, help="print the mean training loss (and gradient norm "
               "before clipping) of every N steps (0: never)")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
               help="where the model trains (cuda: the first GPU; peak memory is then the GPU's)")
p.add_argument("--lora-r", type=int, default=8)
p.add_argument("--lora-alpha", type=float, default=16)
p.add_argument("--lora-dropout", type=float, default=0.1)
p.add_argument("--target-modules", default="query,value")
p.add_argument("--lora-init", default="a", choices=["a", "b", "gaussian"],
               help="a: HF default (B = 0); b: A = 0, B ~ U(±1/sqrt(r)) (HF init False, A zeroed)")
p.add_argument("--c3a-block-size", type=int, default=128)
p.add_argument("--c3a-init", default="xavier_uniform")
p.add_argument("--output", default="", help="also write the JSON result to this file")
p.add_argument("--stop-after", type=int, default=0, help="stop after this step (the whole run's schedule kept)")
p.add_argument("--state-out", default="", help="at the end, write the trainable tensors and Adam's moments "
               "as a tinytune checkpoint's model/ and optimizer/ datasets (HDF5)")
p.add_argument("--state-every", type=int, default=0, help="also write the state every N steps, to "
               "--state-out's path with .step<N> before its extension")
p.add_argument("--state-in", default="", help="start from a tinytune checkpoint's (or --state-out's) "
               "trainable tensors, Adam moments and step (the order and masks as --order and --masks say)")
p.add_argument("--masks", default="torch", choices=["torch", "tinytune"],
               help="dropout masks: torch's own, or train_glue's (tinytune_dropout.py; needs a --state-in "
               "checkpoint of train_glue, whose rng/seed and rng/offset it continues; eager attention)")
p.add_argument("--dropout-seed", type=int, default=None, help="seed the dropout masks apart from --seed, "
               "for runs with --state-in (torch's generator, which without --state-in also draws the init; "
               "with --masks tinytune, in place of the checkpoint's rng/seed)")
args = p.parse_args()
if args.state_every and not args.state_out:
    p.error("--state-every needs --state-out (the path the states are written next to)")
if args.masks == "tinytune" and not args.state_in:
    p.error("--masks tinytune needs --state-in (a train_glue checkpoint.h5: its rng/seed and rng/offset)")
if args.device == "cuda" and (args.masks == "tinytune" or args.state_in or args.state_out):
    p.error("--masks tinytune, --state-in and --state-out run on --device cpu only")
if args.device == "cuda" and not torch.cuda.is_available():
    sys.exit("train_glue_torch.py: --device cuda: PyTorch sees no CUDA device")
if args.dropout >= 1:
    p.error(f"--dropout must be < 1 (< 0: the model's config.json), got {args.dropout}")

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed if args.dropout_seed is None else args.dropout_seed)
folder, header, col_a, col_b, col_y, labels = TASKS[args.task]


def read(split):
    with open(os.path.join(args.data_dir, folder, split + ".tsv"), encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1 if header else 0:]
    a = [r[col_a] for r in rows]
    b = [r[col_b] for r in rows] if col_b is not None else None
    y = [float(r[col_y]) for r in rows] if labels is None else [labels.index(r[col_y]) for r in rows]
    return a, b, y


tokenizer = BertTokenizerFast.from_pretrained(args.model)


def encode(split):
    a, b, y = read(split)
    enc = tokenizer(a, b, truncation="longest_first", max_length=args.max_seq_length)
    return enc, y


def batches(enc, y, order, size):
    for start in range(0, len(order), size):
        idx = order[start:start + size]
        feats = [{k: enc[k][i] for k in ("input_ids", "token_type_ids", "attention_mask")} for i in idx]
        batch = tokenizer.pad(feats, return_tensors="pt")
        batch["labels"] = torch.tensor([y[i] for i in idx],
                                       dtype=torch.float32 if labels is None else torch.long)
        yield batch.to(args.device)


train_enc, train_y = encode("train")
dev_enc, dev_y = encode("dev")
num_labels = 1 if labels is None else len(labels)
# eager attention: its dropout is torch.nn.functional.dropout, which --masks tinytune replaces
overrides = {"attn_implementation": "eager"} if args.masks == "tinytune" else {}
if args.dropout >= 0:
    overrides.update(hidden_dropout_prob=args.dropout, attention_probs_dropout_prob=args.dropout,
                     classifier_dropout=args.dropout)
model = BertForSequenceClassification.from_pretrained(args.model, num_labels=num_labels, **overrides)
if args.peft == "lora":
    from peft import LoraConfig, TaskType, get_peft_model
    init = {"a": True, "b": False, "gaussian": "gaussian"}[args.lora_init]
    model = get_peft_model(model, LoraConfig(
        task_type=TaskType.SEQ_CLS, r=args.lora_r, lora_alpha=args.lora_alpha,
        lora_dropout=args.lora_dropout, target_modules=args.target_modules.split(","),
        init_lora_weights=init))
    if args.lora_init == "b":  # HF's False draws both factors; Init[B] keeps B and zeroes A
        with torch.no_grad():
            for n, q in model.named_parameters():
                if "lora_A" in n:
                    q.zero_()
elif args.peft == "c3a":
    from peft import C3AConfig, TaskType, get_peft_model
    model = get_peft_model(model, C3AConfig(
        task_type=TaskType.SEQ_CLS, block_size=args.c3a_block_size,
        init_weights=args.c3a_init, target_modules=args.target_modules.split(",")))
model.to(args.device)
lr = args.lr or {"full": 2e-5, "lora": 5e-4, "c3a": 1e-1}[args.peft]
head_lr = args.head_lr or lr
named = [(n, q) for n, q in model.named_parameters() if q.requires_grad]
no_decay = lambda n: n.endswith("bias") or "LayerNorm.weight" in n
is_head = lambda n: "classifier" in n
optimizer = torch.optim.AdamW([
    {"params": [q for n, q in named if not no_decay(n) and not is_head(n)], "weight_decay": args.weight_decay},
    {"params": [q for n, q in named if no_decay(n) and not is_head(n)], "weight_decay": 0.0},
    {"params": [q for n, q in named if not no_decay(n) and is_head(n)], "weight_decay": args.weight_decay, "lr": head_lr},
    {"params": [q for n, q in named if no_decay(n) and is_head(n)], "weight_decay": 0.0, "lr": head_lr}],
    lr=lr, eps=1e-8)
steps_per_epoch = len(train_y) // args.batch_size + (len(train_y) % args.batch_size > 0)
total = args.max_steps or steps_per_epoch * args.epochs
schedule = get_linear_schedule_with_warmup(optimizer, math.ceil(args.warmup_ratio * total), total)


def evaluate():
    model.eval()
    preds = []
    with torch.no_grad():
        for batch in batches(dev_enc, dev_y, list(range(len(dev_y))), args.eval_batch_size):
            batch.pop("labels")
            logits = model(**batch).logits
            preds += logits.squeeze(-1).tolist() if labels is None else logits.argmax(-1).tolist()
    model.train()
    y = np.array(dev_y)
    pr = np.array(preds)
    if labels is None:
        m = {"pearson": pearsonr(pr, y)[0], "spearmanr": spearmanr(pr, y)[0]}
        m["main"] = 0.5 * (m["pearson"] + m["spearmanr"])
        return m
    m = {"accuracy": float((pr == y).mean())}
    if args.task == "cola":
        m["mcc"] = matthews_corrcoef(y, pr)
    if args.task == "mrpc":
        m["f1"] = f1_score(y, pr)
    if args.task == "cola":  # GLUE scores CoLA by MCC alone
        m["main"] = m["mcc"]
    else:  # the mean of the task's official metrics, as data/metrics.cpp computes "main"
        m["main"] = float(np.mean(list(m.values())))
    return m


MAIN = "main"


def peak_memory_mib():  # the process's peak RSS on the CPU; the allocator's peak on a GPU
    if args.device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# tinytune's names for the trainable tensors, in train_glue's moment order: AdamW's groups are
# (decayed, not decayed, head decayed, head not decayed), each in registration order.
def tinytune_name(n):
    return n.replace("base_model.model.", "").replace(".default", "").replace("modules_to_save.", "")


def moment_order():
    no_decay_name = lambda n: n.endswith("bias") or "LayerNorm.weight" in n
    groups = [[], [], [], []]
    for n, q in named:
        groups[2 * is_head(n) + no_decay_name(n)].append((tinytune_name(n), q))
    return [item for g in groups for item in g]


def write_state(path, step):
    import h5py
    with h5py.File(path, "w") as f:
        for i, (n, q) in enumerate(moment_order()):
            f["model/" + n] = q.detach().numpy()
            st = optimizer.state[q]
            f[f"optimizer/m/{i}"] = st["exp_avg"].numpy()
            f[f"optimizer/v/{i}"] = st["exp_avg_sq"].numpy()
        f.attrs["step"] = step


def read_state(path):
    import h5py

    def need(f, name, shape):  # a clear error for a file of another run, model or program
        if name not in f:
            sys.exit(f"--state-in: {path} has no {name} (expected a train_glue checkpoint of this --peft)")
        value = np.array(f[name])
        if value.shape != tuple(shape):
            sys.exit(f"--state-in: {path}: {name} has shape {value.shape}, this model needs {tuple(shape)}")
        return torch.from_numpy(value)

    with h5py.File(path, "r") as f:
        if "step" not in f.attrs:
            sys.exit(f"--state-in: {path} has no step attribute (expected a train_glue checkpoint)")
        step = int(f.attrs["step"])
        with torch.no_grad():
            for i, (n, q) in enumerate(moment_order()):
                q.copy_(need(f, "model/" + n, q.shape))
                optimizer.state[q] = {"step": torch.tensor(float(step)),
                                      "exp_avg": need(f, f"optimizer/m/{i}", q.shape),
                                      "exp_avg_sq": need(f, f"optimizer/v/{i}", q.shape)}
    return step


model.train()
step, examples, evals = 0, 0, []
# the mean loss (and gradient norm before clipping) of the last --log-every steps, as train_glue logs them
window_loss, window_grad_norm, window_steps = 0.0, 0.0, 0
if args.state_in:
    step = read_state(args.state_in)
    for _ in range(step):
        schedule.step()
if args.masks == "tinytune":
    import h5py
    from tinytune_dropout import use_tinytune_masks
    with h5py.File(args.state_in, "r") as f:
        if "rng/seed" not in f.attrs or "rng/offset" not in f.attrs:
            sys.exit(f"--masks tinytune: {args.state_in} has no rng/seed and rng/offset attributes "
                     "(expected a train_glue checkpoint.h5)")
        mask_seed = int(f.attrs["rng/seed"]) if args.dropout_seed is None else args.dropout_seed
        use_tinytune_masks(mask_seed, int(f.attrs["rng/offset"]))
timer = StepTimer(torch.cuda.synchronize if args.device == "cuda" else lambda: None)
timer.start()
epoch = step // steps_per_epoch
skip = step % steps_per_epoch
end = min(total, args.stop_after) if args.stop_after else total
while step < end:
    if args.order == "tinytune":
        order = seeded_permutation(len(train_y), args.seed, 2 * epoch)
    else:
        order = torch.randperm(len(train_y), generator=torch.Generator().manual_seed(args.seed * 1000 + epoch)).tolist()
    order = order[skip * args.batch_size:]
    skip = 0
    for batch in batches(train_enc, train_y, order, args.batch_size):
        out = model(**batch)
        out.loss.backward()
        window_loss, window_steps = window_loss + out.loss.item(), window_steps + 1
        if args.max_grad_norm > 0:
            window_grad_norm += torch.nn.utils.clip_grad_norm_([q for _, q in named], args.max_grad_norm).item()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        step += 1
        examples += batch["input_ids"].shape[0]
        if args.log_every and step % args.log_every == 0:
            line = {"step": step, "loss": window_loss / window_steps}
            if args.max_grad_norm > 0:
                line["grad_norm"] = window_grad_norm / window_steps
            print(json.dumps(line), flush=True)
            window_loss, window_grad_norm, window_steps = 0.0, 0.0, 0
        if args.state_every and args.state_out and step % args.state_every == 0:
            root, ext = os.path.splitext(args.state_out)
            timer.untimed(write_state, f"{root}.step{step}{ext}", step)
        if args.eval_every and step % args.eval_every == 0:
            evals.append({"step": step, **timer.untimed(evaluate)})
        if step >= end:
            break
    epoch += 1
    if not args.eval_every and (not evals or evals[-1]["step"] != step):
        evals.append({"step": step, **timer.untimed(evaluate)})
seconds = timer.seconds()
if args.state_out:
    write_state(args.state_out, step)
if not evals or evals[-1]["step"] != step:
    evals.append({"step": step, **evaluate()})
trainable = sum(q.numel() for _, q in named)
adapter = 0 if args.peft == "full" else sum(q.numel() for n, q in named if not is_head(n))
best = max(evals, key=lambda e: e[MAIN])
result = {"framework": f"torch {torch.__version__}", "task": args.task, "peft": args.peft,
          "seed": args.seed, "dropout": args.dropout, "steps": step, "evals": evals, "main_metric": MAIN,
          "dev": {k: v for k, v in best.items() if k != "step"}, "trainable_parameters": trainable,
          "adapter_parameters": adapter,
          "train_seconds": round(seconds, 1), "examples_per_second": round(examples / seconds, 1),
          "peak_memory_mib": round(peak_memory_mib(), 1), "device": args.device, "threads": args.threads}
print(json.dumps(result))
if args.output:
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output + ".tmp", "w") as f:
        json.dump(result, f, indent=2)
    os.replace(args.output + ".tmp", args.output)

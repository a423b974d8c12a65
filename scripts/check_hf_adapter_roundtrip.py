"""Adapters travel both ways between tinytune and HF PEFT, with the same logits.

For LoRA and C3A (HF PEFT's own types), on the tiny HF BERT fixture (tests/fixtures/tiny_bert with the small vocab)
and a small synthetic SST-2-format task:
  1. tinytune -> HF: `train_glue --peft <family>` trains a few steps and saves its best adapter
     (<output-dir>/adapter); HF loads it with PeftModel.from_pretrained on the same base model;
     the logits of both on the fixture's padded batch (tests/fixtures/tiny_bert_expected) are
     compared — tinytune's through `eval_adapter --inputs ... --logits-out ...`, unmerged and
     merged (--merge), HF's unmerged and after merge_and_unload().
  2. HF -> tinytune: HF PEFT trains the adapter a few AdamW steps (so no factor is zero) and
     save_pretrained()s it; eval_adapter loads it; the logits are compared the same way.
And CondLoRA (no HF type): train_glue --peft condlora, then `eval_adapter --export-lora` writes
the exact LoRA form, which HF loads; HF's logits must equal tinytune's CondLoRA logits.
Prints max |diff| per case and exits 1 if any exceeds the tolerance (1e-5) or if an adapter
is a no-op (zeroing its lora_B / c3a_kernel leaves the logits unchanged, which would make the
comparison empty).

    /work/venv/bin/python scripts/check_hf_adapter_roundtrip.py [--bin build/bin]
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

import torch
from peft import C3AConfig, LoraConfig, PeftModel, get_peft_model
from safetensors.torch import load_file
from transformers import BertForSequenceClassification
from transformers.utils import logging as hf_logging

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
TOLERANCE = 1e-5
NUM_LABELS = 2  # SST-2

# Per family: train_glue's flags, and the HF config of direction 2.
FAMILIES = {
    "lora": (["--lora-r", "4", "--lora-alpha", "8", "--lora-dropout", "0", "--lr", "5e-2"],
             lambda: LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, lora_dropout=0.0,
                                target_modules=["query", "value"])),
    "c3a": (["--c3a-block-size", "16", "--lr", "1e-1"],
            lambda: C3AConfig(task_type="SEQ_CLS", block_size=16, target_modules=["query", "value"])),
}


def make_workspace(tmp):
    """The model directory (tiny BERT + small vocab) and an SST-2-format task, as
    tests/cli/train_glue_cli.sh builds them."""
    model = os.path.join(tmp, "model")
    os.makedirs(model)
    for f in ("config.json", "model.safetensors"):
        shutil.copy(os.path.join(FIXTURES, "tiny_bert", f), model)
    shutil.copy(os.path.join(FIXTURES, "vocab_small.txt"), os.path.join(model, "vocab.txt"))
    task = os.path.join(tmp, "glue", "SST-2")
    os.makedirs(task)
    rng = random.Random(0)
    words = ["the", "movie", "is", "very", "a", "city", "day", "we", "play", "run"]
    for name, rows in (("train.tsv", 96), ("dev.tsv", 32)):
        with open(os.path.join(task, name), "w") as out:
            out.write("sentence\tlabel\n")
            for i in range(rows):
                words_i = " ".join(rng.choice(words) for _ in range(4))
                out.write(f"{words_i} {'good' if i % 2 else 'bad'}\t{i % 2}\n")
    return model, os.path.join(tmp, "glue")


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{result.stdout}{result.stderr}")
    return result


def hf_base(model_dir):
    hf_logging.set_verbosity_error()  # the 3-label fixture head is replaced: expected noise
    return BertForSequenceClassification.from_pretrained(
        model_dir, num_labels=NUM_LABELS, ignore_mismatched_sizes=True,
        attn_implementation="eager").eval()


def hf_logits(model, batch):
    with torch.no_grad():
        return model(**{k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}).logits


def tinytune_logits(bin_dir, model_dir, adapter_dir, out, merge):
    inputs = os.path.join(FIXTURES, "tiny_bert_expected.safetensors")
    cmd = [os.path.join(bin_dir, "eval_adapter"), "--task", "sst2", "--model", model_dir,
           "--adapter", adapter_dir, "--inputs", inputs, "--logits-out", out, "--threads", "2"]
    run(cmd + (["--merge"] if merge else []))
    return load_file(out)["logits"]


def encoder_effect(model, batch):
    """How far the encoder adapters move the logits: max |logits - logits with lora_B and
    c3a_kernel zeroed| (same head). Near zero would make the comparison vacuous."""
    with_adapter = hf_logits(model, batch)
    saved = {}
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name or "c3a_kernel" in name:
                saved[name] = p.clone()
                p.zero_()
        without = hf_logits(model, batch)
        for name, p in model.named_parameters():
            if name in saved:
                p.copy_(saved[name])
    assert saved, "no adapter tensors found"
    return (with_adapter - without).abs().max().item()


def hf_train(model, batch, lr, steps=5):
    """A few AdamW steps of HF PEFT on the fixture batch with fixed labels: every factor moves."""
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr)
    labels = torch.tensor([0, 1, 1])
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(
            model(**{k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}).logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"),
                        help="directory with train_glue and eval_adapter")
    args = parser.parse_args()
    torch.manual_seed(0)
    batch = load_file(os.path.join(FIXTURES, "tiny_bert_expected.safetensors"))
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        model_dir, data_dir = make_workspace(tmp)

        def compare(case, ours, theirs, moved):
            nonlocal failures
            diff = (ours - theirs).abs().max().item()
            ok = diff <= TOLERANCE and moved > 1e-3
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {case:40s} max|diff| {diff:.3e}"
                  f"  (the encoder adapters move the logits by {moved:.3e})")

        for family, (flags, hf_config) in FAMILIES.items():
            # 1. tinytune -> HF
            out_dir = os.path.join(tmp, f"run-{family}")
            run([os.path.join(args.bin, "train_glue"), "--task", "sst2", "--model", model_dir,
                 "--data-dir", data_dir, "--output-dir", out_dir, "--peft", family,
                 "--max-steps", "24", "--batch-size", "8", "--eval-every", "12", "--threads", "2"]
                + flags)
            adapter = os.path.join(out_dir, "adapter")
            ours = tinytune_logits(args.bin, model_dir, adapter, os.path.join(tmp, "tt.safetensors"), False)
            ours_merged = tinytune_logits(args.bin, model_dir, adapter, os.path.join(tmp, "ttm.safetensors"), True)
            hf = PeftModel.from_pretrained(hf_base(model_dir), adapter).eval()
            theirs, moved = hf_logits(hf, batch), encoder_effect(hf, batch)
            compare(f"{family}: tinytune-trained, HF loads", ours, theirs, moved)
            compare(f"{family}: tinytune-trained, both merged", ours_merged,
                    hf_logits(hf.merge_and_unload(), batch), moved)

            # 2. HF -> tinytune
            hf = get_peft_model(hf_base(model_dir), hf_config())
            hf_train(hf, batch, lr=1e-2 if family == "lora" else 1e-1)
            hf_dir = os.path.join(tmp, f"hf-{family}")
            hf.save_pretrained(hf_dir)
            theirs, moved = hf_logits(hf, batch), encoder_effect(hf, batch)
            ours = tinytune_logits(args.bin, model_dir, hf_dir, os.path.join(tmp, "tt.safetensors"), False)
            ours_merged = tinytune_logits(args.bin, model_dir, hf_dir, os.path.join(tmp, "ttm.safetensors"), True)
            compare(f"{family}: HF-trained, tinytune loads", ours, theirs, moved)
            compare(f"{family}: HF-trained, tinytune merged", ours_merged, theirs, moved)
        # 3. CondLoRA has no HF type: its exact LoRA export (eval_adapter --export-lora) is what
        # HF loads; it must reproduce tinytune's CondLoRA logits.
        out_dir = os.path.join(tmp, "run-condlora")
        run([os.path.join(args.bin, "train_glue"), "--task", "sst2", "--model", model_dir,
             "--data-dir", data_dir, "--output-dir", out_dir, "--peft", "condlora",
             "--max-steps", "24", "--batch-size", "8", "--eval-every", "12", "--threads", "2",
             "--lora-r", "4", "--lora-alpha", "8", "--lora-dropout", "0", "--lr", "5e-2"])
        as_lora = os.path.join(tmp, "condlora-as-lora")
        run([os.path.join(args.bin, "eval_adapter"), "--task", "sst2", "--model", model_dir,
             "--adapter", os.path.join(out_dir, "adapter"), "--export-lora", as_lora,
             "--inputs", os.path.join(FIXTURES, "tiny_bert_expected.safetensors"),
             "--logits-out", os.path.join(tmp, "tt.safetensors"), "--threads", "2"])
        ours = load_file(os.path.join(tmp, "tt.safetensors"))["logits"]
        hf = PeftModel.from_pretrained(hf_base(model_dir), as_lora).eval()
        compare("condlora: LoRA export, HF loads", ours, hf_logits(hf, batch),
                encoder_effect(hf, batch))
    print("all agree" if failures == 0 else f"{failures} case(s) FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Records what Hugging Face itself computes with models tinytune exported, for the round trip
test (ctest cli.export, tests/cli/export_cli.sh).

For every family (lora, condlora, c3a, goft, qgoft, and full fine-tuning) this runs
tests/cli/tiny_export.sh with the given build (train_glue on the tiny BERT fixture, then
export_model), loads the exported directory with AutoModelForSequenceClassification and
AutoTokenizer (no tinytune, no PEFT), checks that HF found every weight and no stray one, and
computes the logits of fixed inputs. Writes, small enough to commit:
  tests/fixtures/export/inputs.safetensors     input_ids, token_type_ids, attention_mask (i64 [4, 12])
  tests/fixtures/export/hf_logits.safetensors  one f32 [4, 2] tensor per family

Run: /work/venv/bin/python tests/reference/make_export_fixtures.py BUILD_DIR/bin
"""
import os
import subprocess
import sys
import tempfile

import torch
from safetensors.torch import save_file
from transformers import AutoModelForSequenceClassification, AutoTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(FIXTURES, "export")
FAMILIES = ["lora", "condlora", "c3a", "goft", "qgoft", "full"]


def fixed_inputs():
    """Four sequences of the tiny vocabulary: two single sentences, two pairs, with padding."""
    g = torch.Generator().manual_seed(0)
    batch, length, cls, sep = 4, 12, 2, 3
    lengths = [12, 9, 7, 5]
    ids = torch.zeros(batch, length, dtype=torch.int64)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for row, n in enumerate(lengths):
        words = torch.randint(5, 160, (n,), generator=g)  # vocab_small.txt's word pieces
        words[0], words[n - 1] = cls, sep
        if row % 2 == 1:  # a pair: [CLS] a [SEP] b [SEP]
            words[n // 2] = sep
            types[row, n // 2 + 1:n] = 1
        ids[row, :n] = words
        mask[row, :n] = 1
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


def check_vocab_ids():
    with open(os.path.join(FIXTURES, "vocab_small.txt"), encoding="utf-8") as f:
        vocab = f.read().splitlines()
    assert vocab[:4] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] and len(vocab) == 160, vocab[:5]


def hf_logits(model_dir, inputs):
    model, info = AutoModelForSequenceClassification.from_pretrained(model_dir, output_loading_info=True)
    stray = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    assert not stray, f"{model_dir}: HF loading reports {stray}"
    assert model.config.id2label == {0: "0", 1: "1"}, model.config.id2label
    AutoTokenizer.from_pretrained(model_dir)  # the tokenizer files load too
    model.eval()
    with torch.no_grad():
        return model(**inputs).logits.float().contiguous()


def main():
    bin_dir = os.path.abspath(sys.argv[1])
    check_vocab_ids()
    os.makedirs(OUT, exist_ok=True)
    inputs = fixed_inputs()
    save_file(inputs, os.path.join(OUT, "inputs.safetensors"))
    logits = {}
    with tempfile.TemporaryDirectory() as work:
        for family in FAMILIES:
            subprocess.run(["bash", os.path.join(ROOT, "tests", "cli", "tiny_export.sh"), bin_dir,
                            FIXTURES, family, work], check=True)
            logits[family] = hf_logits(os.path.join(work, f"{family}-export"), inputs)
            print(family, logits[family].tolist())
    save_file(logits, os.path.join(OUT, "hf_logits.safetensors"))


if __name__ == "__main__":
    main()

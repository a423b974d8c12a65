"""Writes HF PEFT adapters of several configurations on the tiny HF BERT fixture, and HF's logits
for each, so tinytune is held to read every one as HF does (tests/peft/test_hf_adapter_configs.cpp).

Configurations: LoRA at ranks 2 and 4, with and without rsLoRA, on different targets, on
overlapping targets ("output.dense" also names every "attention.output.dense"; "dense" names
all four kinds of dense layer) and C3A at two block sizes. HF initialises lora_B (and C3A's
kernel) so that the adapter starts as a no-op; here they are randomised (seeded) so the logits
depend on every tensor. HF writes target_modules from a set, in an order that varies between
saves: the test rewrites each adapter's list in every order and expects the same model.

    /work/venv/bin/python tests/reference/make_hf_adapter_configs.py   (needs torch, transformers, peft)

Outputs (committed, ~110 KB): tests/fixtures/hf_adapters/<name>/{adapter_config.json,
adapter_model.safetensors} and tests/fixtures/hf_adapters/expected.safetensors holding the
inputs (input_ids, token_type_ids, attention_mask, from tiny_bert_expected.safetensors) and
"logits.<name>" for each configuration (eval mode, dropout off).
"""
import json
import os
import shutil

import peft
import torch
from peft import C3AConfig, LoraConfig, get_peft_model
from safetensors.torch import load_file, save_file
from transformers import BertForSequenceClassification

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIXTURES = os.path.join("tests", "fixtures")
OUT = os.path.join(FIXTURES, "hf_adapters")

CONFIGS = {
    "lora_r2_qv": LoraConfig(task_type="SEQ_CLS", r=2, lora_alpha=4, lora_dropout=0.0,
                             target_modules=["query", "value"]),
    "lora_r4_rslora_qkv": LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, lora_dropout=0.0,
                                     use_rslora=True, target_modules=["query", "key", "value"]),
    "lora_r4_overlap": LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=16, lora_dropout=0.0,
                                  target_modules=["output.dense", "attention.output.dense",
                                                  "query"]),
    "lora_r2_dense": LoraConfig(task_type="SEQ_CLS", r=2, lora_alpha=2, lora_dropout=0.0,
                                target_modules=["dense", "intermediate.dense"]),
    "c3a_b16_overlap": C3AConfig(task_type="SEQ_CLS", block_size=16,
                                 target_modules=["output.dense", "attention.output.dense", "value"]),
    "c3a_b32_qv": C3AConfig(task_type="SEQ_CLS", block_size=32, target_modules=["query", "value"]),
}


def randomise(model, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name or "c3a_kernel" in name:
                p.copy_(0.3 * torch.randn(p.shape, generator=gen, dtype=p.dtype))


shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
batch = load_file(os.path.join(FIXTURES, "tiny_bert_expected.safetensors"))
inputs = {k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
expected = dict(inputs)
for seed, (name, config) in enumerate(CONFIGS.items(), 1):
    torch.manual_seed(seed)
    base = BertForSequenceClassification.from_pretrained(os.path.join(FIXTURES, "tiny_bert"),
                                                         attn_implementation="eager")
    model = get_peft_model(base, config)
    randomise(model, seed)
    model.eval()
    with torch.no_grad():
        expected["logits." + name] = model(**inputs).logits.contiguous()
    src = os.path.join(OUT, name)
    model.save_pretrained(src)
    readme = os.path.join(src, "README.md")
    if os.path.exists(readme):
        os.remove(readme)
save_file(expected, os.path.join(OUT, "expected.safetensors"))
for root, _, files in os.walk(OUT):
    for f in files:
        os.chmod(os.path.join(root, f), 0o644)
print("peft", peft.__version__, "adapters", sorted(os.listdir(OUT)))

"""Writes the HF PEFT LoRA agreement fixture: HF PEFT's LoRA (r=4, lora_alpha=8, dropout 0,
target query and value, task SEQ_CLS so the classifier is a module to save) on the tiny HF BERT
fixture (make_tiny_bert.py), with lora_B randomised (seeded; HF initialises it to zero, which
would make the adapter a no-op and its lora_A gradients zero), then on the fixture's padded
batch: the logits, the cross-entropy loss against labels [0, 2, 1], and the gradient of every
lora_A, lora_B and classifier tensor. Dropout is off (eval mode).

    /work/venv/bin/python tests/reference/make_lora_fixture.py   (needs torch, transformers, peft)

Outputs (committed, ~30 KB):
    tests/fixtures/hf_lora_adapter/      the adapter as HF's save_pretrained writes it
                                         (adapter_config.json, adapter_model.safetensors; the
                                         generated model card README.md is dropped)
    tests/fixtures/hf_lora_expected.safetensors
        input_ids, token_type_ids, attention_mask, labels, logits, loss,
        grad.<tinytune parameter name>  e.g. grad.bert.encoder.layer.0.attention.self.query.lora_A.weight,
                                        grad.classifier.weight
"""
import os

import peft
import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file, save_file
from transformers import BertForSequenceClassification

# Relative paths from the repository root, so the committed adapter_config.json records
# base_model_name_or_path "tests/fixtures/tiny_bert" rather than this machine's path.
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIXTURES = os.path.join("tests", "fixtures")
ADAPTER_DIR = os.path.join(FIXTURES, "hf_lora_adapter")
PREFIX = "base_model.model."


def tinytune_name(hf_name):
    """HF's in-memory name -> the name tinytune (and HF's saved file, minus the prefix) uses."""
    name = hf_name[len(PREFIX):] if hf_name.startswith(PREFIX) else hf_name
    return name.replace(".default.", ".").replace("modules_to_save.", "")


torch.manual_seed(0)
batch = load_file(os.path.join(FIXTURES, "tiny_bert_expected.safetensors"))
inputs = {k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")}
labels = torch.tensor([0, 2, 1])

base = BertForSequenceClassification.from_pretrained(os.path.join(FIXTURES, "tiny_bert"),
                                                     attn_implementation="eager")
config = LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, lora_dropout=0.0,
                    target_modules=["query", "value"])
model = get_peft_model(base, config)
with torch.no_grad():
    for name, p in model.named_parameters():
        if "lora_B" in name:
            p.copy_(0.3 * torch.randn_like(p))
model.eval()

logits = model(**inputs).logits
loss = torch.nn.functional.cross_entropy(logits, labels)
loss.backward()

out = dict(inputs)
out["labels"] = labels
out["logits"] = logits.detach().contiguous()
out["loss"] = loss.detach().reshape(1)
for name, p in model.named_parameters():
    if p.requires_grad:
        assert p.grad is not None, name
        out["grad." + tinytune_name(name)] = p.grad.contiguous()
save_file(out, os.path.join(FIXTURES, "hf_lora_expected.safetensors"))

model.save_pretrained(ADAPTER_DIR)
readme = os.path.join(ADAPTER_DIR, "README.md")
if os.path.exists(readme):
    os.remove(readme)
for path in (os.path.join(FIXTURES, "hf_lora_expected.safetensors"),
             os.path.join(ADAPTER_DIR, "adapter_model.safetensors")):
    os.chmod(path, 0o644)
print("peft", peft.__version__, "loss", loss.item(), "gradients",
      sorted(k for k in out if k.startswith("grad.")))

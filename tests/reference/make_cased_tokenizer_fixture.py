"""Writes the cased-tokenizer fixture: a small cased WordPiece vocabulary trained offline (no
cased checkpoint can be downloaded here) and, for several tokenizer_config.json settings, what
HF's tokenizer loaded with AutoTokenizer.from_pretrained gives on every GLUE dev sentence.

    /work/venv/bin/python tests/reference/make_cased_tokenizer_fixture.py [GLUE_DIR]
      (needs tokenizers and transformers; GLUE_DIR defaults to ../shared/glue)

1. vocab.txt: tokenizers' BertWordPieceTokenizer (lowercase off, accents kept) trained on the
   training sentences of SST-2, CoLA, MRPC, STS-B and RTE, 4000 tokens.
2. For each setting in SETTINGS, a model directory with that vocab and tokenizer_config.json is
   loaded as HF loads one; each dev file of TASKS is encoded row by row (one text or a pair,
   max_length 128, truncation longest_first) and the input_ids and token_type_ids are reduced to
   a 64-bit FNV-1a digest (each id as a little-endian int64, each row closed by -1; the C++ test
   computes the same). A few hand-picked strings keep their ids in full, for readable failures.

Outputs (committed, ~30 KB): tests/fixtures/cased_wordpiece/vocab.txt and expected.json
{"settings": {name: tokenizer_config}, "digests": {name: {file: {"rows": n, "fnv1a64": hex}}},
 "cases": {name: [[text, ids], ...]}}.
"""
import csv
import json
import os
import shutil
import struct
import sys
import tempfile

from tokenizers import BertWordPieceTokenizer
from transformers import AutoTokenizer
import transformers

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "cased_wordpiece")
GLUE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "glue")
# file -> (text columns, header line)
TASKS = {"SST-2/dev.tsv": ([0], True), "CoLA/dev.tsv": ([3], False), "MRPC/dev.tsv": ([3, 4], True),
         "STS-B/dev.tsv": ([7, 8], True), "RTE/dev.tsv": ([1, 2], True), "QNLI/dev.tsv": ([1, 2], True)}
TRAIN = {"SST-2/train.tsv": ([0], True), "CoLA/train.tsv": ([3], False), "MRPC/train.tsv": ([3, 4], True),
         "STS-B/train.tsv": ([7, 8], True), "RTE/train.tsv": ([1, 2], True)}
SETTINGS = {
    "cased": {"do_lower_case": False},
    "cased_strip_accents": {"do_lower_case": False, "strip_accents": True},
    "lower_keep_accents": {"do_lower_case": True, "strip_accents": False},
    "uncased": {"do_lower_case": True},
    "cased_no_chinese_split": {"do_lower_case": False, "tokenize_chinese_chars": False},
}
CASES = ["Straße in München, İstanbul and ÅNGSTRÖM", "Ὀδυσσεύς ΟΔΟΣ naïve café", "北京欢迎你 Beijing",
         "The U.S. Senate's 2nd vote: 51-49.", "ǅemal ﬁnds Ǆ and Ǉ", "e\u0301le\u0300ve"]
MASK64 = (1 << 64) - 1


def fnv1a64(rows):
    h = 0xCBF29CE484222325
    for ids in rows:
        for value in ids + [-1]:
            for byte in struct.pack("<q", value):
                h = ((h ^ byte) * 0x100000001B3) & MASK64
    return f"{h:016x}"


def read_rows(path, columns, header):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [[row[c] for c in columns] for row in rows[1 if header else 0:]]


def train_vocab(tmp):
    text = os.path.join(tmp, "train.txt")
    with open(text, "w", encoding="utf-8") as out:
        for name, (columns, header) in TRAIN.items():
            for row in read_rows(os.path.join(GLUE, name), columns, header):
                out.write("\n".join(row) + "\n")
    tok = BertWordPieceTokenizer(lowercase=False, strip_accents=False, clean_text=True,
                                 handle_chinese_chars=True)
    tok.train([text], vocab_size=4000, min_frequency=2,
              special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.save_model(OUT)


def hf_tokenizer(tmp, setting):
    model = os.path.join(tmp, "model")
    shutil.rmtree(model, ignore_errors=True)
    os.makedirs(model)
    shutil.copy(os.path.join(OUT, "vocab.txt"), model)
    with open(os.path.join(model, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "BertTokenizer", **setting}, f)
    return AutoTokenizer.from_pretrained(model)


def encode(tok, row):
    enc = tok(*row, truncation=True, max_length=128)
    return enc["input_ids"], enc["token_type_ids"]


def main():
    transformers.logging.set_verbosity_error()
    os.makedirs(OUT, exist_ok=True)
    expected = {"transformers": transformers.__version__, "settings": SETTINGS, "digests": {}, "cases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        train_vocab(tmp)
        for name, setting in SETTINGS.items():
            tok = hf_tokenizer(tmp, setting)
            expected["digests"][name] = {}
            for file, (columns, header) in TASKS.items():
                rows = read_rows(os.path.join(GLUE, file), columns, header)
                ids, types = zip(*(encode(tok, r) for r in rows))
                expected["digests"][name][file] = {"rows": len(rows), "fnv1a64": fnv1a64(list(ids) + list(types))}
            expected["cases"][name] = [[text, tok(text)["input_ids"]] for text in CASES]
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
    for name, files in expected["digests"].items():
        print(name, {k: v["fnv1a64"][:8] for k, v in files.items()})


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Checks that tinytune's WordPiece gives exactly HF's ids on the GLUE dev sets.

    /work/venv/bin/python scripts/check_tokenizer_agreement.py --build build-tok

For SST-2, CoLA, MRPC, STS-B, RTE and QNLI it encodes every row of <glue>/<TASK>/<split>.tsv
(one text or a text pair, max_length 128, truncation longest_first) with HF's BertTokenizerFast
(the MiniLM vocab, do_lower_case=True) and with <build>/bin/tokenize_tsv, and compares
input_ids, token_type_ids and attention_mask row by row. Prints "N/N identical (100.00%)" per
task and exits 1 on any mismatch, after printing the first few. Needs transformers.

Two wider checks, beyond GLUE:
  --all-code-points  every Unicode scalar value c (but \t \n \r) as "a" + c + "b" and between
                     two combining marks, against a vocab of every character and its
                     ##continuation (~2 min): pins down each character's class (control,
                     whitespace, punctuation, CJK, mark), NFD (decomposition, combining class)
                     and lower case. Rerun after upgrading utf8proc or tokenizers.
  --fuzz N           N random text pairs mixing ASCII, accents, combining marks, CJK, Hangul,
                     controls, odd spaces, literal [SEP]/[MASK] and long words, at max_length 32.
"""
import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# task -> (text columns, 0-based; the file has a header line)
TASKS = {
    "SST-2": ([0], True),
    "CoLA": ([3], False),
    "MRPC": ([3, 4], True),
    "STS-B": ([7, 8], True),
    "RTE": ([1, 2], True),
    "QNLI": ([1, 2], True),
}
KEYS = ("input_ids", "token_type_ids", "attention_mask")


def hf_tokenizer(vocab_path):
    """HF's fast BERT tokenizer on vocab_path, lower-casing, whatever the transformers version."""
    import transformers

    transformers.logging.set_verbosity_error()  # not the pair-truncation "overflow" notes
    if int(transformers.__version__.split(".")[0]) >= 5:
        # transformers 5: BertTokenizer is the fast one, and it silently ignores vocab_file=...
        # outside from_pretrained, so hand it the vocab itself.
        from transformers.models.bert.tokenization_bert import BertTokenizer, load_vocab

        tok = BertTokenizer(vocab=load_vocab(vocab_path), do_lower_case=True)
    else:
        tok = transformers.BertTokenizerFast(vocab_file=vocab_path, do_lower_case=True)
    with open(vocab_path, encoding="utf-8") as f:
        n_lines = len(f.readlines())
    assert len(tok) == n_lines, f"HF tokenizer has {len(tok)} tokens, {vocab_path} {n_lines}"
    return tok


def read_rows(path, columns, skip_header):
    """Rows as lists of texts. csv with quoting off: GLUE's stray quotes are text."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if skip_header:
        rows = rows[1:]
    return [[row[c] for c in columns] for row in rows]


def run_tool(tool, vocab, path, columns, header, max_length):
    """tinytune's encodings of the rows of a TSV, via bin/tokenize_tsv."""
    cmd = [tool, "--vocab", vocab, "--input", path, "--columns", ",".join(map(str, columns)),
           "--max-length", str(max_length)]
    if header:
        cmd.append("--skip-header")
    run = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8")
    if run.returncode != 0:
        sys.exit(f"check_tokenizer_agreement: {' '.join(cmd)} failed:\n{run.stderr}")
    return [json.loads(line) for line in run.stdout.splitlines()]


def compare(name, tok, rows, ours, max_length, show):
    """Prints "N/N identical" for `rows` (lists of 1 or 2 texts); True when all are."""
    texts = [r[0] for r in rows]
    pairs = [r[1] for r in rows] if rows and len(rows[0]) == 2 else None
    hf = tok(texts, pairs, truncation=True, max_length=max_length)
    if len(ours) != len(rows):
        sys.exit(f"check_tokenizer_agreement: {name}: tokenize_tsv gave {len(ours)} rows, "
                 f"python read {len(rows)}")
    mismatches = [i for i in range(len(rows)) if any(ours[i][k] != hf[k][i] for k in KEYS)]
    same = len(rows) - len(mismatches)
    print(f"{name:6s} {same}/{len(rows)} identical ({100.0 * same / max(len(rows), 1):.2f}%)")
    for i in mismatches[:show]:
        print(f"  row {i}: {rows[i]!r}")
        print(f"    hf:       {tok.convert_ids_to_tokens(hf['input_ids'][i])}")
        print(f"    tinytune: {tok.convert_ids_to_tokens(ours[i]['input_ids'])}")
        for k in KEYS[1:]:
            if ours[i][k] != hf[k][i]:
                print(f"    {k}: hf {hf[k][i]} tinytune {ours[i][k]}")
    return not mismatches


def write_tsv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")


# Every scalar value but the line and field separators of the TSV the tool reads.
def code_points():
    return [c for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF and c not in (9, 10, 13)]


def check_all_code_points(tool, show):
    with tempfile.TemporaryDirectory() as tmp:
        vocab = os.path.join(tmp, "vocab.txt")
        with open(vocab, "w", encoding="utf-8", newline="") as f:
            f.write("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n")
            for c in code_points():
                if chr(c) not in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029":  # line breaks to Python
                    f.write(f"{chr(c)}\n##{chr(c)}\n")
        # Each character alone, then between two U+1D165 (a spacing mark of combining class
        # 216, kept by BERT's accent stripping): NFD's reordering shows the character's class.
        rows = [["a" + chr(c) + "b"] for c in code_points()]
        rows += [["a\U0001D165" + chr(c) + "\U0001D165b"] for c in code_points()]
        path = os.path.join(tmp, "input.tsv")
        write_tsv(path, rows)
        tok = hf_tokenizer(vocab)
        return compare("chars", tok, rows, run_tool(tool, vocab, path, [0], False, 64), 64, show)


def random_text(rng):
    pools = [
        (40, lambda: rng.choice("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ 0123456789 ")),
        (10, lambda: rng.choice(" .,;:!?'\"()[]{}-_/\\@#$%^&*+=<>|~`")),
        (8, lambda: chr(rng.randint(0xC0, 0x24F))),        # Latin with accents
        (5, lambda: chr(rng.randint(0x300, 0x36F))),       # combining marks
        (4, lambda: chr(rng.randint(0x370, 0x4FF))),       # Greek, Cyrillic
        (4, lambda: chr(rng.randint(0x4E00, 0x9FFF))),     # CJK
        (3, lambda: chr(rng.randint(0xAC00, 0xD7A3))),     # Hangul syllables
        (2, lambda: chr(rng.randint(0x3040, 0x30FF))),     # kana
        (3, lambda: rng.choice("\x00\x07\x0b\x0c\x1f\x7f\x85\xa0\xad\u200b\u200d\u2028\u3000"
                               "\ufeff\ufffd\u2019\u201c\u2014\u2026")),
        (2, lambda: rng.choice(["[SEP]", "[MASK]", "[CLS]", "[UNK]", "[PAD]", "[sep]", "[SEP"])),
        (2, lambda: chr(rng.choice([rng.randint(0x1F300, 0x1FAFF), rng.randint(0x10000, 0x10FFFF)]))),
        (1, lambda: "x" * rng.randint(95, 105)),          # around the 100-character word limit
    ]
    weights = [w for w, _ in pools]
    draw = [f for _, f in pools]
    n = rng.choice([0, 1, 2, 5, 10, 20, 40])
    text = "".join(rng.choices(draw, weights)[0]() for _ in range(n))
    return "".join(ch for ch in text if not 0xD800 <= ord(ch) <= 0xDFFF and ch not in "\t\n\r")


def check_fuzz(tool, vocab, n, show):
    rng = random.Random(1234)
    rows = [[random_text(rng), random_text(rng)] for _ in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fuzz.tsv")
        write_tsv(path, rows)
        tok = hf_tokenizer(vocab)
        ok = compare("fuzz", tok, rows, run_tool(tool, vocab, path, [0, 1], False, 32), 32, show)
        single = [[r[0]] for r in rows]
        return compare("fuzz1", tok, single, run_tool(tool, vocab, path, [0], False, 32), 32,
                       show) and ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default="build", help="CMake build dir holding bin/tokenize_tsv")
    parser.add_argument("--glue", default=os.path.join(REPO, "..", "shared", "glue"))
    parser.add_argument("--vocab", default=os.path.join(REPO, "models", "all-MiniLM-L6-v2",
                                                        "vocab.txt"))
    parser.add_argument("--split", default="dev", help="dev (default) or train")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--tasks", default=",".join(TASKS), help="comma-separated subset")
    parser.add_argument("--show", type=int, default=5, help="mismatches to print per task")
    parser.add_argument("--fuzz", type=int, default=0, metavar="N", help="N random pairs too")
    parser.add_argument("--all-code-points", action="store_true", help="every character too")
    args = parser.parse_args()

    tool = os.path.join(args.build if os.path.isabs(args.build) else os.path.join(REPO, args.build),
                        "bin", "tokenize_tsv")
    for path, what in ((tool, "build tokenize_tsv first"), (args.vocab, "the MiniLM vocab.txt")):
        if not os.path.isfile(path):
            sys.exit(f"check_tokenizer_agreement: {path} not found ({what})")
    tok = hf_tokenizer(args.vocab)

    all_ok = True
    for task in args.tasks.split(",") if args.tasks else []:
        if task not in TASKS:
            sys.exit(f"check_tokenizer_agreement: unknown task {task!r}; expected one of "
                     f"{', '.join(TASKS)}")
        columns, header = TASKS[task]
        path = os.path.join(args.glue, task, f"{args.split}.tsv")
        rows = read_rows(path, columns, header)
        ours = run_tool(tool, args.vocab, path, columns, header, args.max_length)
        all_ok = compare(task, tok, rows, ours, args.max_length, args.show) and all_ok
    if args.fuzz:
        all_ok = check_fuzz(tool, args.vocab, args.fuzz, args.show) and all_ok
    if args.all_code_points:
        all_ok = check_all_code_points(tool, args.show) and all_ok
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())

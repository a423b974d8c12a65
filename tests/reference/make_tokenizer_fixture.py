#!/usr/bin/env python3
"""Writes tests/fixtures/tokenizer_cases.json: HF's encodings of tricky texts, which
tests/data/test_wordpiece.cpp requires tinytune's WordPieceTokenizer to reproduce exactly.

    /work/venv/bin/python tests/reference/make_tokenizer_fixture.py

The tokenizer is HF's fast BertTokenizer (transformers >= 5; BertTokenizerFast before) on
tests/fixtures/vocab_small.txt with do_lower_case=True. Each case holds the inputs (a, b or null,
max_length), HF's input_ids / token_type_ids / attention_mask, its word pieces of `a`
(tokenize), and, where the slow Python tokenizer (BertTokenizerLegacy; BertTokenizer before 5)
disagrees, the slow ids as `slow_input_ids` for the record: tinytune follows the fast one.
"""
import json
import os

import tokenizers
import transformers

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
VOCAB = os.path.join(FIXTURES, "vocab_small.txt")

LONG = 512  # room for every single-text case: no truncation

SINGLES = [
    "Hello World",
    "Héllo Wörld Ångström",                     # accents stripped via NFD
    "e\u0301 \u00e9 cafe\u0301 naïve résumé",    # decomposed and precomposed accents
    "我爱北京",                                   # CJK: one word per ideograph; 京 not in vocab
    "a\U0002B820b",                              # Ext. E start: a letter to fast, CJK to slow
    "don't!?...",
    "Mr. Smith's 2nd-floor apartment (NYC)",
    "$5 + 3 = 8 ^_^ | ~ ` <>",                   # ASCII symbols count as punctuation
    "\x07bell",                                  # control char dropped
    "a\u200bb",                                  # zero-width space (Cf) dropped: "ab"
    "\u00ad",                                    # soft hyphen alone: nothing
    "soft\u00adhyphen",
    "\x00null\ufffdrepl",                        # NUL and U+FFFD dropped
    "tab\tand\nnew\r\nline here",
    "hello   world\u3000again\u00a0nbsp\u2028line\u2029sep",  # odd spaces; U+2028/9 (fast)
    "x" * 100,                                   # at the limit: 100 pieces
    "x" * 101,                                   # over it: [UNK]
    "x" * 120,
    "",
    "   \t\n ",
    "hello 😀 world 🙃",                          # emoji: a word; 🙃 not in vocab
    "unaffable running jumps playground",
    "ΟΔΟΣ οδος",                                 # final sigma: fast lower-cases per char (σ)
    "İstanbul",                                  # I with dot above
    "ﬁ ﬁne",                                     # ligature: NFD leaves it (compatibility only)
    "hello[SEP]world [MASK] [sep] [CLS][UNK] [PAD",  # literal special tokens
    "unknownword the zzz",
    "abc ab abcd ##c",
]

WORDS = "a b c d e f g h i j".split()


def words(n, offset=0):
    return " ".join(WORDS[(offset + i) % len(WORDS)] for i in range(n))


# (a, b, max_length): longest_first truncation, ties included.
PAIRS = [
    (words(5), words(5, 5), 8),    # 5 vs 5 in a budget of 5: tie
    (words(5), words(5, 5), 9),    # budget 6: 3 + 3
    (words(5), words(5, 5), 10),   # budget 7: tie, odd
    (words(5), words(6, 5), 8),
    (words(6), words(5, 5), 8),
    (words(5), words(6, 5), 9),
    (words(6), words(5, 5), 9),
    (words(2), words(10, 2), 8),   # the shorter fits: only the longer is cut
    (words(10), words(2, 2), 8),
    (words(10), words(10, 3), 10),
    (words(1), words(1, 1), 3),    # budget 0
    (words(1), words(1, 1), 4),    # budget 1, tie: the second text keeps it
    (words(4), "", 5),
    ("", words(4), 5),
    (words(3), words(3, 3), 64),   # no truncation
    ("Hello World", "don't!?...", 7),
    ("unaffable", "hello", 5),     # cut inside a word's pieces
]

TRUNCATED_SINGLES = [(words(10), 5), ("unaffable running", 4), ("hello", 2)]


def fast_tokenizer():
    if int(transformers.__version__.split(".")[0]) >= 5:
        from transformers.models.bert.tokenization_bert import BertTokenizer, load_vocab

        # transformers 5's BertTokenizer ignores vocab_file= outside from_pretrained.
        return BertTokenizer(vocab=load_vocab(VOCAB), do_lower_case=True)
    return transformers.BertTokenizerFast(vocab_file=VOCAB, do_lower_case=True)


def slow_tokenizer():
    if int(transformers.__version__.split(".")[0]) >= 5:
        from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

        return BertTokenizerLegacy(vocab_file=VOCAB, do_lower_case=True)
    return transformers.BertTokenizer(vocab_file=VOCAB, do_lower_case=True)


def encode(tok, a, b, max_length):
    """One row through the batch call, as datasets.map(...) and the agreement script use it: a
    single call tok(a, "") would take the empty pair for no pair at all; a batch keeps it."""
    enc = tok([a], None if b is None else [b], truncation=True, max_length=max_length)
    return {k: v[0] for k, v in enc.items()}


def main():
    transformers.logging.set_verbosity_error()
    fast, slow = fast_tokenizer(), slow_tokenizer()
    assert fast.convert_tokens_to_ids("hello") == slow.convert_tokens_to_ids("hello") != 1, \
        "the tokenizers did not load vocab_small.txt"
    inputs = [(s, None, LONG) for s in SINGLES] + [(a, None, m) for a, m in TRUNCATED_SINGLES]
    inputs += PAIRS
    cases = []
    for a, b, max_length in inputs:
        enc = encode(fast, a, b, max_length)
        case = {"a": a, "b": b, "max_length": max_length,
                "input_ids": enc["input_ids"], "token_type_ids": enc["token_type_ids"],
                "attention_mask": enc["attention_mask"], "pieces": fast.tokenize(a),
                "tokens": fast.convert_ids_to_tokens(enc["input_ids"])}
        slow_ids = encode(slow, a, b, max_length)["input_ids"]
        if slow_ids != enc["input_ids"]:
            case["slow_input_ids"] = slow_ids
        cases.append(case)
    out = {
        "generator": "tests/reference/make_tokenizer_fixture.py",
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "vocab": "vocab_small.txt",
        "cases": cases,
    }
    path = os.path.join(FIXTURES, "tokenizer_cases.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    n_slow = sum("slow_input_ids" in c for c in cases)
    print(f"wrote {path}: {len(cases)} cases ({n_slow} where the slow tokenizer differs)")


if __name__ == "__main__":
    main()

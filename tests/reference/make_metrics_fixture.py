#!/usr/bin/env python3
"""Writes tests/fixtures/metrics_cases.json: the GLUE metrics as scikit-learn and scipy compute
them, on fixed predictions, for tests/data/test_metrics.cpp to match to 1e-9.

    /work/venv/bin/python tests/reference/make_metrics_fixture.py          # writes the fixture
    /work/venv/bin/python tests/reference/make_metrics_fixture.py --out F  # elsewhere

Needs numpy, scikit-learn and scipy. Deterministic (numpy Generator with fixed seeds).

Layout:
  "classification": [{name, predictions, labels, accuracy, f1 (binary cases only), mcc}]
  "regression":     [{name, x, y, pearson, spearmanr}]          (null = NaN: constant input)
  "glue":           [{task, predictions, labels, expected: {metric: value, "main": ...}}]
"main" is the GLUE leaderboard task score, as data/metrics.h documents: the one official
metric, or the mean of f1 and accuracy (MRPC, QQP) or of pearson and spearmanr (STS-B).
"""
import argparse
import json
import math
import os
import warnings

import numpy as np
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef


def num(v):
    v = float(v)
    return None if math.isnan(v) else v


def classification_case(name, pred, label, binary):
    warnings.simplefilter("ignore")  # sklearn warns on one-class inputs; the values are defined
    case = {"name": name, "predictions": [int(v) for v in pred], "labels": [int(v) for v in label],
            "accuracy": num(accuracy_score(label, pred)), "mcc": num(matthews_corrcoef(label, pred))}
    if binary:
        case["f1"] = num(f1_score(label, pred, zero_division=0))
    return case


def regression_case(name, x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant inputs warn and give NaN, which we record
        return {"name": name, "x": [float(v) for v in x], "y": [float(v) for v in y],
                "pearson": num(pearsonr(x, y)[0]), "spearmanr": num(spearmanr(x, y)[0])}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(here, "..", "fixtures", "metrics_cases.json"))
    args = parser.parse_args()
    rng = np.random.default_rng(20240601)

    classification = []
    for n in (5, 37, 500):
        label = rng.integers(0, 2, n)
        pred = np.where(rng.random(n) < 0.75, label, 1 - label)  # ~75% right
        classification.append(classification_case(f"binary_{n}", pred, label, True))
    label = rng.integers(0, 2, 64)
    classification.append(classification_case("binary_random", rng.integers(0, 2, 64), label, True))
    classification.append(classification_case("binary_inverted", 1 - label, label, True))
    classification.append(classification_case("perfect", label, label, True))
    # Undefined cases: sklearn returns mcc 0 and (zero_division=0) f1 0.
    classification.append(classification_case("constant_prediction", np.ones(10, int),
                                               np.array([0, 1] * 5), True))
    classification.append(classification_case("no_positives", np.zeros(8, int), np.zeros(8, int), True))
    classification.append(classification_case("single", np.array([1]), np.array([0]), True))
    # MNLI-like three classes (accuracy and the multiclass MCC).
    label = rng.integers(0, 3, 300)
    pred = np.where(rng.random(300) < 0.6, label, rng.integers(0, 3, 300))
    classification.append(classification_case("three_class", pred, label, False))

    regression = []
    x = rng.uniform(0, 5, 200)
    regression.append(regression_case("continuous_200", x + rng.normal(0, 1, 200), x))
    # STS-B-like: gold scores on a 0.2 grid (many ties), predictions rounded to force ties too.
    gold = np.round(rng.uniform(0, 5, 150) * 5) / 5
    pred = np.round((gold + rng.normal(0, 0.8, 150)) * 2) / 2
    regression.append(regression_case("ties_150", pred, gold))
    regression.append(regression_case("all_tied_pairs", [1, 1, 2, 2, 3, 3], [3, 1, 2, 2, 1, 3]))
    regression.append(regression_case("two_points", [0.5, 1.5], [4.0, 2.0]))
    regression.append(regression_case("anti", [1, 2, 3, 4, 5], [10, 8, 6, 4, 2]))
    regression.append(regression_case("large_offset", 1e6 + rng.normal(0, 1, 50), rng.normal(0, 1, 50)))
    regression.append(regression_case("constant_x", [2.0] * 5, [1, 2, 3, 4, 5]))

    glue = []
    for task in ("cola", "sst2", "mrpc", "qqp", "qnli", "rte", "wnli"):
        label = rng.integers(0, 2, 120)
        pred = np.where(rng.random(120) < 0.8, label, 1 - label)
        acc, f1 = accuracy_score(label, pred), f1_score(label, pred)
        mcc = matthews_corrcoef(label, pred)
        if task == "cola":
            expected = {"mcc": mcc, "main": mcc}
        elif task in ("mrpc", "qqp"):
            expected = {"f1": f1, "accuracy": acc, "main": (f1 + acc) / 2}
        else:
            expected = {"accuracy": acc, "main": acc}
        glue.append({"task": task, "predictions": pred.tolist(), "labels": label.tolist(),
                     "expected": {k: float(v) for k, v in expected.items()}})
    label = rng.integers(0, 3, 120)
    pred = np.where(rng.random(120) < 0.7, label, rng.integers(0, 3, 120))
    acc = accuracy_score(label, pred)
    glue.append({"task": "mnli", "predictions": pred.tolist(), "labels": label.tolist(),
                 "expected": {"accuracy": float(acc), "main": float(acc)}})
    gold = np.round(rng.uniform(0, 5, 120) * 5) / 5
    pred = np.clip(gold + rng.normal(0, 0.7, 120), 0, 5)
    p, s = pearsonr(pred, gold)[0], spearmanr(pred, gold)[0]
    glue.append({"task": "stsb", "predictions": pred.tolist(), "labels": gold.tolist(),
                 "expected": {"pearson": float(p), "spearmanr": float(s), "main": float((p + s) / 2)}})

    with open(args.out, "w") as f:
        json.dump({"classification": classification, "regression": regression, "glue": glue}, f,
                  indent=1)
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

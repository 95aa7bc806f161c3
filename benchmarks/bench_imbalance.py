"""Imbalanced data (99:1): minority recall and size of SCANN against MLPClassifier.

Usage: ``python benchmarks/bench_imbalance.py [--seeds 5] [--rows 4000]``.

Each seed draws a two-class problem with ``make_classification`` (1% of the
rows in the minority class), splits it 75/25 (stratified), puts a
``StandardScaler`` in front of every model and reports the minority
class's recall on the held-out rows, the balanced accuracy and the
connections kept. Writes ``benchmarks/results/bench_imbalance.{json,md}``.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNClassifier

RESULTS = Path(__file__).parent / "results"


def models(seed):
    yield "MLPClassifier(100)", MLPClassifier(max_iter=500, random_state=seed), None
    for scheme in ("A", "B", "C"):
        yield f"SCANN {scheme} default", SCANNClassifier(scheme, random_state=seed), 0
        yield (
            f"SCANN {scheme} class_weight=balanced",
            SCANNClassifier(scheme, class_weight="balanced", random_state=seed),
            0,
        )
    yield (
        "SCANN B scoring=balanced_accuracy",
        SCANNClassifier(scoring="balanced_accuracy", random_state=seed),
        0,
    )


def connections(model):
    if hasattr(model, "n_connections_"):
        return model.n_connections_
    return sum(w.size for w in model.coefs_)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=4000)
    args = parser.parse_args()
    rows = {}
    for seed in range(args.seeds):
        X, y = make_classification(
            n_samples=args.rows,
            n_features=20,
            n_informative=6,
            weights=[0.99],
            flip_y=0.0,
            class_sep=1.0,
            random_state=seed,
        )
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, stratify=y, random_state=seed
        )
        for name, model, _ in models(seed):
            pipe = make_pipeline(StandardScaler(), model).fit(X_train, y_train)
            pred = pipe.predict(X_test)
            rows.setdefault(name, []).append(
                {
                    "recall": recall_score(y_test, pred, pos_label=1),
                    "balanced_accuracy": balanced_accuracy_score(y_test, pred),
                    "connections": connections(pipe[-1]),
                    "one_class": bool(np.unique(pred).size == 1),
                }
            )
            print(seed, name, rows[name][-1], flush=True)
    lines = [
        f"99:1 data, {args.rows} rows x 20 features, {args.seeds} seeds "
        "(mean ± std over seeds)",
        "",
        "| model | minority recall | balanced accuracy | connections "
        "| seeds predicting one class |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, runs in rows.items():
        recall = np.array([r["recall"] for r in runs])
        bal = np.array([r["balanced_accuracy"] for r in runs])
        conn = np.array([r["connections"] for r in runs])
        lines.append(
            f"| {name} | {recall.mean():.3f} ± {recall.std():.3f} "
            f"| {bal.mean():.3f} ± {bal.std():.3f} | {conn.mean():.0f} "
            f"| {sum(r['one_class'] for r in runs)} |"
        )
    table = "\n".join(lines)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_imbalance.md").write_text(table + "\n")
    (RESULTS / "bench_imbalance.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

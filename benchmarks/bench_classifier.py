"""Benchmark: SCANN schemes and DR+SCANN against an MLP, boosting and pruning alone.

Prints one Markdown table (and writes it with the raw numbers as JSON under
``benchmarks/results/``). Every model sees the same stratified split; the
SCANN models, the MLP and the pruning baseline are standardised with a
``StandardScaler`` in a pipeline. Ratios are against the MLP run in this
same process, so the machine's speed cancels out.

Usage::

    python benchmarks/bench_classifier.py [--datasets digits,wine] [--seed 0]
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import time

import numpy as np
from _results import RESULTS, environment, write_results
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_wine,
    make_classification,
)
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNClassifier, make_dr_scann
from sklearn_scann._cost import dense_connections


def load(name):
    if name == "digits":
        return load_digits(return_X_y=True)
    if name == "breast_cancer":
        return load_breast_cancer(return_X_y=True)
    if name == "wine":
        return load_wine(return_X_y=True)
    if name == "synthetic":
        return make_classification(
            n_samples=20000,
            n_features=40,
            n_informative=20,
            n_classes=5,
            random_state=0,
        )
    raise ValueError(f"unknown dataset {name!r}")


def timed_fit(model, X, y):
    started = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - started


def pruning_alone(best, X_train, y_train, seed, tries=3):
    """The best scheme with growth off, pruned to the best scheme's size.

    The pruning ratio is solved so that ``n_rounds`` prunes reach the best
    scheme's connection count, then corrected from what a run actually
    kept (dead-neuron removal prunes a little more than asked) for up to
    ``tries`` runs; the run closest to the target is returned. Scheme A
    starts from a small seed that pruning alone could never grow back to,
    so pruning alone then starts from scheme B's dense start.
    """
    scheme = "B" if best.scheme == "A" else best.scheme
    target = best.n_connections_
    rounds = best.n_rounds
    start = SCANNClassifier(scheme, n_rounds=0, epochs_per_step=0, initial_epochs=0)
    start = make_pipeline(StandardScaler(), start).fit(X_train, y_train)[-1]
    keep = (target / start.n_connections_) ** (1.0 / rounds)
    closest = None
    for _ in range(tries):
        model = make_pipeline(
            StandardScaler(),
            SCANNClassifier(
                scheme,
                grow_ratio=0.0,
                neuron_growth=0,
                prune_ratio=float(np.clip(1.0 - keep, 0.0, 0.99)),
                n_rounds=rounds,
                selection="last",
                random_state=seed,
            ),
        )
        seconds = timed_fit(model, X_train, y_train)
        got = model[-1].n_connections_
        if closest is None or abs(got - target) < abs(
            closest[0][-1].n_connections_ - target
        ):
            closest = (model, seconds)
        if got == target or got == 0:
            break
        keep *= (target / got) ** (1.0 / rounds)
    return closest


def run(datasets, seed):
    rows = []
    for name in datasets:
        X, y = load(name)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.2, stratify=y, random_state=seed
        )
        n_features, n_classes = X.shape[1], np.unique(y).size

        mlp = make_pipeline(
            StandardScaler(),
            MLPClassifier(hidden_layer_sizes=(100,), random_state=seed),
        )
        mlp_seconds = timed_fit(mlp, X_train, y_train)
        mlp_row = {
            "dataset": name,
            "model": "MLP(100)",
            "accuracy": mlp.score(X_test, y_test),
            "connections": dense_connections([n_features, 100, n_classes]),
            "seconds": mlp_seconds,
        }
        rows.append(mlp_row)

        hgb = HistGradientBoostingClassifier(random_state=seed)
        rows.append(
            {
                "dataset": name,
                "model": "HistGradientBoosting",
                "accuracy": None,
                "connections": None,
                "seconds": timed_fit(hgb, X_train, y_train),
            }
        )
        rows[-1]["accuracy"] = hgb.score(X_test, y_test)

        schemes = {}
        for scheme in "ABC":
            model = make_pipeline(
                StandardScaler(), SCANNClassifier(scheme, random_state=seed)
            )
            seconds = timed_fit(model, X_train, y_train)
            clf = model[-1]
            schemes[scheme] = clf
            rows.append(
                {
                    "dataset": name,
                    "model": f"SCANN {scheme}",
                    "accuracy": model.score(X_test, y_test),
                    "connections": clf.n_connections_,
                    "seconds": seconds,
                    "compression_ratio": clf.compression_ratio_,
                    "hidden": list(clf.topology_.hidden_layer_sizes),
                }
            )
        scheme_rows = [
            r for r in rows if r["dataset"] == name and "compression_ratio" in r
        ]
        best_row = max(scheme_rows, key=lambda r: (r["accuracy"], -r["connections"]))
        best = schemes[best_row["model"][-1]]
        best_row["best"] = True

        dr_scann = make_dr_scann("auto", scheme="B", random_state=seed)
        seconds = timed_fit(dr_scann, X_train, y_train)
        reducer, clf = dr_scann["dr"], dr_scann["scann"]
        rows.append(
            {
                "dataset": name,
                "model": f"DR+SCANN B ({reducer.method_}, {reducer.n_components_})",
                "accuracy": dr_scann.score(X_test, y_test),
                "connections": clf.n_connections_,
                "seconds": seconds,
                "compression_ratio": clf.compression_ratio_,
                "hidden": list(clf.topology_.hidden_layer_sizes),
                "dr_method": reducer.method_,
                "dr_components": int(reducer.n_components_),
            }
        )

        pruned, seconds = pruning_alone(best, X_train, y_train, seed)
        clf = pruned[-1]
        rows.append(
            {
                "dataset": name,
                "model": f"pruning alone ({clf.scheme})",
                "accuracy": pruned.score(X_test, y_test),
                "connections": clf.n_connections_,
                "seconds": seconds,
                "compression_ratio": clf.compression_ratio_,
                "hidden": list(clf.topology_.hidden_layer_sizes),
            }
        )
        for row in rows:
            if row["dataset"] == name:
                row["accuracy_minus_mlp"] = row["accuracy"] - mlp_row["accuracy"]
                row["seconds_over_mlp"] = row["seconds"] / mlp_row["seconds"]
                if row["connections"] is not None:
                    row["mlp_over_connections"] = (
                        mlp_row["connections"] / row["connections"]
                    )
        print(markdown([r for r in rows if r["dataset"] == name]), flush=True)
    return rows


def markdown(rows):
    header = (
        "| dataset | model | accuracy | acc - MLP | connections | MLP conn / conn "
        "| compression vs own start | fit s | fit / MLP |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    lines = [header]
    for r in rows:
        conn = "-" if r["connections"] is None else f"{r['connections']:,d}"
        ratio = (
            "-"
            if r.get("mlp_over_connections") is None
            else f"{r['mlp_over_connections']:.1f}x"
        )
        comp = (
            "-"
            if r.get("compression_ratio") is None
            else f"{r['compression_ratio']:.2f}x"
        )
        name = r["model"] + (" (best)" if r.get("best") else "")
        lines.append(
            f"| {r['dataset']} | {name} | {r['accuracy']:.4f} | "
            f"{100 * r['accuracy_minus_mlp']:+.1f} pt | {conn} | {ratio} | {comp} | "
            f"{r['seconds']:.1f} | {r['seconds_over_mlp']:.2f} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets",
        default="digits,breast_cancer,wine,synthetic",
        help="comma-separated: digits, breast_cancer, wine, synthetic",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    datasets = args.datasets.split(",")
    rows = run(datasets, args.seed)
    table = markdown(rows)
    print("\nAll datasets:\n" + table)
    write_results(
        "bench_classifier",
        meta=environment(args.seed),
        rows=rows,
        markdown=table,
        out=args.out,
    )


if __name__ == "__main__":
    main()

"""Benchmark: does growth earn its place? Growth variants against pruning alone.

Every variant runs scheme B with the fixed schedule (no undo) for the same
number of rounds, without the final fine-tuning. Pruning alone prunes
``prune_ratio * (1 - grow_ratio)`` per round and keeps its last network; its
size is the budget. Each growth variant prunes ``prune_ratio`` and regrows
``grow_ratio`` of what it pruned per round (the same net shrink), and is
then compared at that budget: ``select(max_connections=budget)`` takes its
best frontier network (by validation score) within pruning alone's size,
so no variant is scored with more connections than pruning alone.
Variants: pruning alone, gradient growth (SCANN), random regrowth,
gradient growth with grown weights started against the gradient, and
gradient growth with a grace period (grown connections spared from the next
pruning step). Data: the suite of ``bench_suite.py``, a StandardScaler in
front of every model.

Usage::

    python benchmarks/bench_growth.py [--datasets pima,sonar] [--seeds 3]
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import sys
import time

import numpy as np
from _results import environment, write_results
from bench_suite import DATASETS, load_dataset, split, warm_up
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNClassifier

PRUNE, GROW, ROUNDS = 0.3, 0.2, 10
COMMON = {
    "pruning_schedule": "fixed",
    "selection": "last",
    "n_rounds": ROUNDS,
    "fine_tune": False,
}
VARIANTS = {
    "pruning alone": {"grow_ratio": 0.0, "prune_ratio": PRUNE * (1 - GROW)},
    "gradient growth": {"grow_ratio": GROW, "prune_ratio": PRUNE},
    "random regrowth": {
        "grow_ratio": GROW,
        "prune_ratio": PRUNE,
        "growth_criterion": "random",
    },
    "gradient, init against gradient": {
        "grow_ratio": GROW,
        "prune_ratio": PRUNE,
        "growth_init": "gradient",
    },
    "gradient, grace period": {
        "grow_ratio": GROW,
        "prune_ratio": PRUNE,
        "growth_grace": True,
    },
}


def run(datasets, seeds):
    rows = []
    for dataset in datasets:
        X, y = load_dataset(dataset)
        for seed in seeds:
            X_train, X_test, y_train, y_test = split(X, y, seed)
            budget = None
            for name, params in VARIANTS.items():
                model = make_pipeline(
                    StandardScaler(),
                    SCANNClassifier(random_state=seed, **COMMON, **params),
                )
                started = time.perf_counter()
                model.fit(X_train, y_train)
                seconds = time.perf_counter() - started
                clf = model[-1]
                if budget is None:  # pruning alone, run first, sets the budget
                    budget = clf.n_connections_
                else:
                    fits = [p for p in clf.frontier_ if p["n_connections"] <= budget]
                    # None within the budget: the variant's smallest network.
                    limit = budget if fits else clf.frontier_[0]["n_connections"]
                    model.steps[-1] = ("scann", clf.select(max_connections=limit))
                row = {
                    "dataset": dataset,
                    "seed": seed,
                    "variant": name,
                    "accuracy": float(model.score(X_test, y_test)),
                    "connections": int(model[-1].n_connections_),
                    "budget": int(budget),
                    "fit_seconds": seconds,
                }
                rows.append(row)
                print(
                    f"{dataset} seed {seed} {name}: acc {100 * row['accuracy']:.1f}% "
                    f"conn {row['connections']} fit {seconds:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
    return rows


def markdown(rows):
    names = list(VARIANTS)
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))

    def cell(dataset, name, key):
        return [
            r[key] for r in rows if r["dataset"] == dataset and r["variant"] == name
        ]

    header = "| data set | " + " | ".join(f"{n}: acc, conn" for n in names) + " |"
    lines = [header, "|---|" + "---:|" * len(names)]
    wins = dict.fromkeys(names[1:], 0)
    mean_acc = {n: [] for n in names}
    mean_conn = {n: [] for n in names}
    for dataset in datasets:
        cells = []
        base = np.mean(cell(dataset, names[0], "accuracy"))
        for name in names:
            acc = np.array(cell(dataset, name, "accuracy"))
            conn = np.mean(cell(dataset, name, "connections"))
            mean_acc[name].append(acc.mean())
            mean_conn[name].append(conn)
            cells.append(
                f"{100 * acc.mean():.1f} ± {100 * acc.std(ddof=1):.1f}, {conn:,.0f}"
            )
            if name in wins and acc.mean() >= base - 1e-12:
                wins[name] += 1
        lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    summary = [
        f"{100 * np.mean(mean_acc[n]):.1f}, "
        f"{np.exp(np.mean(np.log(mean_conn[n]))):,.0f}"
        for n in names
    ]
    lines.append("| **mean, geo-mean** | " + " | ".join(summary) + " |")
    seeds = sorted({r["seed"] for r in rows})
    text = [
        "\n".join(lines),
        "",
        f"Scheme B, fixed schedule, {ROUNDS} rounds, no fine-tuning; prune "
        f"{PRUNE} and regrow {GROW} of the pruned per round (pruning alone: prune "
        f"{PRUNE * (1 - GROW):.2f}, last network). Growth variants are scored "
        "with their best frontier network within pruning alone's connections. "
        f"Accuracy in % (mean ± std over seeds {seeds}), connections the mean.",
        "",
        "At least as accurate as pruning alone (data sets of "
        f"{len(datasets)}): "
        + "; ".join(f"{name} {count}" for name, count in wins.items())
        + ".",
    ]
    return "\n".join(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tag", default=None)
    args = parser.parse_args()
    datasets = args.datasets.split(",")
    seeds = list(range(args.seeds))
    warm_up()
    rows = run(datasets, seeds)
    text = markdown(rows)
    meta = environment(seeds)
    meta.update(variants=VARIANTS, common=COMMON)
    name = "bench_growth" if args.tag is None else f"bench_growth_{args.tag}"
    write_results(name, meta=meta, rows=rows, markdown=text)
    print(text)


if __name__ == "__main__":
    main()

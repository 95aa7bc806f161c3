"""Benchmark: SCANNRegressor against dense peers over the 6 regression datasets.

The regression half of the suite (``bench_suite.py`` is the classification
half). For seeds ``0..N-1`` (twice as many for
data sets under 500 rows) each dataset in ``benchmarks/data/regression/``
gets its own random 80/20 split; every model sees the features behind a
``StandardScaler`` and the *raw* targets. Kinds:

- ``mlp``: ``MLPRegressor((100,), max_iter=500)`` inside
  ``TransformedTargetRegressor(transformer=StandardScaler())`` (the fair
  peer: on raw targets the MLP alone scores R² below 0), stopping early
  above 10,000 training rows as a user at that size would have it;
- ``hgb``: ``HistGradientBoostingRegressor`` (one per target when
  multi-output);
- ``scann``: ``SCANNRegressor`` with its defaults; ``prune``: growth off
  (``grow_ratio=0``); ``dr_scann``: ``make_dr_scann(task="regression")``
  when this version has it;
- ``scann_separate`` (multi-output sets only): one ``SCANNRegressor`` per
  target, for the multi-output target.

Prints R² (uniform average over targets; per target too for multi-output
sets), connections and fit time (mean ± std over seeds), then the issue's
targets as met or not, and writes JSON and Markdown under
``benchmarks/results/``.

Usage::

    python benchmarks/bench_regression.py [--datasets auto_mpg,concrete]
        [--seeds 5] [--models mlp,scann] [--max-rows 20000]
        [--scann-params '{"prune_ratio": 0.5}'] [--tag NAME]
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import csv
import gzip
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from _results import environment, write_results
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_scann
from sklearn_scann import SCANNRegressor

DATA = Path(__file__).resolve().parent / "data" / "regression"
DATASETS = sorted(p.name.removesuffix(".csv.gz") for p in DATA.glob("*.csv.gz"))
KINDS = ("mlp", "hgb", "scann", "prune", "dr_scann", "scann_separate")


def load_dataset(name):
    """``(X, Y)`` of a regression file: feature columns, then ``target_*`` ones."""
    with gzip.open(DATA / f"{name}.csv.gz", "rt", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        records = np.array(list(reader), dtype=np.float64)
    is_target = np.array([h.startswith("target_") for h in header])
    return records[:, ~is_target], records[:, is_target]


def _r2_per_target(Y_true, Y_pred):
    Y_pred = Y_pred.reshape(Y_true.shape)
    return [float(r2_score(Y_true[:, j], Y_pred[:, j])) for j in range(Y_true.shape[1])]


# Above this many training rows the MLP stops early, as a user at that size
# would have it; data sets under SMALL_ROWS rows run twice the seeds.
EARLY_STOPPING_ROWS = 10_000
SMALL_ROWS = 500


def _model(kind, seed, n_targets, scann_params, n_train=0):
    params = {"random_state": seed, **scann_params}
    if kind == "mlp":
        mlp = MLPRegressor(
            hidden_layer_sizes=(100,),
            max_iter=500,
            early_stopping=n_train > EARLY_STOPPING_ROWS,
            random_state=seed,
        )
        return TransformedTargetRegressor(mlp, transformer=StandardScaler())
    if kind == "hgb":
        hgb = HistGradientBoostingRegressor(random_state=seed)
        return hgb if n_targets == 1 else MultiOutputRegressor(hgb)
    if kind == "scann":
        return SCANNRegressor(**params)
    if kind == "prune":
        return SCANNRegressor(**{**params, "grow_ratio": 0.0})
    if kind == "scann_separate":
        return MultiOutputRegressor(SCANNRegressor(**params))
    raise ValueError(kind)


def _connections(model):
    if isinstance(model, TransformedTargetRegressor):
        return int(sum(c.size for c in model.regressor_.coefs_))
    if isinstance(model, MultiOutputRegressor):
        parts = [_connections(e) for e in model.estimators_]
        return None if None in parts else int(sum(parts))
    if hasattr(model, "n_connections_"):
        return int(model.n_connections_)
    if hasattr(model, "steps"):
        return _connections(model.steps[-1][1])
    return None


def run_model(kind, X_train, Y_train, X_test, Y_test, seed, scann_params):
    single = Y_train.shape[1] == 1
    y_train = Y_train[:, 0] if single else Y_train
    if kind == "dr_scann":
        if "task" not in sklearn_scann.make_dr_scann.__code__.co_varnames:
            return None
        pipe = make_pipeline(
            StandardScaler(),
            sklearn_scann.make_dr_scann(
                task="regression", random_state=seed, **scann_params
            ),
        )
    else:
        pipe = make_pipeline(
            StandardScaler(),
            _model(kind, seed, Y_train.shape[1], scann_params, len(Y_train)),
        )
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X_train, y_train)
    seconds = time.perf_counter() - started
    per_target = _r2_per_target(Y_test, np.asarray(pipe.predict(X_test)))
    return {
        "r2": float(np.mean(per_target)),
        "r2_per_target": per_target,
        "connections": _connections(pipe.steps[-1][1]),
        "fit_seconds": seconds,
    }


def _mean_std(values):
    values = np.asarray([v for v in values if v is not None], dtype=float)
    if values.size == 0:
        return None
    return float(values.mean()), float(values.std())


def summarize(rows, kinds):
    summary = {}
    for row in rows:
        summary.setdefault(row["dataset"], {}).setdefault(row["kind"], []).append(row)
    table = {}
    for dataset, by_kind in summary.items():
        table[dataset] = {
            kind: {
                "r2": _mean_std(r["r2"] for r in runs),
                "connections": _mean_std(r["connections"] for r in runs),
                "fit_seconds": _mean_std(r["fit_seconds"] for r in runs),
                "r2_per_target": np.mean([r["r2_per_target"] for r in runs], 0),
            }
            for kind, runs in by_kind.items()
        }
    return table


def _cell(stat, fmt):
    return "" if stat is None else f"{stat[0]:{fmt}} ± {stat[1]:{fmt}}"


def markdown(table, kinds, seeds):
    head = ["dataset"]
    for kind in kinds:
        head += [f"{kind} R²", f"{kind} conn."]
    head += ["scann/mlp time"]
    lines = [
        f"Regression suite, {seeds} seeds ({2 * seeds} for data sets under "
        f"{SMALL_ROWS} rows; mean ± std), raw targets, StandardScaler on the "
        "features; the MLP stops early above "
        f"{EARLY_STOPPING_ROWS:,d} training rows.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for dataset, by_kind in sorted(table.items()):
        cells = [dataset]
        for kind in kinds:
            stats = by_kind.get(kind)
            cells.append(_cell(stats and stats["r2"], ".3f"))
            cells.append(_cell(stats and stats["connections"], ".0f"))
        if "scann" in by_kind and "mlp" in by_kind:
            ratio = (
                by_kind["scann"]["fit_seconds"][0] / by_kind["mlp"]["fit_seconds"][0]
            )
            cells.append(f"{ratio:.1f}x")
        else:
            cells.append("")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *targets(table)]
    return "\n".join(lines)


def _verdict(ok):
    return "met" if ok else "NOT met"


def targets(table):
    both = [d for d, k in table.items() if "scann" in k and "mlp" in k]
    if not both:
        return ["Targets: not evaluated (scann, mlp)."]
    scann = np.array([table[d]["scann"]["r2"][0] for d in both])
    mlp = np.array([table[d]["mlp"]["r2"][0] for d in both])
    conn_ratio = np.exp(
        np.mean(
            [
                np.log(table[d]["mlp"]["connections"][0])
                - np.log(max(table[d]["scann"]["connections"][0], 1))
                for d in both
            ]
        )
    )
    times = {
        d: table[d]["scann"]["fit_seconds"][0] / table[d]["mlp"]["fit_seconds"][0]
        for d in both
    }
    worst = min(zip(scann - mlp, both, strict=True))
    out = [
        f"1. Mean R²: SCANN {scann.mean():.3f} vs MLP {mlp.mean():.3f}: "
        f"{_verdict(scann.mean() >= mlp.mean())}; worst data set {worst[1]} "
        f"{worst[0]:+.3f} (no set more than 0.03 below: "
        f"{_verdict(worst[0] >= -0.03)}).",
        f"2. Connections: {conn_ratio:.1f}x fewer than MLPRegressor(100) "
        f"(geometric mean; target 10x): {_verdict(conn_ratio >= 10)}.",
        "3. Fit time (SCANN / MLP): "
        + ", ".join(f"{d} {t:.1f}x" for d, t in sorted(times.items()))
        + f": {_verdict(max(times.values()) <= 3)} (target at most 3x each).",
    ]
    multi = [
        d
        for d, k in table.items()
        if "scann_separate" in k
        and "scann" in k
        and len(k["scann"]["r2_per_target"]) > 1
    ]
    for d in multi:
        gap = np.asarray(table[d]["scann"]["r2_per_target"]) - np.asarray(
            table[d]["scann_separate"]["r2_per_target"]
        )
        out.append(
            f"4. Multi-output ({d}): one network vs one per target, R² per target "
            + ", ".join(f"{g:+.3f}" for g in gap)
            + f": {_verdict(gap.min() >= -0.03)} (within 0.03)."
        )
    spread = {
        d: table[d]["scann"]["r2"][1] / max(table[d]["mlp"]["r2"][1], 1e-12)
        for d in both
    }
    out.append(
        "5. Spread of R² across splits (SCANN std / MLP std): "
        + ", ".join(f"{d} {r:.2f}x" for d, r in sorted(spread.items()))
        + f": {_verdict(max(spread.values()) <= 1.3)} (target at most 1.3x each)."
    )
    return out


def merge(paths):
    """Write ``bench_regression.{json,md}`` from several runs' result files."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    rows = [row for run in runs for row in run["rows"]]
    kinds = [k for k in KINDS if any(r["kind"] == k for r in rows)]
    seeds = max(run["meta"]["seeds"] for run in runs)
    text = markdown(
        summarize(rows, kinds), [k for k in kinds if k != "scann_separate"], seeds
    )
    print(text)
    meta = {**runs[0]["meta"], "merged_from": [Path(p).name for p in paths]}
    write_results("bench_regression", meta=meta, rows=rows, markdown=text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--models", default=",".join(KINDS))
    parser.add_argument(
        "--max-rows",
        type=int,
        default=None,
        help="subsample larger data sets to this many rows (per seed)",
    )
    parser.add_argument("--scann-params", default="{}")
    parser.add_argument("--tag", default=None)
    parser.add_argument(
        "--merge",
        nargs="+",
        default=None,
        help="combine these results files (e.g. runs split over processes) "
        "into bench_regression.json and .md instead of running",
    )
    args = parser.parse_args()
    if args.merge:
        merge(args.merge)
        return
    kinds = [k for k in args.models.split(",") if k]
    scann_params = json.loads(args.scann_params)
    rows = []
    for dataset in args.datasets.split(","):
        X, Y = load_dataset(dataset)
        n_seeds = 2 * args.seeds if X.shape[0] < SMALL_ROWS else args.seeds
        for seed in range(n_seeds):
            Xs, Ys = X, Y
            if args.max_rows and X.shape[0] > args.max_rows:
                keep = np.random.default_rng(seed).choice(
                    X.shape[0], args.max_rows, replace=False
                )
                Xs, Ys = X[keep], Y[keep]
            X_train, X_test, Y_train, Y_test = train_test_split(
                Xs, Ys, test_size=0.2, random_state=seed
            )
            for kind in kinds:
                if kind == "scann_separate" and Y.shape[1] == 1:
                    continue
                result = run_model(
                    kind, X_train, Y_train, X_test, Y_test, seed, scann_params
                )
                if result is None:
                    continue
                row = {"dataset": dataset, "seed": seed, "kind": kind, **result}
                rows.append(row)
                print(
                    f"{dataset:14s} seed {seed} {kind:15s} R² {row['r2']:.4f} "
                    f"conn {row['connections']} {row['fit_seconds']:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
    table = summarize(rows, kinds)
    text = markdown(table, [k for k in kinds if k != "scann_separate"], args.seeds)
    print(text)
    name = "bench_regression" + (f"_{args.tag}" if args.tag else "")
    write_results(
        name,
        meta={
            **environment(0),
            "seeds": args.seeds,
            "max_rows": args.max_rows,
            "scann_params": scann_params,
        },
        rows=rows,
        markdown=text,
    )


if __name__ == "__main__":
    main()

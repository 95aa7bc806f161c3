"""Benchmark: inference speed and model size of a fitted SCANN model on digits.

Compares, in one process, the compact numpy/scipy path
(``SCANNClassifier.predict_proba``), the torch module the model was trained
as (rebuilt from the same weights, float32, ``torch.no_grad``) and
``MLPClassifier(hidden_layer_sizes=(100,)).predict_proba``: the median
latency of a single-row call and the throughput on 10,000 rows, as ratios to
the MLP. Then the bytes of each model as a pickle, as a safe ``.npz`` file
and as exported C source. Writes ``results/bench_inference.{json,md}``.

Usage::

    python benchmarks/bench_inference.py [--scheme B] [--repeats 2000]
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import pickle
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from _results import RESULTS, environment, write_results
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNClassifier
from sklearn_scann._network import build_network


def median_seconds(function, repeats):
    times = np.empty(repeats)
    for i in range(repeats):
        started = time.perf_counter()
        function()
        times[i] = time.perf_counter() - started
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheme", default="B", choices=["A", "B", "C"])
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    scann = SCANNClassifier(args.scheme, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(hidden_layer_sizes=(100,), random_state=0).fit(X, y)
    arrays = scann.network_.to_arrays()
    module = build_network(scann.topology_, arrays["weights"], arrays["biases"])
    module.eval()

    def torch_proba(rows):
        with torch.no_grad():
            logits = module(torch.as_tensor(rows, dtype=torch.float32))
            return torch.softmax(logits, dim=1).numpy()

    paths = {
        "compact (numpy/scipy)": scann.predict_proba,
        "torch module": torch_proba,
        "MLPClassifier": mlp.predict_proba,
    }
    row = X[:1]
    big = np.ascontiguousarray(np.resize(X, (10_000, X.shape[1])))
    for predict in paths.values():  # warm up
        predict(row)
        predict(big)
    latency = {
        k: median_seconds(lambda f=f: f(row), args.repeats) for k, f in paths.items()
    }
    throughput = {
        k: 10_000 / median_seconds(lambda f=f: f(big), max(5, args.repeats // 100))
        for k, f in paths.items()
    }

    mlp_latency = latency["MLPClassifier"]
    mlp_throughput = throughput["MLPClassifier"]
    rows = [
        {
            "table": "speed",
            "path": name,
            "latency_us": latency[name] * 1e6,
            "latency_over_mlp": latency[name] / mlp_latency,
            "rows_per_second": throughput[name],
            "throughput_over_mlp": throughput[name] / mlp_throughput,
        }
        for name in paths
    ]

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        npz = scann.save(tmp / "scann.npz").stat().st_size
        sources = scann.export_c(tmp, name="digits_model")
        c_bytes = sum(Path(p).stat().st_size for p in sources)
    sizes = {
        "SCANN pickle": len(pickle.dumps(scann)),
        "SCANN .npz (save)": npz,
        "SCANN C source (.c + .h)": c_bytes,
        "MLPClassifier pickle": len(pickle.dumps(mlp)),
    }
    rows += [
        {
            "table": "size",
            "file": name,
            "bytes": size,
            "over_mlp_pickle": size / sizes["MLPClassifier pickle"],
        }
        for name, size in sizes.items()
    ]

    table = "\n".join(
        [
            f"SCANN scheme {args.scheme} on digits: {scann.n_connections_} "
            f"connections, hidden {scann.topology_.hidden_layer_sizes}; "
            f"MLP(100): 7,400 connections; torch threads {torch.get_num_threads()}",
            "",
            markdown(rows),
            "",
            f"SCANN weights as stored (CSR blocks + biases): {scann.model_bytes_:,d} "
            "bytes; estimated energy per inference "
            f"{scann.energy_pj_ / 1e3:.2f} nJ (45 nm cost model)",
        ]
    )
    print(table)
    meta = environment(0)
    meta["scheme"] = args.scheme
    meta["n_connections"] = int(scann.n_connections_)
    write_results("bench_inference", meta=meta, rows=rows, markdown=table, out=args.out)


def markdown(rows):
    """The speed table and the file-size table."""
    lines = [
        "| path | 1-row latency (us) | latency / MLP | rows/s on 10,000 | "
        "throughput / MLP |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        if r["table"] == "speed":
            lines.append(
                f"| {r['path']} | {r['latency_us']:.1f} | "
                f"{r['latency_over_mlp']:.2f} | {r['rows_per_second']:,.0f} | "
                f"{r['throughput_over_mlp']:.2f} |"
            )
    lines += ["", "| model file | bytes | / MLP pickle |", "|---|---:|---:|"]
    for r in rows:
        if r["table"] == "size":
            lines.append(
                f"| {r['file']} | {r['bytes']:,d} | {r['over_mlp_pickle']:.3f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()

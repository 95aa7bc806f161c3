"""Benchmark: SCANN's training overhead, fit time and peak memory as data grows.

Four measurements in one run, printed as Markdown tables and written with the
raw numbers as JSON under ``benchmarks/results/``:

A. **Epoch overhead.** One training epoch through the package's real path
   (the ``Trainer`` that ``SCANNClassifier.fit`` builds, timed around
   ``trainer.train(k)`` after a warm-up epoch) against a plain torch loop over
   the same ``MaskedNetwork``, the same optimizer (type and settings copied
   from the package's), batch size and float32 tensors, shuffled with
   ``torch.randperm`` every epoch. Both train on all rows (no validation
   split). Repeats alternate the two sides; the median is reported.
B. **Fit time** of ``SCANNClassifier`` (scheme B, one starting hidden layer
   of 100) against ``MLPClassifier(hidden_layer_sizes=(100,))`` for the same
   number of epochs, as rows grow (40 features) and as features grow (fixed
   rows). SCANN's epochs are read from ``history_``; the MLP gets
   ``max_iter`` equal to them with early stopping off. SCANN trains on 80%
   of the rows (its default ``validation_fraction=0.2``) and the MLP on all
   of them, so a second ratio is given per trained row-epoch.
C. **Peak memory** of each fit in B. Every fit runs in its own freshly
   spawned process that generates the data, pays torch's / scikit-learn's
   lazy initialisation with a tiny warm-up fit, hands freed memory back
   (``malloc_trim``), resets the kernel's peak-RSS mark where
   ``/proc/self/clear_refs`` allows it, and reads the peak RSS before and
   after the fit: ``VmHWM`` on Linux, else ``ru_maxrss`` (both are kept in
   the JSON; a spawned process's ``ru_maxrss`` never drops below its
   parent's peak, so the parent imports nothing heavy before the children
   have run). Fit times in B are measured inside those processes too. The
   MLP's process never imports torch, so its absolute peak does not include
   torch's runtime; SCANN's does.
D. **Peak memory at scale**: a default fit, shortened to a few epochs per
   phase, on 10^6 x 20 rows (early stopping on), against the data's own
   size.

The data is ``make_classification`` (``n_informative=min(20, features // 2)``,
5 classes). Timings on a shared machine are noisy: look at the ratios, which
compare runs made in the same invocation, and rerun before trusting a
difference of a few tens of percent. On a small machine that other jobs
share, pass ``--threads 1``: torch's default of one intra-op thread per core
makes these small matrix products wait on busy cores (measured on a loaded
2-core machine: one epoch of the plain torch loop took 7 s with 2 threads
against 0.07 s with 1), which swamps everything measured here.

Usage::

    python benchmarks/bench_scaling.py [--quick] [--seed 0] [--threads N]
                                       [--repeats 3] [--out benchmarks/results]
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import ctypes
import gc
import multiprocessing
import os
import resource
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification

BATCH_SIZE = 200
HIDDEN = (100,)
# SCANN's schedule for part B: initial training plus 2 rounds of (prune, grow).
N_ROUNDS, EPOCHS_PER_STEP, INITIAL_EPOCHS = 2, 2, 4
TARGET_EPOCH_RATIO = 1.3
TARGET_FIT_RATIO = 2.0
TARGET_MEMORY_RATIO = 2.0
# Part D: the fit's peak RSS at most the data's own size plus this.
TARGET_MEMORY_OVER_DATA_MIB = 500
MEMORY_FEATURES = 20

SIZES = {
    "full": {
        "overhead_rows": [20_000, 100_000],
        "fit_rows": [1_000, 10_000, 100_000],
        "fit_features": [10, 100, 1_000],
        "fixed_rows": 10_000,
        "target_rows": 100_000,
        "memory_rows": 1_000_000,
    },
    "quick": {
        "overhead_rows": [1_000, 5_000],
        "fit_rows": [1_000, 5_000],
        "fit_features": [10, 100],
        "fixed_rows": 5_000,
        "target_rows": 5_000,
        "memory_rows": 50_000,
    },
}
OVERHEAD_FEATURES = 40


def synthetic(n_samples, n_features, seed):
    n_informative = min(20, n_features // 2)
    return make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=min(2, n_features - n_informative),
        n_classes=5,
        random_state=seed,
    )


# -- helpers run in the child processes -----------------------------------------


def _limit_threads(threads, *, with_torch):
    """Apply ``--threads`` to torch (if used) and to numpy's BLAS; return the count."""
    if threads is not None:
        from threadpoolctl import threadpool_limits

        # The MLP's arithmetic runs in numpy's BLAS: limit it too, for fairness.
        threadpool_limits(limits=threads)
    if not with_torch:
        return None
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def _memory_mib():
    """Peak and current RSS of this process, in MiB.

    ``ru_maxrss`` of a spawned process starts at the *spawning* process's
    peak (the kernel carries it over at exec), so it cannot go below the
    parent's size. ``VmHWM`` in ``/proc/self/status`` belongs to this
    process alone and is used as the peak where Linux provides it.
    """
    scale = 1024**2 if sys.platform == "darwin" else 1024  # bytes vs KiB
    memory = {"ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale}
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    memory[line[:5]] = int(line.split()[1]) / 1024
    except OSError:
        pass
    memory["peak"] = memory.get("VmHWM", memory["ru_maxrss"])
    memory["current"] = memory.get("VmRSS")
    return memory


def _reset_peak_rss():
    """Lower the kernel's peak-RSS mark to the current RSS (Linux only).

    Without it a transient of the data generation would hide the fit's peak.
    Memory freed earlier is first handed back to the system, so that the fit
    cannot reuse it unseen.
    """
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _scann(seed, **params):
    from sklearn_scann import SCANNClassifier

    # A fixed number of epochs: no early stopping, whatever the size.
    return SCANNClassifier(
        "B",
        hidden_layer_sizes=HIDDEN,
        batch_size=BATCH_SIZE,
        early_stopping=False,
        random_state=seed,
    ).set_params(**params)


def _mlp(seed, epochs):
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(
        hidden_layer_sizes=HIDDEN,
        solver="adam",
        batch_size=BATCH_SIZE,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        early_stopping=False,
        random_state=seed,
    )


def fit_child(task):
    """One fit in a fresh process: time, epochs and peak memory."""
    from sklearn.exceptions import ConvergenceWarning

    model, n_samples, n_features = task["model"], task["rows"], task["features"]
    seed, epochs = task["seed"], task.get("epochs")
    torch_threads = _limit_threads(task["threads"], with_torch=model == "SCANN")
    X, y = synthetic(n_samples, n_features, seed)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    # Warm-up on a few rows so lazy initialisation is not charged to the fit.
    if model == "SCANN":
        _scann(seed, n_rounds=1, epochs_per_step=1, initial_epochs=1).fit(
            X[:300], y[:300]
        )
        # A fixed number of epochs: every round runs (fixed schedule), no
        # update floor raises a step's epochs and no fine-tuning follows.
        estimator = _scann(
            seed,
            n_rounds=N_ROUNDS,
            epochs_per_step=EPOCHS_PER_STEP,
            initial_epochs=INITIAL_EPOCHS,
            min_updates_per_step=1,
            pruning_schedule="fixed",
            fine_tune=False,
        )
    else:
        _mlp(seed, 1).fit(X[:300], y[:300])
        estimator = _mlp(seed, epochs)
    reset = _reset_peak_rss()
    before = _memory_mib()
    started = time.perf_counter()
    estimator.fit(X, y)
    seconds = time.perf_counter() - started
    after = _memory_mib()
    if model == "SCANN":
        epochs = int(sum(h["epochs"] for h in estimator.history_))
        held_out = int(np.ceil(estimator.validation_fraction * n_samples))
        trained_rows = n_samples - held_out
    else:
        if estimator.n_iter_ != epochs:
            raise RuntimeError(f"MLP ran {estimator.n_iter_} epochs, not {epochs}")
        trained_rows = n_samples
    return {
        "model": model,
        "rows": n_samples,
        "features": n_features,
        "epochs": epochs,
        "trained_rows": trained_rows,
        "data_mib": X.nbytes / 2**20,
        "seconds": seconds,
        "rss_before_mib": before["current"],
        "peak_before_mib": before["peak"],
        "peak_after_mib": after["peak"],
        "peak_increase_mib": after["peak"] - before["peak"],
        "ru_maxrss_before_mib": before["ru_maxrss"],
        "ru_maxrss_after_mib": after["ru_maxrss"],
        "peak_reset": reset,
        "torch_threads": torch_threads,
    }


def memory_child(task):
    """A default fit, shortened, on a large X in a fresh process: its peak RSS.

    Early stopping is on (the size turns it on), so every kind of pass over
    the data runs: the start's epochs and validation passes, steps, growth
    scores and the fine-tune on every row; a few epochs of each suffice,
    since what is measured is the copies of the data, not the arithmetic.
    """
    from sklearn_scann import SCANNClassifier

    _limit_threads(task["threads"], with_torch=True)
    X, y = synthetic(task["rows"], task["features"], task["seed"])
    SCANNClassifier(n_rounds=1, initial_epochs=1, random_state=0).fit(X[:300], y[:300])
    estimator = SCANNClassifier(
        n_rounds=2,
        epochs_per_step=1,
        initial_epochs=1,
        max_iter=3,
        n_iter_no_change=1,
        random_state=task["seed"],
    )
    _reset_peak_rss()
    before = _memory_mib()
    started = time.perf_counter()
    estimator.fit(X, y)
    seconds = time.perf_counter() - started
    after = _memory_mib()
    return {
        "rows": task["rows"],
        "features": task["features"],
        "data_mib": X.nbytes / 2**20,
        "seconds": seconds,
        "rss_before_mib": before["current"],
        "peak_after_mib": after["peak"],
        "peak_increase_mib": after["peak"] - before["peak"],
        "early_stopping": bool(estimator._follows_convergence(task["rows"])),
    }


def _plain_epochs(module, optimizer, X, y, epochs):
    """The reference loop: shuffle, forward, cross-entropy, backward, step."""
    import torch

    criterion = torch.nn.CrossEntropyLoss()
    module.train()
    n = X.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n)
        for start in range(0, n, BATCH_SIZE):
            index = order[start : start + BATCH_SIZE]
            optimizer.zero_grad()
            # The module applies its masks in forward (W * M), as in the package.
            loss = criterion(module(X[index]), y[index])
            loss.backward()
            optimizer.step()


def overhead_child(task):
    """Seconds per epoch: the package's Trainer vs a plain torch loop."""
    torch_threads = _limit_threads(task["threads"], with_torch=True)
    import torch

    from sklearn_scann._network import build_network
    from sklearn_scann._schemes import SCHEMES, initial_network
    from sklearn_scann._training import BatchDataset, Trainer

    seed, n_samples, n_features = task["seed"], task["rows"], task["features"]
    X, y = synthetic(n_samples, n_features, seed)
    torch.manual_seed(seed)
    scheme = SCHEMES["B"]
    defaults = _scann(seed).get_params()
    topology, weights, biases = initial_network(
        (n_features, *HIDDEN, 5),
        skip=scheme.skip,
        density=scheme.density,
        rng=np.random.default_rng(seed),
    )
    # As SCANNClassifier.fit builds it (there on the training part of a split).
    trainer = Trainer(
        BatchDataset(X, y, np.ones(n_samples)),
        solver=defaults["solver"],
        learning_rate=defaults["learning_rate"],
        momentum=defaults["momentum"],
        alpha=_scann(seed)._alpha(n_samples),
        batch_size=BATCH_SIZE,
        device="cpu",
        seed=seed,
    )
    trainer.set_parameters(topology, weights, biases)

    module = build_network(topology, weights, biases)
    used = trainer.net.optimizer_
    optimizer = type(used)(module.parameters(), **used.defaults)
    X_plain = torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32))
    y_plain = torch.as_tensor(y.astype(np.int64))

    def scann_epochs(k):
        trainer.train(k)

    def plain_epochs(k):
        _plain_epochs(module, optimizer, X_plain, y_plain, k)

    def per_epoch(run, k):
        started = time.perf_counter()
        run(k)
        return (time.perf_counter() - started) / k

    scann_epochs(1)
    plain_epochs(1)
    scann, plain = [], []
    k = task["epochs_per_repeat"]
    for repeat in range(task["repeats"]):
        # Alternate which side goes first so drifts in machine load cancel.
        if repeat % 2 == 0:
            scann.append(per_epoch(scann_epochs, k))
            plain.append(per_epoch(plain_epochs, k))
        else:
            plain.append(per_epoch(plain_epochs, k))
            scann.append(per_epoch(scann_epochs, k))
    return {
        "rows": n_samples,
        "features": n_features,
        "batches_per_epoch": -(-n_samples // BATCH_SIZE),
        "epochs_per_repeat": k,
        "scann_epoch_s": scann,
        "plain_epoch_s": plain,
        "scann_median_s": statistics.median(scann),
        "plain_median_s": statistics.median(plain),
        "ratio": statistics.median(scann) / statistics.median(plain),
        "optimizer": f"{type(used).__name__}({_describe(used.defaults)})",
        "torch_threads": torch_threads,
    }


def _describe(defaults):
    keys = ("lr", "weight_decay", "momentum", "nesterov", "fused")
    return ", ".join(f"{k}={defaults[k]}" for k in keys if k in defaults)


# -- the parent ------------------------------------------------------------------


def in_fresh_process(function, task):
    """Run ``function(task)`` in a newly spawned interpreter and return its result."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes=1) as pool:
        return pool.apply(function, (task,))


def run_overhead(sizes, args):
    rows = []
    for n_samples in sizes["overhead_rows"]:
        task = {
            "rows": n_samples,
            "features": OVERHEAD_FEATURES,
            "seed": args.seed,
            "threads": args.threads,
            "repeats": args.epoch_repeats,
            "epochs_per_repeat": 3 if n_samples <= 20_000 else 2,
        }
        rows.append(in_fresh_process(overhead_child, task))
        print(f"  overhead {n_samples:,d} rows done", flush=True)
    return rows


def run_fits(sizes, args):
    configs = [("rows", n, OVERHEAD_FEATURES) for n in sizes["fit_rows"]]
    configs += [("features", sizes["fixed_rows"], f) for f in sizes["fit_features"]]
    # Scheme B: a pruning step, then a growth step trained half as long.
    expected = INITIAL_EPOCHS + N_ROUNDS * (EPOCHS_PER_STEP + EPOCHS_PER_STEP // 2)
    results = []
    for sweep, n_samples, n_features in configs:
        runs = {"SCANN": [], "MLP": []}
        for _ in range(args.repeats):
            base = {
                "rows": n_samples,
                "features": n_features,
                "seed": args.seed,
                "threads": args.threads,
            }
            scann = in_fresh_process(fit_child, {**base, "model": "SCANN"})
            if scann["epochs"] != expected:
                raise RuntimeError(
                    f"SCANN trained {scann['epochs']} epochs, expected {expected}"
                )
            mlp = in_fresh_process(
                fit_child, {**base, "model": "MLP", "epochs": scann["epochs"]}
            )
            runs["SCANN"].append(scann)
            runs["MLP"].append(mlp)
        results.append(summarise(sweep, n_samples, n_features, runs))
        print(
            f"  fit {n_samples:,d} x {n_features:,d}: SCANN "
            f"{results[-1]['scann_seconds']:.2f} s, MLP "
            f"{results[-1]['mlp_seconds']:.2f} s",
            flush=True,
        )
    return results


def summarise(sweep, n_samples, n_features, runs):
    def median(model, key):
        return statistics.median(r[key] for r in runs[model])

    scann_s, mlp_s = median("SCANN", "seconds"), median("MLP", "seconds")
    epochs = runs["SCANN"][0]["epochs"]
    scann_rows, mlp_rows = runs["SCANN"][0]["trained_rows"], runs["MLP"][0]["rows"]
    scann_mem = median("SCANN", "peak_increase_mib")
    mlp_mem = median("MLP", "peak_increase_mib")
    scann_peak = median("SCANN", "peak_after_mib")
    mlp_peak = median("MLP", "peak_after_mib")
    return {
        "sweep": sweep,
        "rows": n_samples,
        "features": n_features,
        "epochs": epochs,
        "scann_trained_rows": scann_rows,
        "mlp_trained_rows": mlp_rows,
        "scann_seconds": scann_s,
        "mlp_seconds": mlp_s,
        "time_ratio": scann_s / mlp_s,
        "time_ratio_per_row_epoch": (scann_s / scann_rows) / (mlp_s / mlp_rows),
        "scann_peak_increase_mib": scann_mem,
        "mlp_peak_increase_mib": mlp_mem,
        # A ratio of two near-zero increases says nothing: below 1 MiB, none.
        "memory_increase_ratio": scann_mem / mlp_mem if mlp_mem >= 1 else None,
        "scann_peak_rss_mib": scann_peak,
        "mlp_peak_rss_mib": mlp_peak,
        "peak_rss_ratio": scann_peak / mlp_peak,
        "data_mib": runs["MLP"][0]["data_mib"],
        "runs": runs,
    }


def _verdict(ratio, target):
    return "met" if ratio <= target else "MISSED"


def overhead_table(rows):
    lines = [
        "| rows x features | batches/epoch | SCANN epoch ms | plain torch epoch ms "
        f"| SCANN / plain (target <= {TARGET_EPOCH_RATIO}x) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['rows']:,d} x {r['features']} | {r['batches_per_epoch']} | "
            f"{1e3 * r['scann_median_s']:.1f} | {1e3 * r['plain_median_s']:.1f} | "
            f"{r['ratio']:.2f}x ({_verdict(r['ratio'], TARGET_EPOCH_RATIO)}) |"
        )
    return "\n".join(lines)


def time_table(rows):
    lines = [
        "| sweep | rows x features | epochs | SCANN fit s | MLP fit s | SCANN / MLP "
        "| per trained row-epoch |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['sweep']} | {r['rows']:,d} x {r['features']:,d} | {r['epochs']} | "
            f"{r['scann_seconds']:.2f} | {r['mlp_seconds']:.2f} | "
            f"{r['time_ratio']:.2f}x | {r['time_ratio_per_row_epoch']:.2f}x |"
        )
    return "\n".join(lines)


def memory_table(rows):
    lines = [
        "| sweep | rows x features | data MiB | SCANN peak +MiB | MLP peak +MiB "
        "| increase SCANN / MLP | SCANN peak RSS MiB | MLP peak RSS MiB "
        "| peak RSS SCANN / MLP |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        increase = r["memory_increase_ratio"]
        increase = "-" if increase is None else f"{increase:.2f}x"
        lines.append(
            f"| {r['sweep']} | {r['rows']:,d} x {r['features']:,d} | "
            f"{r['data_mib']:.1f} | {r['scann_peak_increase_mib']:.2f} | "
            f"{r['mlp_peak_increase_mib']:.2f} | {increase} | "
            f"{r['scann_peak_rss_mib']:.0f} | {r['mlp_peak_rss_mib']:.0f} | "
            f"{r['peak_rss_ratio']:.2f}x |"
        )
    return "\n".join(lines)


def large_memory_table(r):
    return "\n".join(
        [
            "| rows x features | data MiB | RSS before fit MiB | peak RSS MiB "
            "| peak RSS - data MiB | fit s |",
            "|---|---:|---:|---:|---:|---:|",
            f"| {r['rows']:,d} x {r['features']} | {r['data_mib']:.0f} | "
            f"{r['rss_before_mib']:.0f} | {r['peak_after_mib']:.0f} | "
            f"{r['peak_after_mib'] - r['data_mib']:.0f} | {r['seconds']:.1f} |",
        ]
    )


def large_target(r):
    over = r["peak_after_mib"] - r["data_mib"]
    verdict = "met" if over <= TARGET_MEMORY_OVER_DATA_MIB else "MISSED"
    return (
        f"- peak RSS of a fit at {r['rows']:,d} x {r['features']}: the data's "
        f"{r['data_mib']:.0f} MiB + {over:.0f} MiB (target: + at most "
        f"{TARGET_MEMORY_OVER_DATA_MIB} MiB, torch's runtime included): {verdict}"
    )


def targets(overhead, fits, target_rows):
    at_target = [r for r in fits if r["sweep"] == "rows" and r["rows"] == target_rows]
    lines = []
    for r in overhead:
        lines.append(
            f"- epoch overhead at {r['rows']:,d} rows: {r['ratio']:.2f}x "
            f"(target <= {TARGET_EPOCH_RATIO}x): "
            f"{_verdict(r['ratio'], TARGET_EPOCH_RATIO)}"
        )
    for r in at_target:
        lines.append(
            f"- fit time at {target_rows:,d} rows: {r['time_ratio']:.2f}x MLP "
            f"(target <= {TARGET_FIT_RATIO}x): "
            f"{_verdict(r['time_ratio'], TARGET_FIT_RATIO)}"
        )
        lines.append(
            f"- peak RSS at {target_rows:,d} rows: {r['peak_rss_ratio']:.2f}x MLP "
            f"(target <= {TARGET_MEMORY_RATIO}x): "
            f"{_verdict(r['peak_rss_ratio'], TARGET_MEMORY_RATIO)}"
        )
        increase = r["memory_increase_ratio"]
        lines.append(
            f"- peak increase during the fit at {target_rows:,d} rows: SCANN "
            f"{r['scann_peak_increase_mib']:.2f} MiB, MLP "
            f"{r['mlp_peak_increase_mib']:.2f} MiB"
            + (
                f" ({increase:.2f}x; target <= {TARGET_MEMORY_RATIO}x: "
                f"{_verdict(increase, TARGET_MEMORY_RATIO)})"
                if increase is not None
                else " (MLP's increase is under 1 MiB: no meaningful ratio)"
            )
        )
    return "\n".join(lines)


def meta(args, load_average):
    """The shared benchmark environment plus this run's settings."""
    # Imported only after the children ran: _results imports torch, and a
    # parent holding torch would raise every child's ru_maxrss floor.
    from _results import environment
    from threadpoolctl import threadpool_info

    info = environment(args.seed)
    info.update(
        {
            "load_average_at_start": load_average,
            # What the children ran with: --threads, or each library's default.
            "torch_threads": args.threads or info["torch_threads"],
            "blas_threads": args.threads
            or [pool["num_threads"] for pool in threadpool_info()],
            "quick": args.quick,
            "repeats": args.repeats,
            "epoch_repeats": args.epoch_repeats,
            "scann_schedule": {
                "scheme": "B",
                "hidden_layer_sizes": HIDDEN,
                "n_rounds": N_ROUNDS,
                "epochs_per_step": EPOCHS_PER_STEP,
                "initial_epochs": INITIAL_EPOCHS,
                "batch_size": BATCH_SIZE,
            },
        }
    )
    return info


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke-test sizes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch (and BLAS) threads in every child; default: library defaults",
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="fits per size (default 3; quick 1)"
    )
    parser.add_argument(
        "--epoch-repeats",
        type=int,
        default=None,
        help="timed repeats of the epoch comparison (default 7; quick 3)",
    )
    # Same folder as _results.RESULTS, without importing it (and torch) here.
    parser.add_argument(
        "--out", default=str(Path(__file__).resolve().parent / "results")
    )
    args = parser.parse_args()
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.epoch_repeats is None:
        args.epoch_repeats = 3 if args.quick else 7
    sizes = SIZES["quick" if args.quick else "full"]
    load_average = os.getloadavg()

    print("A. Epoch overhead", flush=True)
    overhead = run_overhead(sizes, args)
    print("B/C. Fit time and peak memory", flush=True)
    fits = run_fits(sizes, args)
    print("D. Peak memory of a large fit", flush=True)
    large = in_fresh_process(
        memory_child,
        {
            "rows": sizes["memory_rows"],
            "features": MEMORY_FEATURES,
            "seed": args.seed,
            "threads": args.threads,
        },
    )
    # Only now: torch imported here would swell the children's ru_maxrss.
    info = meta(args, load_average)

    report = "\n\n".join(
        [
            "## A. Epoch overhead: SCANN training path vs plain torch loop "
            f"({overhead[0]['optimizer']}, batch {BATCH_SIZE}, median of "
            f"{args.epoch_repeats})",
            overhead_table(overhead),
            f"## B. Fit time, same epochs (median of {args.repeats})",
            time_table(fits),
            "## C. Peak memory of the fit (increase over the pre-fit RSS)",
            memory_table(fits),
            "## D. Peak memory of a default fit (shortened) on a large X",
            large_memory_table(large),
            "## Targets",
            targets(overhead, fits, sizes["target_rows"]) + "\n" + large_target(large),
            f"Machine: {info['machine']}, {info['cpu_count']} CPUs, load average "
            f"at start {', '.join(f'{x:.2f}' for x in info['load_average_at_start'])}; "
            f"torch threads {info['torch_threads']}, BLAS threads "
            f"{info['blas_threads']}"
            + (" (--threads)" if args.threads else " (library defaults)")
            + "; read ratios, not absolute times.",
        ]
    )
    print("\n" + report)
    from _results import write_results

    rows = [{"part": "epoch_overhead", **r} for r in overhead]
    rows += [{"part": "fit", **r} for r in fits]
    rows += [{"part": "large_memory", **large}]
    write_results("bench_scaling", meta=info, rows=rows, markdown=report, out=args.out)


if __name__ == "__main__":
    main()

"""Benchmark: inference speed and model size of a fitted SCANN model on digits.

Compares, in one process, the compact numpy/scipy path
(``SCANNClassifier.predict_proba``), the torch module the model was trained
as (rebuilt from the same weights, float32, ``torch.no_grad``) and
``MLPClassifier(hidden_layer_sizes=(100,)).predict_proba``: the median
latency of a single-row call and the throughput on 10,000 rows, as ratios to
the MLP. Then the bytes of each model as a pickle, as a safe ``.npz`` file
and as exported C source. Writes ``results/bench_inference.{json,md}``.

The C section compares SCANN's ``export_c`` (float and int8) with emlearn's
C code for ``MLPClassifier`` on a stratified split of digits: test accuracy
of each C build run by a C driver, weight bytes, ``.text + .data`` of the
object (``size``) and time per prediction; then, when ``sklearn_scann.onnx``
and onnxruntime are installed, ONNX bytes and single-row latency. It needs
``emlearn`` (a benchmark-only dependency) and a C compiler, and writes
``results/bench_inference_c.{json,md}``.

The suite section times ``predict_proba`` of default ``SCANNClassifier``
and ``MLPClassifier(100)`` at 1, 1,000 and 200,000 rows on every data set
of ``bench_suite.py`` and writes ``results/bench_inference_suite.{json,md}``.

Usage::

    python benchmarks/bench_inference.py [--scheme B] [--repeats 2000]
        [--section all|python|c|suite] [--c-repeats 200]
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import importlib.util
import pickle
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from _results import RESULTS, environment, write_results
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNClassifier, quantization_report
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
    parser.add_argument(
        "--section", default="all", choices=["all", "python", "c", "suite"]
    )
    parser.add_argument(
        "--c-repeats", type=int, default=200, help="passes over the test rows"
    )
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    if args.section in ("all", "python"):
        python_paths(args)
    if args.section in ("all", "c"):
        c_builds(args)
    if args.section in ("all", "suite"):
        suite_batches(args)


# Batch sizes of the suite section, and the repeats each is timed over.
SUITE_BATCHES = {1: 200, 1_000: 20, 200_000: 3}


def suite_batches(args):
    """``predict_proba`` at 1, 1,000 and 200,000 rows on every suite data set.

    Default ``SCANNClassifier`` and ``MLPClassifier(100)`` are fitted on
    seed 0's training split (``bench_suite.py``'s split and preprocessing);
    the batches are rows of its test split drawn with replacement, float64
    as the preprocessing gives them. One row: the median over many calls;
    larger batches: the fastest of a few. The ratio is SCANN's time over the
    MLP's.
    """
    from bench_suite import DATASETS, load_dataset, preprocessor, split

    rows = []
    for name in DATASETS:
        X, y = load_dataset(name)
        X_train, X_test, y_train, _ = split(X, y, 0)
        prep = preprocessor(X).fit(X_train)
        train = np.asarray(prep.transform(X_train), dtype=np.float64)
        test = np.asarray(prep.transform(X_test), dtype=np.float64)
        scann = SCANNClassifier(random_state=0).fit(train, y_train)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp = MLPClassifier((100,), random_state=0).fit(train, y_train)
        draw = np.random.default_rng(0).integers(0, len(test), max(SUITE_BATCHES))
        batch = np.ascontiguousarray(test[draw])
        row = {
            "dataset": name,
            "scann_connections": int(scann.n_connections_),
            "mlp_connections": int(sum(c.size for c in mlp.coefs_)),
        }
        for n, repeats in SUITE_BATCHES.items():
            rows_n = batch[:n]
            for model in ("scann", "mlp"):
                predict = (scann if model == "scann" else mlp).predict_proba
                predict(rows_n)  # warm up (kernels, BLAS)
                timer = median_seconds if n == 1 else fastest_seconds
                row[f"{model}_{n}"] = timer(lambda p=predict: p(rows_n), repeats)
        rows.append(row)
        print(
            f"{name}: "
            + ", ".join(
                f"{n:,d} rows {row[f'scann_{n}'] / row[f'mlp_{n}']:.2f}x"
                for n in SUITE_BATCHES
            ),
            flush=True,
        )
    text = suite_markdown(rows)
    print(text)
    write_results(
        "bench_inference_suite",
        meta=environment(0),
        rows=rows,
        markdown=text,
        out=args.out,
    )


def fastest_seconds(function, repeats):
    """The fastest of ``repeats`` timed calls, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def suite_markdown(rows):
    """The suite section's table and its targets."""
    header = (
        "| data set | SCANN conn | MLP conn | "
        + " | ".join(f"{n:,d} rows: SCANN / MLP time" for n in SUITE_BATCHES)
        + " | 200,000 rows: SCANN rows/s |"
    )
    lines = [header, "|---|---:|---:|" + "---:|" * (len(SUITE_BATCHES) + 1)]
    for r in rows:
        ratios = [r[f"scann_{n}"] / r[f"mlp_{n}"] for n in SUITE_BATCHES]
        lines.append(
            f"| {r['dataset']} | {r['scann_connections']:,d} | "
            f"{r['mlp_connections']:,d} | "
            + " | ".join(f"{x:.2f}x" for x in ratios)
            + f" | {200_000 / r['scann_200000']:,.0f} |"
        )
    big = {r["dataset"]: r["scann_200000"] / r["mlp_200000"] for r in rows}
    slow = [f"{k} ({v:.2f}x)" for k, v in big.items() if v > 1]
    compact = {
        r["dataset"]: big[r["dataset"]]
        for r in rows
        if r["mlp_connections"] >= 20 * r["scann_connections"]
    }
    short = [f"{k} ({1 / v:.1f}x faster)" for k, v in compact.items() if v > 0.2]
    single = {r["dataset"]: r["scann_1"] / r["mlp_1"] for r in rows}
    late = [f"{k} ({v:.2f}x)" for k, v in single.items() if v > 0.2]

    def verdict(failed):
        return "not met" if failed else "met"

    lines += [
        "",
        "## Targets",
        "",
        f"1. At 200,000 rows at least as fast as the MLP on every data set: "
        f"**{verdict(slow)}**" + (f" ({', '.join(slow)})." if slow else "."),
        f"2. At 200,000 rows at least 5x faster where SCANN has 20x fewer "
        f"connections ({len(compact)} data sets): **{verdict(short)}**"
        + (f" ({', '.join(short)})." if short else "."),
        f"3. One row at most 0.2x the MLP's latency: **{verdict(late)}**"
        + (f" ({', '.join(late)})." if late else "."),
    ]
    return "\n".join(lines)


def python_paths(args):
    """Latency, throughput and file sizes of the Python paths."""
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


C_FLAGS = ["-std=c99", "-O2"]

# Reads the row count and the rows (already standardized) from stdin, prints
# one predicted class index per row, then the fastest of TIMING_ROUNDS timed
# loops over all rows, in nanoseconds per prediction.
C_DRIVER = """\
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
{declarations}

#define TIMING_ROUNDS 5

int main(int argc, char **argv)
{{
    long repeats = argc > 1 ? strtol(argv[1], NULL, 10) : 100, r;
    int n_rows, i, round;
    float *rows;
    volatile long sink = 0;
    double best = -1.0, seconds;
    clock_t started;

    if (scanf("%d", &n_rows) != 1)
        return 1;
    rows = malloc(sizeof(float) * (size_t)n_rows * N_FEATURES);
    if (rows == NULL)
        return 1;
    for (i = 0; i < n_rows * N_FEATURES; ++i)
        if (scanf("%f", &rows[i]) != 1)
            return 1;
    for (i = 0; i < n_rows; ++i)
        printf("%d\\n", PREDICT(rows + (size_t)i * N_FEATURES));
    for (round = 0; round < TIMING_ROUNDS; ++round) {{
        started = clock();
        for (r = 0; r < repeats; ++r)
            for (i = 0; i < n_rows; ++i)
                sink += PREDICT(rows + (size_t)i * N_FEATURES);
        seconds = (double)(clock() - started) / CLOCKS_PER_SEC;
        if (best < 0.0 || seconds < best)
            best = seconds;
    }}
    printf("ns %.3f\\n", 1e9 * best / ((double)repeats * n_rows));
    free(rows);
    return 0;
}}
"""


def c_builds(args):
    """SCANN's export_c (float, int8) against emlearn's MLP C code, compiled alike."""
    if importlib.util.find_spec("emlearn") is None:
        print("C section skipped: emlearn is not installed (pip install emlearn)")
        return
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None or shutil.which("size") is None:
        print("C section skipped: needs a C compiler (cc or gcc) and size")
        return
    import emlearn

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    # Scaling happens in Python for every build: the C drivers read rows that
    # are already standardized, so no C build contains the scaler.
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    scann = SCANNClassifier(args.scheme, random_state=0).fit(X_train, y_train)
    mlps = {}
    for width in (100, 32):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlps[width] = MLPClassifier(
                hidden_layer_sizes=(width,), random_state=0
            ).fit(X_train, y_train)
    report = quantization_report(
        scann, X_test, y_test, dtype="int8", X_calibration=X_train
    )
    n_features = X.shape[1]

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        builds = []
        for width, mlp in mlps.items():
            name = f"mlp{width}"
            method = save_emlearn(emlearn, mlp, tmp / f"{name}.c", name)
            builds.append(
                {
                    "build": f"emlearn MLP({width}) float ({method})",
                    "name": name,
                    "declarations": (
                        "#include <stdint.h>\n"
                        f"int32_t {name}_predict(const float *f, int32_t n);\n"
                        f"#define N_FEATURES {n_features}\n"
                        f"#define PREDICT(x) (int){name}_predict(x, N_FEATURES)"
                    ),
                    "weight_bytes": 4
                    * sum(w.size for w in mlp.coefs_ + mlp.intercepts_),
                    "connections": sum(w.size for w in mlp.coefs_),
                    "python_accuracy": mlp.score(X_test, y_test),
                    "python_predictions": mlp.predict(X_test),
                }
            )
        for dtype, name, weight_bytes, python_accuracy in (
            ("float", "scann_f32", "weight_bytes_float", scann.score(X_test, y_test)),
            ("int8", "scann_i8", "weight_bytes_quantized", report["score_quantized"]),
        ):
            calibration = X_train if dtype == "int8" else None
            scann.export_c(tmp, name=name, dtype=dtype, X_calibration=calibration)
            builds.append(
                {
                    "build": f"SCANN export_c {dtype}",
                    "name": name,
                    "declarations": (
                        f'#include "{name}.h"\n'
                        f"#define N_FEATURES {name.upper()}_N_FEATURES\n"
                        f"#define PREDICT(x) {name}_predict(x)"
                    ),
                    "weight_bytes": report[weight_bytes],
                    "connections": int(scann.n_connections_),
                    "python_accuracy": python_accuracy,
                    "python_predictions": scann.predict(X_test),
                }
            )

        rows_text = "\n".join(
            [str(len(X_test))] + [" ".join(f"{v:.9g}" for v in row) for row in X_test]
        )
        include = ["-I", str(tmp), "-I", emlearn.includedir]
        for build in builds:
            name = build["name"]
            obj = tmp / f"{name}.o"
            run([compiler, *C_FLAGS, *include, "-c", str(tmp / f"{name}.c"), "-o", obj])
            build.update(object_sizes(obj))
            driver = tmp / f"{name}_driver.c"
            driver.write_text(C_DRIVER.format(declarations=build["declarations"]))
            exe = tmp / f"{name}_driver"
            run([compiler, *C_FLAGS, *include, str(driver), str(obj), "-o", exe, "-lm"])
            lines = run([exe, str(args.c_repeats)], stdin=rows_text).split()
            indices = np.asarray(lines[: len(X_test)], dtype=int)
            predictions = scann.classes_[indices]
            build["c_accuracy"] = float(np.mean(predictions == y_test))
            build["agreement_with_python"] = float(
                np.mean(predictions == build.pop("python_predictions"))
            )
            build["ns_per_prediction"] = float(lines[-1])
            del build["declarations"]

    onnx_rows, onnx_note = onnx_latency(scann, mlps[100], X_test, args.repeats)
    reference = builds[0]
    for build in builds:
        build["table"] = "c"
        for key in ("weight_bytes", "text_plus_data", "ns_per_prediction"):
            build[f"{key}_over_mlp100"] = build[key] / reference[key]
    rows = builds + onnx_rows

    cc_version = run([compiler, "--version"]).splitlines()[0]
    table = "\n".join(
        [
            f"Digits, stratified 75/25 split (test: {len(X_test)} rows), "
            "StandardScaler fitted on the training rows and applied in Python "
            "before the rows reach any C driver. SCANN scheme "
            f"{args.scheme}: {scann.n_connections_} connections, hidden "
            f"{scann.topology_.hidden_layer_sizes}; int8 calibrated on the "
            f"training rows. emlearn {emlearn.__version__}; every file compiled "
            f"with `cc {' '.join(C_FLAGS)} -c` ({cc_version}); time per "
            f"prediction: fastest of 5 loops of {args.c_repeats} passes over "
            "the test rows, clock(), one core.",
            "",
            c_markdown(builds),
            "",
            flash_verdict(builds),
            "",
            onnx_note if onnx_note else onnx_markdown(onnx_rows),
        ]
    )
    print(table)
    meta = environment(0)
    meta.update(
        scheme=args.scheme,
        n_connections=int(scann.n_connections_),
        emlearn=emlearn.__version__,
        compiler=cc_version,
        c_flags=C_FLAGS,
        c_repeats=args.c_repeats,
        n_test=len(X_test),
        onnx=onnx_note or "measured",
    )
    write_results(
        "bench_inference_c", meta=meta, rows=rows, markdown=table, out=args.out
    )


def save_emlearn(emlearn, mlp, path, name):
    """Write emlearn's C code for ``mlp``; returns the method that worked.

    emlearn 0.23's ``inline`` code generation for an MLP fails (it writes the
    activation's C name where it expects an integer), so fall back to
    ``loadable`` when it does.
    """
    try:
        emlearn.convert(mlp, method="inline").save(
            file=str(path), name=name, inference=["inline"]
        )
        return "inline"
    except ValueError:
        emlearn.convert(mlp, method="loadable").save(file=str(path), name=name)
        return "loadable"


def run(command, stdin=None):
    result = subprocess.run(
        [str(c) for c in command],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"{command[0]} failed:\n{result.stderr}")
    return result.stdout


def object_sizes(obj):
    """``size`` (Berkeley format) of an object; .text includes .rodata."""
    text, data, bss = run(["size", obj]).splitlines()[1].split()[:3]
    return {
        "text": int(text),
        "data": int(data),
        "bss": int(bss),
        "text_plus_data": int(text) + int(data),
    }


def onnx_latency(scann, mlp, X_test, repeats):
    """ONNX bytes and onnxruntime 1-row latency, or a note saying why not."""
    missing = [
        module
        for module in ("sklearn_scann.onnx", "skl2onnx", "onnxruntime")
        if importlib.util.find_spec(module) is None
    ]
    if missing:
        return [], f"ONNX part skipped: {', '.join(missing)} not installed."
    import onnxruntime
    import skl2onnx

    import sklearn_scann.onnx  # noqa: F401  (registers the converters)

    row = np.ascontiguousarray(X_test[:1])
    rows = []
    for label, model in (("SCANN", scann), ("MLPClassifier(100)", mlp)):
        onx = skl2onnx.to_onnx(model, row.astype(np.float32))
        payload = onx.SerializeToString()
        session = onnxruntime.InferenceSession(
            payload, providers=["CPUExecutionProvider"]
        )
        feed = {session.get_inputs()[0].name: row.astype(np.float32)}
        session.run(None, feed)
        model.predict(row)
        rows.append(
            {
                "table": "onnx",
                "model": label,
                "onnx_bytes": len(payload),
                "onnxruntime_latency_us": 1e6
                * median_seconds(lambda s=session: s.run(None, feed), repeats),
                "numpy_predict_latency_us": 1e6
                * median_seconds(lambda m=model: m.predict(row), repeats),
            }
        )
    for r in rows:
        r["onnx_bytes_over_mlp100"] = r["onnx_bytes"] / rows[-1]["onnx_bytes"]
    return rows, None


def c_markdown(builds):
    """The C builds table, ratios against emlearn's MLP(100)."""
    lines = [
        "| C build | connections | test accuracy (C) | (Python) | weight bytes | "
        "/ MLP(100) | .text + .data | / MLP(100) | ns per prediction | "
        "/ MLP(100) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for b in builds:
        lines.append(
            f"| {b['build']} | {b['connections']:,d} | {b['c_accuracy']:.4f} | "
            f"{b['python_accuracy']:.4f} | {b['weight_bytes']:,d} | "
            f"{b['weight_bytes_over_mlp100']:.3f} | {b['text_plus_data']:,d} | "
            f"{b['text_plus_data_over_mlp100']:.3f} | "
            f"{b['ns_per_prediction']:,.0f} | "
            f"{b['ns_per_prediction_over_mlp100']:.3f} |"
        )
    return "\n".join(lines)


def flash_verdict(builds):
    """Whether SCANN's int8 build is 10x smaller than emlearn's MLP(100) at no
    more than 1 point less test accuracy (C builds, both on the same rows)."""
    mlp = builds[0]
    int8 = next(b for b in builds if b["name"] == "scann_i8")
    smaller = mlp["text_plus_data"] / int8["text_plus_data"]
    loss = mlp["c_accuracy"] - int8["c_accuracy"]
    met = smaller >= 10 and loss <= 0.01
    return (
        f"Target (at least 10x less `.text + .data` than {mlp['build']} at no "
        f"more than 1 point less test accuracy): {int8['build']} is "
        f"{smaller:.2f}x smaller ({int8['text_plus_data']:,d} against "
        f"{mlp['text_plus_data']:,d} bytes) at {int8['c_accuracy']:.4f} against "
        f"{mlp['c_accuracy']:.4f}: {'met' if met else 'not met'}. Its blocks are "
        "stored as bitmasks, dense or CSR, whichever takes the fewest bytes "
        "(`export_c` Notes); a bitmask loop tests every (neuron, input) pair, "
        "hence its time per prediction."
    )


def onnx_markdown(rows):
    import onnxruntime
    import skl2onnx

    lines = [
        f"ONNX through skl2onnx {skl2onnx.__version__} and `sklearn_scann.onnx`, "
        f"run by onnxruntime {onnxruntime.__version__} (CPU, float32); 1-row "
        "latencies are medians, against the numpy `predict` of the same model.",
        "",
        "| model | ONNX bytes | / MLP(100) | onnxruntime 1-row (us) | "
        "numpy predict 1-row (us) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['onnx_bytes']:,d} | "
            f"{r['onnx_bytes_over_mlp100']:.3f} | "
            f"{r['onnxruntime_latency_us']:.1f} | "
            f"{r['numpy_predict_latency_us']:.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()

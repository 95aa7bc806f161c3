"""Demo: ``python -m sklearn_scann`` fits DR+SCANN, SCANN and a dense MLP on digits."""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import time

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import SCANNClassifier, make_dr_scann
from ._cost import dense_connections


def _row(name, accuracy, connections, seconds):
    return f"{name:<28s} {accuracy:>9.4f} {connections:>12,d} {seconds:>10.2f}"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_scann",
        description=(
            "Fit DR+SCANN, SCANN and a dense MLP on scikit-learn's digits data."
        ),
    )
    parser.add_argument("--scheme", default="B", choices=["A", "B", "C"])
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no per-step lines")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=args.random_state
    )
    print(
        f"digits: {X_train.shape[0]} training and {X_test.shape[0]} test samples, "
        f"{X.shape[1]} features, 10 classes\n"
    )

    # Importing torch and skorch and building the first optimizer take a
    # second or two once per process: paid here, on a tiny fit, so that the
    # fit times below compare the fits alone.
    started = time.perf_counter()
    SCANNClassifier(n_rounds=0, initial_epochs=1).fit(X_train[:40], y_train[:40])
    print(
        f"start-up (importing torch and skorch, once per process): "
        f"{time.perf_counter() - started:.2f} s, not counted in the fit times"
    )

    rows = []
    started = time.perf_counter()
    mlp = make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(100,), random_state=0)
    ).fit(X_train, y_train)
    seconds = time.perf_counter() - started
    mlp_connections = dense_connections([X.shape[1], 100, 10])
    rows.append(
        _row("MLPClassifier(100)", mlp.score(X_test, y_test), mlp_connections, seconds)
    )

    if not args.quiet:
        print(f"\nSCANN scheme {args.scheme}, one line per synthesis step:")
    started = time.perf_counter()
    scann = make_pipeline(
        StandardScaler(),
        SCANNClassifier(
            args.scheme, random_state=args.random_state, verbose=0 if args.quiet else 1
        ),
    ).fit(X_train, y_train)
    seconds = time.perf_counter() - started
    clf = scann[-1]
    rows.append(
        _row(
            f"SCANNClassifier({args.scheme!r})",
            scann.score(X_test, y_test),
            clf.n_connections_,
            seconds,
        )
    )

    if not args.quiet:
        print(f"\nDR+SCANN (method='auto', scheme {args.scheme}), one line per step:")
    started = time.perf_counter()
    dr_scann = make_dr_scann(
        "auto",
        scheme=args.scheme,
        random_state=args.random_state,
        verbose=0 if args.quiet else 1,
    ).fit(X_train, y_train)
    seconds = time.perf_counter() - started
    reducer, dr_clf = dr_scann["dr"], dr_scann["scann"]
    rows.append(
        _row(
            f"DR+SCANN({reducer.method_}, {reducer.n_components_})",
            dr_scann.score(X_test, y_test),
            dr_clf.n_connections_,
            seconds,
        )
    )

    print(f"\n{'model':<28s} {'accuracy':>9s} {'connections':>12s} {'fit s':>10s}")
    print("\n".join(rows))
    print(
        f"\nSCANN kept step {clf.best_step_} with hidden layers "
        f"{clf.topology_.hidden_layer_sizes}: "
        f"{mlp_connections / clf.n_connections_:.1f}x fewer connections than the MLP."
    )
    print(
        f"DR+SCANN reduced {X.shape[1]} features to {reducer.n_components_} with "
        f"{reducer.method_} (feature compression {reducer.compression_ratio_:.1f}x), "
        f"kept hidden layers {dr_clf.topology_.hidden_layer_sizes}: "
        f"{mlp_connections / dr_clf.n_connections_:.1f}x fewer connections than the "
        "MLP."
    )


if __name__ == "__main__":
    main()

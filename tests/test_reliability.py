"""Reliability of fit: atomic fits, imbalance, memory guard, scale warnings, errors."""

# SPDX-License-Identifier: BSD-3-Clause

import ast
import re
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
import tomllib
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.metrics import balanced_accuracy_score, recall_score

from sklearn_scann import SCANNClassifier
from sklearn_scann._memory import training_memory
from sklearn_scann._schemes import frontier_steps, select_checkpoint
from sklearn_scann._training import Trainer, _check_progress

ROOT = Path(__file__).resolve().parents[1]


class _Interrupt(KeyboardInterrupt):
    """A Ctrl-C raised from inside a training step."""


def _interrupt_training(monkeypatch, after_calls=1):
    """Make ``Trainer.train`` raise a KeyboardInterrupt at call ``after_calls``."""
    original = Trainer.train
    calls = {"n": 0}

    def train(self, epochs, **kwargs):
        calls["n"] += 1
        if calls["n"] >= after_calls:
            raise _Interrupt
        return original(self, epochs, **kwargs)

    monkeypatch.setattr(Trainer, "train", train)


def _fitted_state(model):
    return {k: v for k, v in vars(model).items() if k.endswith("_")}


# -- atomic fit ------------------------------------------------------------------


@pytest.mark.parametrize("after_calls", [1, 3])
def test_interrupted_refit_with_new_labels_keeps_the_old_model(
    blobs, fast, monkeypatch, after_calls
):
    X, y = blobs
    clf = SCANNClassifier(random_state=0, **fast).fit(X, y)
    proba, state = clf.predict_proba(X), _fitted_state(clf)
    _interrupt_training(monkeypatch, after_calls)
    with pytest.raises(_Interrupt):
        clf.fit(X, np.array(["a", "b", "c"])[y])
    assert _fitted_state(clf).keys() == state.keys()
    assert all(getattr(clf, k) is v for k, v in state.items())
    assert clf.classes_.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


def test_interrupted_refit_with_other_features_keeps_the_old_model(
    blobs, fast, monkeypatch
):
    X, y = blobs
    clf = SCANNClassifier(random_state=0, **fast).fit(X, y)
    _interrupt_training(monkeypatch)
    with pytest.raises(_Interrupt):
        clf.fit(X[:, :3], y)
    assert clf.n_features_in_ == X.shape[1]
    assert clf.predict(X).shape == y.shape


def test_failed_refit_on_one_class_keeps_the_old_model(blobs, fast):
    X, y = blobs
    clf = SCANNClassifier(random_state=0, **fast).fit(X, y)
    proba = clf.predict_proba(X)
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(X, np.zeros_like(y))
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    assert clf.classes_.tolist() == [0, 1, 2]


def test_interrupted_first_fit_leaves_the_model_unfitted(blobs, fast, monkeypatch):
    X, y = blobs
    clf = SCANNClassifier(random_state=0, **fast)
    _interrupt_training(monkeypatch)
    with pytest.raises(_Interrupt):
        clf.fit(X, y)
    assert _fitted_state(clf) == {}
    for method in (clf.predict, clf.predict_proba, clf.predict_log_proba):
        with pytest.raises(NotFittedError):
            method(X)


# -- imbalance: class_weight and scoring -------------------------------------------


@pytest.fixture(scope="module")
def imbalanced():
    X, y = make_classification(
        n_samples=1200,
        n_features=10,
        n_informative=4,
        weights=[0.95],
        flip_y=0.0,
        random_state=3,
    )
    return X[:900], y[:900], X[900:], y[900:]


def test_class_weight_dict_equals_sample_weight(blobs, fast):
    X, y = blobs
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    by_class = SCANNClassifier(class_weight=weights, random_state=0, **fast)
    by_sample = SCANNClassifier(random_state=0, **fast)
    by_class.fit(X, y)
    by_sample.fit(X, y, sample_weight=np.array([weights[c] for c in y]))
    np.testing.assert_array_equal(by_class.predict_proba(X), by_sample.predict_proba(X))


def test_class_weight_with_string_labels(blobs, fast):
    X, y = blobs
    labels = np.array(["ant", "bee", "cat"])[y]
    clf = SCANNClassifier(class_weight={"bee": 2.0}, random_state=0, **fast)
    assert set(clf.fit(X, labels).predict(X)) <= set(labels)
    with pytest.raises(ValueError, match=r"\['dog'\] that are not classes"):
        SCANNClassifier(class_weight={"dog": 2.0}, **fast).fit(X, labels)


def test_balanced_class_weight_recovers_the_minority_class(imbalanced):
    X, y, X_test, y_test = imbalanced
    plain = SCANNClassifier(random_state=0).fit(X, y)
    balanced = SCANNClassifier(class_weight="balanced", random_state=0).fit(X, y)
    recall_plain = recall_score(y_test, plain.predict(X_test))
    recall_balanced = recall_score(y_test, balanced.predict(X_test))
    assert recall_balanced > recall_plain
    assert recall_balanced >= 0.5
    assert np.unique(balanced.predict(X_test)).size == 2


def test_scoring_sets_the_step_score(imbalanced):
    X, y, _, _ = imbalanced
    seen = []

    def scorer(estimator, X_valid, y_valid):
        score = balanced_accuracy_score(y_valid, estimator.predict(X_valid))
        seen.append(score)
        return score

    clf = SCANNClassifier(scoring=scorer, n_rounds=2, random_state=0).fit(X, y)
    recorded = [h["validation_score"] for h in clf.history_ if h["changed"]]
    # The scorer scored every trained step (and the bootstrap resamples).
    assert set(recorded) <= set(seen)
    named = SCANNClassifier(scoring="balanced_accuracy", n_rounds=2, random_state=0)
    assert [h["validation_score"] for h in named.fit(X, y).history_] == [
        h["validation_score"] for h in clf.history_
    ]


def test_scoring_gets_sample_weights(blobs, fast):
    X, y = blobs
    received = []

    def scorer(estimator, X_valid, y_valid, sample_weight=None):
        received.append(sample_weight)
        return float(np.mean(estimator.predict(X_valid) == y_valid))

    SCANNClassifier(scoring=scorer, tolerance=0.01, random_state=0, **fast).fit(
        X, y, sample_weight=np.linspace(1, 2, y.size)
    )
    assert received and all(w is not None and w.size > 0 for w in received)


def test_unknown_scoring_name_is_a_clear_error(blobs, fast):
    X, y = blobs
    with pytest.raises(ValueError, match="not_a_scorer"):
        SCANNClassifier(scoring="not_a_scorer", **fast).fit(X, y)


def test_a_fit_that_only_finds_one_class_warns():
    X, y = make_classification(
        n_samples=600,
        n_features=10,
        n_informative=4,
        weights=[0.98],
        flip_y=0.0,
        random_state=3,
    )
    with pytest.warns(UserWarning, match="class_weight='balanced'"):
        SCANNClassifier(n_rounds=1, random_state=0).fit(X, y)


def _history(scores, sizes, one_class):
    return [
        {
            "step": i,
            "validation_score": s,
            "validation_loss": 1.0 - s,
            "n_connections": n,
            "one_class": c,
        }
        for i, (s, n, c) in enumerate(zip(scores, sizes, one_class, strict=True))
    ]


def test_one_class_steps_are_not_selected_over_others():
    # The smallest step scores best (0.99 of a 99:1 split) but predicts one class.
    history = _history([0.97, 0.98, 0.99], [100, 50, 2], [False, False, True])
    assert select_checkpoint(history, "smallest", 0.05) == 1
    assert select_checkpoint(history, "best", 0.05) == 1
    assert 2 not in frontier_steps(history)
    everything_constant = _history([0.97, 0.99], [100, 2], [True, True])
    assert select_checkpoint(everything_constant, "smallest", 0.05) == 1


# -- memory ------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [(10**9,), (1e9,), (50_000, 50_000)])
def test_huge_start_is_refused_before_allocating(blobs, hidden):
    X, y = blobs
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"max_memory.*hidden_layer_sizes"):
            SCANNClassifier(hidden_layer_sizes=hidden).fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


def test_memory_estimate_names_the_estimate_and_follows_the_limit(blobs, fast):
    X, y = blobs
    with pytest.raises(ValueError, match=r"about [\d.]+ KiB.*max_memory=9.8 KiB"):
        SCANNClassifier(max_memory=1e4, **fast).fit(X, y)
    SCANNClassifier(max_memory=None, **fast).fit(X, y)  # no check


def test_memory_estimate_grows_with_the_start():
    small = training_memory((10, 100, 3), skip=True, density=1.0, batch_size=200)
    large = training_memory((10, 1000, 3), skip=True, density=1.0, batch_size=200)
    mlp = training_memory((10, 1000, 3), skip=False, density=1.0, batch_size=200)
    assert small < mlp < large
    assert large > 160 * 13_000


def test_memory_estimate_counts_the_kept_copy_of_a_small_dataset():
    sizes = {"skip": True, "density": 1.0, "batch_size": 200}
    alone = training_memory((10, 100, 3), **sizes)
    small = np.zeros((1000, 10))
    # kept as one float32 batch, plus one epoch's reordered copy
    assert training_memory((10, 100, 3), X=small, **sizes) - alone == 2 * 4 * 10_000
    # a dataset beyond KEPT_BATCH_VALUES, or of many batches, is read in
    # place, batch by batch
    large = np.broadcast_to(np.float32(0), (2**20, 10))
    assert training_memory((10, 100, 3), X=large, **sizes) == alone
    many = np.zeros((2000, 10))  # 10 batches of 200
    assert training_memory((10, 100, 3), X=many, **sizes) == alone


# -- scales and training progress --------------------------------------------------


def test_huge_features_warn_to_scale(blobs, fast):
    X, y = blobs
    with pytest.warns(UserWarning, match="StandardScaler"):
        SCANNClassifier(**fast).fit(X * 1e30, y)


def test_features_beyond_float32_are_rejected(blobs, fast):
    X, y = blobs
    with pytest.raises(ValueError, match="float32"):
        SCANNClassifier(**fast).fit(X * 1e39, y)


def test_scaled_features_do_not_warn(blobs, fast):
    X, y = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        SCANNClassifier(**fast).fit(X, y)


@pytest.mark.parametrize(
    "losses, match",
    [([1.0, np.nan], "not finite"), ([np.inf], "not finite"), ([0.7, 0.7], "fall")],
)
def test_training_that_makes_no_progress_warns(losses, match):
    with pytest.warns(UserWarning, match=match):
        _check_progress(np.array(losses))


def test_falling_loss_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _check_progress(np.array([0.9, 0.5]))


# -- clear errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    "device, match",
    [("meta", "cannot train"), ("bogus", "not a torch device"), ("xla", "cannot")],
)
def test_untrainable_devices_are_clear_errors(blobs, fast, device, match):
    X, y = blobs
    with pytest.raises(ValueError, match=match):
        SCANNClassifier(device=device, **fast).fit(X, y)


# -- packaging ---------------------------------------------------------------------

# Import names of the distributions the package declares.
_IMPORT_NAMES = {"scikit-learn": "sklearn"}


def _distributions(requirements):
    names = (re.split(r"[<>=\[ ;]", r)[0] for r in requirements)
    return {_IMPORT_NAMES.get(name, name) for name in names}


def _third_party_imports(path):
    import sys

    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    return imported - set(sys.stdlib_module_names) - {"sklearn_scann"}


def test_every_imported_package_is_a_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = _distributions(project["dependencies"])
    extras = {
        name: _distributions(requirements)
        for name, requirements in project["optional-dependencies"].items()
    }
    # Imported lazily, inside the functions that need them (plots, Dask).
    lazy = extras["plot"] | extras["distributed"] | {"dask", "distributed"}
    for path in (ROOT / "sklearn_scann").glob("*.py"):
        allowed = declared | lazy
        if path.stem == "onnx":  # the optional submodule of the onnx extra
            allowed |= extras["onnx"]
        undeclared = _third_party_imports(path) - allowed
        assert not undeclared, f"{path.name} imports undeclared {undeclared}"

"""Saving never loses a model: the file is replaced whole or not at all."""

# SPDX-License-Identifier: BSD-3-Clause

import os
import re
import stat

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris

from sklearn_scann import SCANNClassifier, load
from sklearn_scann._persistence import _LABEL_DTYPES, _labels_to_json


@pytest.fixture(scope="module")
def fitted():
    X, y = load_iris(return_X_y=True)
    model = SCANNClassifier(
        n_rounds=1, epochs_per_step=2, initial_epochs=5, random_state=0
    ).fit(X, y)
    return model, X


def _fail_midway(error):
    """A savez that writes part of the file, then raises ``error``."""

    def savez(handle, **arrays):
        handle.write(b"PK\x03\x04" + b"\0" * 1000)
        raise error

    return savez


@pytest.mark.parametrize(
    "error", [OSError(28, "No space left on device"), KeyboardInterrupt()]
)
def test_a_failed_save_leaves_the_previous_file_intact(
    error, fitted, tmp_path, monkeypatch
):
    model, X = fitted
    path = tmp_path / "model.npz"
    model.save(path)
    before = path.read_bytes()
    monkeypatch.setattr(np, "savez_compressed", _fail_midway(error))
    with pytest.raises(type(error)):
        model.save(path)
    assert path.read_bytes() == before
    np.testing.assert_array_equal(load(path).predict(X), model.predict(X))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_a_failed_first_save_leaves_nothing(fitted, tmp_path, monkeypatch):
    model, _ = fitted
    monkeypatch.setattr(np, "savez_compressed", _fail_midway(OSError("disk")))
    with pytest.raises(OSError, match="disk"):
        model.save(tmp_path / "model.npz")
    assert list(tmp_path.iterdir()) == []


def test_a_save_replaces_the_file_and_keeps_its_permissions(fitted, tmp_path):
    model, X = fitted
    path = tmp_path / "model.npz"
    path.write_bytes(b"an older file")
    os.chmod(path, 0o640)
    assert model.save(path) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    np.testing.assert_array_equal(load(path).predict(X), model.predict(X))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_a_new_file_gets_the_umask_permissions(fitted, tmp_path):
    model, _ = fitted
    umask = os.umask(0o022)
    try:
        model.save(tmp_path / "model.npz")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "model.npz").stat().st_mode) == 0o644


# -- labels come back as they went ---------------------------------------------

_INTEGER_DTYPES = list(_LABEL_DTYPES["int"])


@st.composite
def _labels(draw):
    """Two or three distinct labels of one dtype, extremes included."""
    dtype = draw(
        st.sampled_from(["bool", *_INTEGER_DTYPES, "float32", "float64", "str", "O"])
    )
    if dtype == "bool":
        values = [False, True]
    elif dtype in _INTEGER_DTYPES:
        limits = np.iinfo(dtype)
        element = st.integers(int(limits.min), int(limits.max))
        values = draw(st.lists(element, min_size=2, max_size=3, unique=True))
    elif dtype.startswith("float"):
        # A classifier takes whole-number floats only (others are "continuous").
        element = st.integers(-(2**20), 2**20).map(float)
        values = draw(st.lists(element, min_size=2, max_size=3, unique=True))
    else:
        element = st.text(min_size=1, max_size=5)
        values = draw(st.lists(element, min_size=2, max_size=3, unique=True))
    labels = np.empty(len(values), dtype=object) if dtype == "O" else None
    if labels is not None:
        labels[:] = values
        return labels
    return np.asarray(values, dtype=np.str_ if dtype == "str" else dtype)


@settings(max_examples=30, deadline=None)
@given(labels=_labels())
def test_labels_of_every_kind_load_with_their_dtype(labels, tmp_path_factory):
    X, _ = load_iris(return_X_y=True)
    y = labels[np.arange(len(X)) % len(labels)]
    model = SCANNClassifier(n_rounds=0, initial_epochs=2, random_state=0).fit(X, y)
    path = tmp_path_factory.mktemp("labels") / "model.npz"
    loaded = load(model.save(path))
    assert loaded.classes_.dtype == model.classes_.dtype
    assert loaded.classes_.tolist() == model.classes_.tolist()
    predicted, again = model.predict(X), loaded.predict(X)
    assert again.dtype == predicted.dtype
    assert again.tolist() == predicted.tolist()


@pytest.mark.parametrize(
    ("labels", "reason"),
    [
        (np.array([b"a", b"b"]), "dtype |S1"),
        (np.array([1, "a"], dtype=object), "dtype object holding int, str"),
        (np.array([1.0, 2.0], dtype=np.longdouble), "dtype float128"),
    ],
)
def test_labels_no_file_can_hold_are_refused_with_the_reason(labels, reason):
    # Every label kind a classifier fits on is stored; these never get there,
    # and the writer says why rather than writing what it cannot read back.
    with pytest.raises(ValueError, match=re.escape(reason)):
        _labels_to_json(labels)


@pytest.mark.parametrize(
    "labels",
    [
        np.array([2**63, 2**64 - 1], dtype=np.uint64),
        np.array([False, True]),
        np.array([-3, 7, 100], dtype=np.int8),
    ],
    ids=["uint64-above-2**63", "bool", "int8"],
)
def test_the_labels_the_hostile_pass_lost_come_back(labels, tmp_path):
    X, _ = load_iris(return_X_y=True)
    y = labels[np.arange(len(X)) % len(labels)]
    model = SCANNClassifier(n_rounds=0, initial_epochs=2, random_state=0).fit(X, y)
    loaded = load(model.save(tmp_path / "model.npz"))
    assert loaded.classes_.dtype == labels.dtype
    np.testing.assert_array_equal(loaded.classes_, np.unique(labels))
    assert loaded.predict(X).dtype == labels.dtype

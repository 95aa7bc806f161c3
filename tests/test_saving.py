"""Saving never loses a model: the file is replaced whole or not at all."""

# SPDX-License-Identifier: BSD-3-Clause

import os
import stat

import numpy as np
import pytest
from sklearn.datasets import load_iris

from sklearn_scann import SCANNClassifier, load


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

"""Training devices: "auto" and "cuda", and GPU-fitted models on CPU machines.

The CUDA tests run only where torch sees a GPU; CI machines have none.
"""

# SPDX-License-Identifier: BSD-3-Clause

import os
import subprocess
import sys

import joblib
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from sklearn_scann import SCANNClassifier

needs_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device"
)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only path")
def test_auto_trains_on_the_cpu_without_cuda(blobs, fast):
    X, y = blobs
    auto = SCANNClassifier(device="auto", random_state=0, **fast).fit(X, y)
    cpu = SCANNClassifier(device="cpu", random_state=0, **fast).fit(X, y)
    np.testing.assert_array_equal(auto.predict_proba(X), cpu.predict_proba(X))


@needs_cuda
def test_auto_picks_cuda_when_there_is_one(blobs, fast, monkeypatch):
    seen = []
    original = torch.nn.Module.to

    def record(module, *args, **kwargs):
        seen.extend(str(a) for a in args)
        return original(module, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "to", record)
    SCANNClassifier(device="auto", random_state=0, **fast).fit(*blobs)
    assert any(device.startswith("cuda") for device in seen)


@needs_cuda
def test_cuda_fit_is_as_accurate_as_a_cpu_fit(digits):
    X, y = digits
    params = {"n_rounds": 2, "epochs_per_step": 3, "random_state": 0}
    gpu = SCANNClassifier(device="cuda", **params).fit(X, y)
    cpu = SCANNClassifier(device="cpu", **params).fit(X, y)
    # Same seeds, different kernels: close, not bit-identical.
    assert abs(gpu.score(X, y) - cpu.score(X, y)) < 0.05
    assert isinstance(gpu.network_.to_arrays()["weights"], np.ndarray)


@needs_cuda
def test_cuda_fit_loads_and_predicts_without_cuda(digits, tmp_path):
    X, y = digits
    model = SCANNClassifier(
        n_rounds=1, epochs_per_step=2, device="cuda", random_state=0
    ).fit(X, y)
    joblib.dump(model, tmp_path / "m.joblib")
    model.save(tmp_path / "m.npz")
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "p.npy", model.predict_proba(X))
    script = (
        "import joblib, numpy as np, torch, sklearn_scann\n"
        "assert not torch.cuda.is_available()\n"
        f"X = np.load(r'{tmp_path / 'X.npy'}')\n"
        f"expected = np.load(r'{tmp_path / 'p.npy'}')\n"
        f"for m in (joblib.load(r'{tmp_path / 'm.joblib'}'),\n"
        f"          sklearn_scann.load(r'{tmp_path / 'm.npz'}')):\n"
        "    assert np.array_equal(m.predict_proba(X), expected)\n"
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run([sys.executable, "-c", script], check=True, env=env)

"""A fitted model loads, predicts and exports in a process without torch."""

# SPDX-License-Identifier: BSD-3-Clause

import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris

from sklearn_scann import SCANNClassifier, SCANNRegressor

# Runs in a fresh interpreter where importing torch or skorch (or any of
# their submodules) fails as if they were not installed.
TORCH_FREE_SCRIPT = textwrap.dedent(
    """
    import sys


    class BlockTraining:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in ("torch", "skorch"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None


    sys.meta_path.insert(0, BlockTraining())

    import pathlib
    import pickle

    import joblib
    import numpy as np
    from sklearn.base import clone
    from sklearn.datasets import load_diabetes, load_iris

    import sklearn_scann
    from sklearn_scann import SCANNClassifier, SCANNRegressor, make_dr_scann

    folder = pathlib.Path(sys.argv[1])
    datasets = {
        "classifier": load_iris(return_X_y=True),
        "regressor": load_diabetes(return_X_y=True),
    }
    for kind, (X, y) in datasets.items():
        expected = np.load(folder / f"{kind}_predict.npy")
        score = float(np.load(folder / f"{kind}_score.npy"))
        loaded = sklearn_scann.load(folder / f"{kind}.npz")
        with open(folder / f"{kind}.pkl", "rb") as file:
            unpickled = pickle.load(file)
        dumped = joblib.load(folder / f"{kind}.joblib")
        for model in (loaded, unpickled, dumped):
            assert np.array_equal(model.predict(X), expected), kind
            assert model.score(X, y) == score, kind
            if kind == "classifier":
                proba = np.load(folder / "classifier_proba.npy")
                assert np.array_equal(model.predict_proba(X), proba)
        assert "connections" in loaded.summary()
        header, source = loaded.export_c(folder / f"c_{kind}", name=f"m_{kind}")
        assert header.is_file() and source.is_file()
        smaller = loaded.select(max_connections=loaded.n_connections_)
        assert smaller.n_connections_ <= loaded.n_connections_
        assert smaller.predict(X).shape == expected.shape
        assert clone(loaded).get_params() == loaded.get_params()

    pipeline = make_dr_scann("auto", random_state=0)
    assert clone(pipeline).get_params()["scann__random_state"] == 0
    for estimator, (X, y) in zip(
        (SCANNClassifier(n_rounds=1), SCANNRegressor(n_rounds=1)),
        datasets.values(),
    ):
        assert clone(estimator).get_params()["n_rounds"] == 1
        try:
            estimator.fit(X, y)
        except ImportError as error:
            message = str(error)
            assert type(estimator).__name__ + ".fit" in message, message
            assert "pip install torch skorch" in message, message
        else:
            raise AssertionError("fit trained without torch")

    leaked = sorted(
        name
        for name in sys.modules
        if name.partition(".")[0] in ("torch", "skorch")
    )
    assert not leaked, leaked
    print("torch-free: ok")
    """
)


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    """A tiny classifier and regressor, saved, pickled and scored here."""
    folder = tmp_path_factory.mktemp("torch_free")
    settings = {"n_rounds": 1, "epochs_per_step": 2, "random_state": 0}
    fits = {
        "classifier": (SCANNClassifier(**settings), load_iris(return_X_y=True)),
        "regressor": (SCANNRegressor(**settings), load_diabetes(return_X_y=True)),
    }
    for kind, (model, (X, y)) in fits.items():
        model.fit(X, y)
        model.save(folder / f"{kind}.npz")
        joblib.dump(model, folder / f"{kind}.joblib")
        with open(folder / f"{kind}.pkl", "wb") as file:
            pickle.dump(model, file)
        np.save(folder / f"{kind}_predict.npy", model.predict(X))
        np.save(folder / f"{kind}_score.npy", model.score(X, y))
        if kind == "classifier":
            np.save(folder / "classifier_proba.npy", model.predict_proba(X))
    return folder


def test_fitted_models_work_without_torch(saved_models):
    result = subprocess.run(
        [sys.executable, "-c", TORCH_FREE_SCRIPT, str(saved_models)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "torch-free: ok" in result.stdout

"""The frozen network: numpy inference, pickle size, safe model files."""

# SPDX-License-Identifier: BSD-3-Clause

import json
import pickle
import pickletools
import zipfile

import joblib
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNClassifier, Topology, load
from sklearn_scann._compact import CompactNetwork
from sklearn_scann._network import build_network
from sklearn_scann._training import BatchDataset, Trainer


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return X[:600], y[:600]


@pytest.fixture(scope="module")
def models(digits):
    X, y = digits
    settings = {
        "n_rounds": 1,
        "epochs_per_step": 3,
        "initial_epochs": 10,
        "learning_rate": 3e-2,
        "random_state": 0,
    }
    return {s: SCANNClassifier(s, **settings).fit(X, y) for s in "ABC"}


def test_compact_equals_trained_torch_module(rng):
    X = rng.normal(size=(200, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=200)
    top = Topology.random([6, 5, 4, 3], 0.5, rng, skip=True)
    weights = rng.normal(size=top.n_connections) * 0.5
    trainer = Trainer(BatchDataset(X, y, np.ones(200)), batch_size=32)
    trainer.set_parameters(top, weights, np.zeros(top.n_neurons))
    trainer.train(3)
    w, b = trainer.parameters()
    compact = CompactNetwork(top, w, b).decision_function(X.astype(np.float64))
    np.testing.assert_allclose(compact, trainer.predict_logits(X), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("scheme", ["A", "B", "C"])
def test_predict_uses_the_compact_network_and_matches_torch(scheme, models, digits):
    X, _ = digits
    model = models[scheme]
    src, dst = model.topology_.edges()
    skips = (model.topology_.layer_of[dst] - model.topology_.layer_of[src] > 1).sum()
    if scheme != "C":
        assert skips > 0  # skip connections are present and exercised
    arrays = model.network_.to_arrays()
    module = build_network(model.topology_, arrays["weights"], arrays["biases"])
    with torch.no_grad():
        torch_proba = torch.softmax(module(torch.as_tensor(X, dtype=torch.float32)), 1)
    np.testing.assert_allclose(model.predict_proba(X), torch_proba.numpy(), atol=1e-5)


def test_fitted_model_holds_no_torch_objects(models):
    # A model trained on any device pickles as plain numpy/scipy objects, so
    # it loads on a CPU-only machine: no global the pickle names is torch's.
    for model in models.values():
        names = [
            arg
            for op, arg, _ in pickletools.genops(pickle.dumps(model))
            if op.name in ("GLOBAL", "SHORT_BINUNICODE", "BINUNICODE")
            and isinstance(arg, str)
        ]
        assert names  # the scan does see the pickle's module names
        assert "sklearn_scann._classifier" in names
        assert not [n for n in names if n.startswith("torch") or "skorch" in n]


def test_pickle_size_follows_connections_not_dense_start(rng):
    X = rng.normal(size=(200, 20))
    y = rng.integers(0, 3, size=200)
    model = SCANNClassifier(
        "B",
        hidden_layer_sizes=(400,),
        prune_ratio=0.9,
        grow_ratio=0.0,
        n_rounds=2,
        epochs_per_step=1,
        initial_epochs=1,
        selection="last",
        keep_frontier=False,
        pruning_schedule="fixed",
        random_state=0,
    ).fit(X, y)
    dense_start_bytes = 8 * (20 * 400 + 20 * 3 + 400 * 3)
    assert model.n_connections_ < 200
    assert len(pickle.dumps(model)) < dense_start_bytes / 5


def test_save_load_round_trip(models, digits, tmp_path):
    X, _ = digits
    for scheme, model in models.items():
        path = model.save(tmp_path / f"{scheme}.npz")
        loaded = load(path)
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
        assert loaded.get_params() == model.get_params()
        assert loaded.topology_ == model.topology_
        assert loaded.n_connections_ == model.n_connections_
        assert loaded.history_[loaded.best_step_]["n_connections"] == (
            model.n_connections_
        )


def test_save_load_string_labels_and_feature_names(tmp_path, rng):
    import pandas as pd

    X = pd.DataFrame(rng.normal(size=(90, 3)), columns=["a", "b", "c"])
    y = np.array(["no", "yes", "maybe"])[(X["a"] > 0).astype(int) + (X["b"] > 1)]
    model = SCANNClassifier(n_rounds=1, epochs_per_step=2, random_state=0).fit(X, y)
    loaded = load(model.save(tmp_path / "m.npz"))
    assert loaded.classes_.tolist() == model.classes_.tolist()
    assert loaded.feature_names_in_.tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def _rewrite(path, out, change):
    """Copy the npz at ``path`` to ``out`` with ``change(arrays)`` applied."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    change(arrays)
    with open(out, "wb") as handle:
        np.savez(handle, **arrays)
    return out


def _metadata(arrays):
    return json.loads(arrays["metadata"].tobytes().decode())


def _set_metadata(arrays, metadata):
    arrays["metadata"] = np.frombuffer(json.dumps(metadata).encode(), np.uint8)


def test_truncated_file_is_rejected(models, tmp_path):
    path = models["B"].save(tmp_path / "m.npz")
    data = path.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not an sklearn-scann model file"):
        load(cut)


def test_tampered_files_are_rejected(models, tmp_path):
    path = models["B"].save(tmp_path / "m.npz")

    def newer(arrays):
        meta = _metadata(arrays)
        meta["format_version"] = 99
        _set_metadata(arrays, meta)

    with pytest.raises(ValueError, match="format version 99"):
        load(_rewrite(path, tmp_path / "v.npz", newer))

    def shorter_weights(arrays):
        arrays["weights"] = arrays["weights"][:-1]

    with pytest.raises(ValueError, match="disagree in length"):
        load(_rewrite(path, tmp_path / "w.npz", shorter_weights))

    def backward_edge(arrays):
        arrays["src"], arrays["dst"] = arrays["dst"].copy(), arrays["src"].copy()

    with pytest.raises(ValueError, match="not allowed"):
        load(_rewrite(path, tmp_path / "e.npz", backward_edge))

    def garbage_metadata(arrays):
        arrays["metadata"] = np.frombuffer(b"{not json", np.uint8)

    with pytest.raises(ValueError, match="corrupt metadata"):
        load(_rewrite(path, tmp_path / "j.npz", garbage_metadata))

    def bad_param(arrays):
        meta = _metadata(arrays)
        meta["params"]["prune_ratio"] = 7.0
        _set_metadata(arrays, meta)

    with pytest.raises(ValueError, match="prune_ratio"):
        load(_rewrite(path, tmp_path / "p.npz", bad_param))


def test_pickled_arrays_are_never_unpickled(models, tmp_path):
    # An object array (which only pickle can read) must be refused, not loaded.
    path = models["B"].save(tmp_path / "m.npz")
    evil = tmp_path / "evil.npz"
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["weights"] = np.array([object()] * arrays["weights"].size, dtype=object)
    with open(evil, "wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(ValueError, match="Python objects, which is never loaded"):
        load(evil)
    assert zipfile.is_zipfile(evil)


def test_joblib_still_works(models, digits, tmp_path):
    X, _ = digits
    joblib.dump(models["A"], tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), models["A"].predict_proba(X))


def test_every_block_kernel_matches_torch(rng):
    # Layer 1 reads all 40 inputs sparsely (CSR kernel), layer 2 reads a few
    # hidden neurons densely (gathered kernel), the output reads everything.
    n_in, n_hidden, n_hidden2, n_out = 40, 100, 6, 3
    src, dst = [], []
    for j in range(n_hidden):
        src.append(j % n_in)
        dst.append(n_in + j)
    for j in range(n_hidden2):
        for i in range(3):
            src.append(n_in + i)
            dst.append(n_in + n_hidden + j)
    first_out = n_in + n_hidden + n_hidden2
    for j in range(n_out):
        for i in range(first_out):
            src.append(i)
            dst.append(first_out + j)
    top = Topology.from_edges([n_in, n_hidden, n_hidden2, n_out], src, dst)
    weights = rng.normal(size=top.n_connections)
    biases = rng.normal(size=top.n_neurons)
    compact = CompactNetwork(top, weights, biases)
    kinds = {
        (target, source): kind
        for target, entries in compact._block_kernels(10_000).items()
        for source, kind, _, _ in entries
    }
    assert kinds[(1, 0)] == "csr"
    assert kinds[(2, 1)] == "gathered"
    assert kinds[(3, 0)] == "dense"
    # A small batch keeps every block dense: one BLAS call each.
    small = compact._block_kernels(1)
    assert {kind for entries in small.values() for _, kind, _, _ in entries} == {
        "dense"
    }
    X = rng.normal(size=(50, n_in))
    module = build_network(top, weights, biases, dtype=torch.float64)
    with torch.no_grad():
        expected = module(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(compact.decision_function(X), expected, atol=1e-10)
    import scipy.sparse as sp

    sparse_X = sp.csr_array(np.where(np.abs(X) > 1, X, 0.0))
    with torch.no_grad():
        expected = module(torch.as_tensor(sparse_X.toarray())).numpy()
    np.testing.assert_allclose(
        compact.decision_function(sparse_X), expected, atol=1e-10
    )
    # The derived kernels are not pickled; a copy rebuilds them.
    copy = pickle.loads(pickle.dumps(compact))
    assert copy._kernels is None
    np.testing.assert_array_equal(
        copy.decision_function(X), compact.decision_function(X)
    )


def test_missing_file_and_missing_arrays(models, tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.npz")
    path = models["B"].save(tmp_path / "m.npz")

    def drop_biases(arrays):
        del arrays["biases"]

    with pytest.raises(ValueError, match="lacks biases"):
        load(_rewrite(path, tmp_path / "b.npz", drop_biases))


def test_only_a_dense_input_block_lets_the_outputs_stand_for_a_check_of_x(rng):
    # 64 inputs, of which the hidden layer reads 4: gathered, not dense.
    src = [i % 4 for i in range(10)] + list(range(64, 74))
    dst = list(range(64, 74)) + [74] * 10
    top = Topology.from_edges([64, 10, 1], src, dst)
    compact = CompactNetwork(
        top, rng.normal(size=top.n_connections), rng.normal(size=top.n_neurons)
    )
    assert not compact.multiplies_every_input(10_000)
    assert compact.multiplies_every_input(1)  # small batches stay dense
    X = rng.normal(size=(100, 64))
    X[3, 40] = np.nan  # an input the network does not read
    assert np.isfinite(compact.decision_function(X)).all()


def test_a_dense_input_block_into_a_dead_end_does_not_stand_for_a_check(rng):
    # Layer 1 (2 neurons, dense over all 64 inputs) feeds nothing; the output
    # reads the inputs through layer 2, whose one neuron reads input 0 only
    # (gathered in a large batch, dense in a small one).
    src = [*range(64), *range(64), 0, 66]
    dst = [64] * 64 + [65] * 64 + [66, 67]
    top = Topology.from_edges([64, 2, 1, 1], src, dst)
    compact = CompactNetwork(
        top, rng.normal(size=top.n_connections), rng.normal(size=top.n_neurons)
    )
    assert compact._layers_reaching_outputs() == {2, 3}
    assert not compact.multiplies_every_input(10_000)
    assert compact.multiplies_every_input(1)

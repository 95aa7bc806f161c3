"""SCANNClassifier in scikit-learn workflows, and its errors."""

# SPDX-License-Identifier: BSD-3-Clause

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_scann import SCANNClassifier, Topology


@pytest.fixture(scope="module")
def fitted(blobs, fast):
    X, y = blobs
    return SCANNClassifier("B", random_state=0, **fast).fit(X, y)


def test_fit_learns_and_exposes_attributes(fitted, blobs):
    X, y = blobs
    assert fitted.score(X, y) > 0.9
    assert isinstance(fitted.topology_, Topology)
    assert fitted.n_features_in_ == 8
    assert fitted.classes_.tolist() == [0, 1, 2]
    assert fitted.n_connections_ == fitted.topology_.n_connections
    hidden_and_output = sum(fitted.topology_.layer_sizes[1:])
    assert fitted.n_parameters_ == fitted.n_connections_ + hidden_and_output
    assert fitted.flops_ == 2 * fitted.n_connections_
    assert fitted.baseline_connections_ == 8 * 100 + 100 * 3  # start: (100,)
    assert fitted.compression_ratio_ == pytest.approx(
        fitted.baseline_connections_ / fitted.n_connections_
    )
    # one initial step plus prune and grow for one round
    assert [h["operation"] for h in fitted.history_] == [
        "initial",
        "prune_connections",
        "grow_connections",
    ]
    assert fitted.history_[1]["n_connections"] < fitted.history_[0]["n_connections"]
    assert fitted.history_[2]["n_connections"] > fitted.history_[1]["n_connections"]
    assert 0 <= fitted.best_step_ < len(fitted.history_)
    chosen = fitted.history_[fitted.best_step_]
    assert chosen["n_connections"] == fitted.n_connections_


def test_predict_proba_is_a_distribution(fitted, blobs):
    X, _ = blobs
    proba = fitted.predict_proba(X)
    assert proba.shape == (X.shape[0], 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(fitted.predict_log_proba(X)), proba)
    np.testing.assert_array_equal(
        fitted.predict(X), fitted.classes_[proba.argmax(axis=1)]
    )


@pytest.mark.parametrize("scheme", ["A", "B", "C"])
def test_schemes_respect_their_edge_rule(scheme, blobs, fast):
    X, y = blobs
    clf = SCANNClassifier(scheme, random_state=0, **fast).fit(X, y)
    top = clf.topology_
    src, dst = top.edges()
    delta = top.layer_of[dst] - top.layer_of[src]
    assert np.all(delta >= 1)
    assert top.skip == (scheme != "C")
    if scheme == "C":
        assert np.all(delta == 1)
    ops = [h["operation"] for h in clf.history_[1:]]
    expected = {
        "A": ["grow_connections", "grow_neurons", "prune_connections"],
        "B": ["prune_connections", "grow_connections"],
        "C": ["prune_connections", "grow_connections"],
    }[scheme]
    assert ops == expected


def test_scheme_a_grows_neurons(blobs, fast):
    X, y = blobs
    clf = SCANNClassifier(
        "A", hidden_layer_sizes=(4,), neuron_growth=2, prune_ratio=0.0, **fast
    ).fit(X, y)
    sizes = [h["hidden_layer_sizes"] for h in clf.history_]
    assert sizes[0] == (4,)
    assert sizes[2] == (6,)  # after the grow_neurons step


def test_same_random_state_gives_identical_predictions(blobs, fast):
    X, y = blobs
    a = SCANNClassifier("A", random_state=3, **fast).fit(X, y)
    b = SCANNClassifier("A", random_state=3, **fast).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.topology_ == b.topology_
    c = SCANNClassifier("A", random_state=4, **fast).fit(X, y)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_clone_and_pickle_round_trip(fitted, blobs, tmp_path):
    X, _ = blobs
    cloned = clone(fitted)
    assert cloned.get_params() == fitted.get_params()
    assert not hasattr(cloned, "topology_")
    path = tmp_path / "model.joblib"
    joblib.dump(fitted, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))


def test_grid_search_over_ratios(blobs, fast):
    X, y = blobs
    search = GridSearchCV(
        SCANNClassifier("B", random_state=0, **fast),
        {"grow_ratio": [0.0, 0.3], "prune_ratio": [0.2, 0.5]},
        cv=2,
    ).fit(X, y)
    assert set(search.best_params_) == {"grow_ratio", "prune_ratio"}
    assert len(search.cv_results_["mean_test_score"]) == 4
    assert search.best_score_ > 0.8


def test_cross_val_score_in_pipeline_with_scaler(blobs, fast):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), SCANNClassifier(random_state=0, **fast))
    scores = cross_val_score(pipe, X * 100 + 5, y, cv=3)
    assert scores.shape == (3,)
    assert scores.mean() > 0.85


def test_pandas_input_records_feature_names(blobs, fast):
    X, y = blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = SCANNClassifier(random_state=0, **fast).fit(frame, y)
    assert clf.feature_names_in_.tolist() == list(frame.columns)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_array = clf.predict(X)
    np.testing.assert_array_equal(clf.predict(frame), from_array)
    renamed = frame.rename(columns={"f0": "other"})
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(renamed)


def test_string_labels(blobs, fast):
    X, y = blobs
    names = np.array(["cat", "dog", "eel"])[y]
    clf = SCANNClassifier(random_state=0, **fast).fit(X, names)
    assert clf.classes_.tolist() == ["cat", "dog", "eel"]
    assert set(clf.predict(X)) <= {"cat", "dog", "eel"}
    assert clf.score(X, names) > 0.9


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_dtypes_of_X(dtype, blobs, fast):
    X, y = blobs
    Xd = (X * 10).astype(dtype)
    clf = SCANNClassifier(random_state=0, **fast).fit(Xd, y)
    proba = clf.predict_proba(Xd)
    # float32 input is predicted in float32, as the network was trained
    assert proba.dtype == (np.float32 if dtype == np.float32 else np.float64)
    np.testing.assert_allclose(
        proba, clf.predict_proba(Xd.astype(np.float64)), rtol=0, atol=1e-5
    )
    assert clf.score(Xd, y) > 0.8


def test_sparse_input_from_one_hot_encoding(rng, fast):
    n = 300
    color = rng.choice(["red", "green", "blue"], size=n)
    size = rng.choice(["s", "m", "l", "xl"], size=n)
    value = rng.normal(size=n)
    y = (color == "red").astype(int) + (size == "xl").astype(int)
    frame = pd.DataFrame({"color": color, "size": size, "value": value})
    encode = ColumnTransformer(
        [("cat", OneHotEncoder(), ["color", "size"])],
        remainder="passthrough",
        sparse_threshold=1.0,
    )
    Xs = encode.fit_transform(frame)
    assert sp.issparse(Xs)
    clf = SCANNClassifier(random_state=0, **fast).fit(Xs, y)
    dense = clf.predict_proba(Xs.toarray())
    np.testing.assert_allclose(clf.predict_proba(Xs), dense, atol=1e-12)
    assert clf.score(Xs, y) > 0.9


def test_sample_weight_weights_the_loss(rng, fast):
    # Two overlapping classes: up-weighting class 1 must make it predicted more.
    X = rng.normal(size=(400, 2))
    y = (X[:, 0] + rng.normal(scale=1.5, size=400) > 0).astype(int)
    params = dict(random_state=0, **fast)
    plain = SCANNClassifier(**params).fit(X, y)
    weights = np.where(y == 1, 10.0, 1.0)
    heavy = SCANNClassifier(**params).fit(X, y, sample_weight=weights)
    assert heavy.predict(X).mean() > plain.predict(X).mean() + 0.1


def test_zero_sample_weight_means_the_sample_is_ignored(rng, fast):
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int)
    # Flip the labels of half the data, weighted 0: the fit must not see them.
    X_all = np.vstack([X, X])
    y_all = np.concatenate([y, 1 - y])
    weights = np.concatenate([np.ones(200), np.zeros(200)])
    clf = SCANNClassifier(random_state=0, validation_fraction=0.0, **fast)
    clf.fit(X_all, y_all, sample_weight=weights)
    assert clf.score(X, y) > 0.9


# -- errors --------------------------------------------------------------------


def test_nan_and_inf_rejected(blobs, fast):
    X, y = blobs
    for bad in (np.nan, np.inf):
        Xb = X.copy()
        Xb[3, 2] = bad
        with pytest.raises(ValueError, match="NaN|infinity"):
            SCANNClassifier(**fast).fit(Xb, y)


def test_single_class_rejected(blobs, fast):
    X, _ = blobs
    with pytest.raises(ValueError, match="at least 2 classes"):
        SCANNClassifier(**fast).fit(X, np.zeros(X.shape[0]))


def test_empty_data_rejected(fast):
    with pytest.raises(ValueError, match="0 sample"):
        SCANNClassifier(**fast).fit(np.zeros((0, 3)), np.zeros(0))


def test_wrong_number_of_features_at_predict(fitted, blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:, :5])


def test_predict_before_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SCANNClassifier().predict(np.zeros((2, 3)))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"grow_ratio": 1.0}, "grow_ratio"),
        ({"prune_ratio": -0.1}, "prune_ratio"),
        ({"scheme": "D"}, "scheme"),
        ({"selection": "worst"}, "selection"),
        ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (-0.5,)}, "hidden_layer_sizes"),
        ({"initial_density": 0.0}, "initial_density"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
    ],
)
def test_bad_parameters(params, match, blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=match):
        SCANNClassifier(**params).fit(X, y)


def test_bad_hidden_layer_type(blobs):
    X, y = blobs
    with pytest.raises(TypeError, match="hidden_layer_sizes"):
        SCANNClassifier(hidden_layer_sizes=("10",)).fit(X, y)


def test_negative_sample_weight_rejected(blobs, fast):
    X, y = blobs
    with pytest.raises(ValueError, match="[Nn]egative"):
        SCANNClassifier(**fast).fit(X, y, sample_weight=-np.ones(len(y)))


@pytest.mark.skipif(
    torch.cuda.is_available(), reason="checks the error raised on CPU-only machines"
)
def test_cuda_requested_without_cuda(blobs, fast):
    X, y = blobs
    with pytest.raises(ValueError, match="CUDA is not available"):
        SCANNClassifier(device="cuda", **fast).fit(X, y)


def test_small_data_start_gets_at_least_200_steps(blobs):
    X, y = blobs  # 240 training rows in batches of 200: 2 steps an epoch
    one_round = {
        "n_rounds": 1,
        "epochs_per_step": 1,
        "validation_fraction": 0.0,
        "pruning_schedule": "fixed",
        "random_state": 0,
    }
    clf = SCANNClassifier(**one_round).fit(X, y)
    assert clf.history_[0]["epochs"] == 100
    # ... every pruning step at least min_updates_per_step=100 (50 epochs),
    # a growth step half as many
    steps = [(h["operation"], h["epochs"]) for h in clf.history_[1:] if h["changed"]]
    assert steps == [("prune_connections", 50), ("grow_connections", 25)]
    floorless = SCANNClassifier(min_updates_per_step=0, **one_round).fit(X, y)
    # One epoch per step; growth too trains at least one.
    assert [h["epochs"] for h in floorless.history_[1:] if h["changed"]] == [1, 1]
    explicit = SCANNClassifier(
        n_rounds=0, epochs_per_step=1, initial_epochs=3, random_state=0
    ).fit(X, y)
    assert explicit.history_[0]["epochs"] == 3

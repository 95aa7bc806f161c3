"""DR+SCANN: the reduction shrinks SCANN's starting network by its compression ratio."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_diabetes, load_digits, make_regression
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_scann import (
    DimensionalityReducer,
    SCANNClassifier,
    SCANNRegressor,
    make_dr_scann,
)
from sklearn_scann._reduction import SPARSE_METHODS


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:500], y[:500]


def _starting_hidden(model):
    return model.history_[0]["hidden_layer_sizes"]


@pytest.mark.parametrize("scheme", ["A", "B", "C"])
def test_reducer_shrinks_start_by_the_compression_ratio(scheme, digits, fast):
    X, y = digits
    alone = SCANNClassifier(
        scheme, hidden_layer_sizes=(1.0, 0.5), random_state=0, **fast
    ).fit(X, y)
    pipe = Pipeline(
        [
            ("dr", DimensionalityReducer("pca", n_components=16, random_state=0)),
            (
                "scann",
                SCANNClassifier(
                    scheme, hidden_layer_sizes=(1.0, 0.5), random_state=0, **fast
                ),
            ),
        ]
    ).fit(X, y)
    ratio = pipe["dr"].compression_ratio_
    assert ratio == 64 / 16
    assert _starting_hidden(alone) == (64, 32)
    assert _starting_hidden(pipe["scann"]) == (16, 8)
    assert [
        a / b
        for a, b in zip(
            _starting_hidden(alone), _starting_hidden(pipe["scann"]), strict=True
        )
    ] == [ratio, ratio]
    assert pipe["scann"].baseline_connections_ == 16 * 16 + 16 * 8 + 8 * 10


def test_scikit_learn_pca_shrinks_start_by_d_over_k(digits, fast):
    X, y = digits
    k = 8
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("pca", PCA(n_components=k)),
            (
                "scann",
                SCANNClassifier(hidden_layer_sizes=(1.0,), random_state=0, **fast),
            ),
        ]
    ).fit(X, y)
    alone = SCANNClassifier(hidden_layer_sizes=(1.0,), random_state=0, **fast).fit(X, y)
    assert _starting_hidden(alone)[0] / _starting_hidden(pipe["scann"])[0] == 64 / k


def test_make_dr_scann_builds_the_pipeline(digits, fast):
    X, y = digits
    model = make_dr_scann(
        "gaussian_random_projection",
        n_components=0.25,
        scheme="C",
        random_state=0,
        **fast,
    )
    assert [name for name, _ in model.steps] == ["dr", "standardize", "scann"]
    assert model["scann"].scheme == "C"
    # task="classification" is the default
    assert type(model["scann"]) is SCANNClassifier
    assert type(model["dr"].estimator) is KNeighborsClassifier
    model.fit(X, y)
    assert model["scann"].n_features_in_ == 16
    assert model.score(X, y) > 0.7
    # the network sees standardised reduced features
    reduced = model[:-1].transform(X)
    np.testing.assert_allclose(reduced.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(reduced.std(axis=0), 1, atol=1e-6)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_starting_network_confirms_the_probes_choice(task):
    model = make_dr_scann(
        task=task, scheme="C", hidden_layer_sizes=(8,), alpha=0.01, random_state=3
    )
    confirm = model["dr"].confirm_with
    network = confirm["scann"]
    assert [name for name, _ in confirm.steps] == ["standardize", "scann"]
    assert type(network) is type(model["scann"])
    # the network of the same settings, stopped at its start and trained on
    # every row of a fold
    assert (network.scheme, network.hidden_layer_sizes) == ("C", (8,))
    assert (network.alpha, network.random_state) == (0.01, 3)
    assert (network.n_rounds, network.fine_tune, network.validation_fraction) == (
        0,
        False,
        0.0,
    )
    trusting = make_dr_scann(task=task, reducer_params={"confirm_with": None})
    assert trusting["dr"].confirm_with is None


def test_auto_keeps_every_feature_when_reducing_costs_accuracy():
    # Two interleaved half moons: any one-dimensional projection mixes the
    # classes, which the nearest-neighbour probe sees and a linear one does not.
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=600, noise=0.15, random_state=0)
    dr = make_dr_scann(random_state=0)["dr"].fit(X, y)
    assert dr.n_components_ == 2
    # keeping every feature means keeping them as they are, not rotated
    assert dr.method_ == "identity"
    np.testing.assert_allclose(dr.transform(X), dr.scaler_.transform(X))


def test_smallest_selection_is_the_one_standard_error_rule(digits):
    X, y = digits
    reducer = DimensionalityReducer(
        "auto",
        candidate_methods=("pca",),
        candidate_components=(0.125, 0.25, 1.0),
        selection="smallest",
        random_state=0,
    ).fit(X, y)
    best_key = max(reducer.scores_, key=reducer.scores_.get)
    floor = reducer.scores_[best_key] - reducer.standard_errors_[best_key]
    chosen = reducer.scores_[(reducer.method_, reducer.n_components_)]
    # within one standard error of the best...
    assert chosen >= floor - 1e-12
    # ...and no candidate with fewer components is
    fewer = [s for (m, k), s in reducer.scores_.items() if k < reducer.n_components_]
    assert all(s < floor - 1e-12 for s in fewer)
    assert reducer.standard_errors_.keys() == reducer.scores_.keys()


def test_grid_search_over_reduction_and_ratios(digits, fast):
    X, y = digits
    search = GridSearchCV(
        make_dr_scann(random_state=0, **fast),
        {
            "dr__method": ["pca", "sparse_random_projection"],
            "dr__n_components": [0.25],
            "scann__grow_ratio": [0.0, 0.1],
            "scann__prune_ratio": [0.3],
        },
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_params_["dr__method"] in {"pca", "sparse_random_projection"}
    assert search.best_estimator_["scann"].n_features_in_ == 16
    assert search.best_score_ > 0.7


@pytest.fixture(scope="module")
def one_hot():
    """300 rows of 20 categorical columns with 100 levels: 2,000 sparse features."""
    rng = np.random.default_rng(0)
    levels = rng.integers(0, 100, size=(300, 20))
    X = OneHotEncoder(categories=[np.arange(100)] * 20).fit_transform(levels)
    y = (levels[:, 0] < 50).astype(int) + (levels[:, 1] < 30)
    return X.tocsr(), y


def test_dr_scann_fits_sparse_one_hot_data(one_hot, fast):
    X, y = one_hot
    model = make_dr_scann(random_state=0, **fast).fit(X, y)
    assert model["dr"].method_ in {*SPARSE_METHODS, "identity"}
    assert set(np.unique(model.predict(X))) <= {0, 1, 2}
    assert model.predict_proba(X[:7]).shape == (7, 3)


def test_dr_scann_keeps_sparse_features_sparse(one_hot, fast):
    X, y = one_hot
    model = make_dr_scann(
        reducer_params={"candidate_components": (1.0,)}, random_state=0, **fast
    ).fit(X, y)
    assert model["dr"].method_ == "identity"
    # Centring would densify: the features are scaled to unit variance only.
    standardized = model[:-1].transform(X)
    assert sp.issparse(standardized)
    seen = X.getnnz(axis=0) > 0  # levels absent from the data stay constant
    std = standardized.toarray().std(axis=0)
    np.testing.assert_allclose(std[seen], 1.0, atol=1e-6)
    assert model["scann"].n_features_in_ == X.shape[1]
    assert model.predict(X[:5]).shape == (5,)


# Two validation rows: SCANN warns that its networks predict a single class.
@pytest.mark.filterwarnings("ignore:every network of the synthesis predicts")
def test_dr_scann_fits_six_samples(fast):
    X = np.random.default_rng(0).normal(size=(6, 8))
    y = np.array([0, 1, 0, 1, 0, 1])
    model = make_dr_scann(random_state=0, **fast).fit(X, y)
    assert model.predict(X).shape == (6,)


# -- regression ---------------------------------------------------------------


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


def test_make_dr_scann_builds_the_regression_pipeline(diabetes, fast):
    X, y = diabetes
    model = make_dr_scann(
        "pca",
        task="regression",
        n_components=0.5,
        scheme="C",
        hidden_layer_sizes=(2.0,),
        random_state=3,
        alpha=1e-4,
        **fast,
    )
    assert [name for name, _ in model.steps] == ["dr", "standardize", "scann"]
    scann = model["scann"]
    assert type(scann) is SCANNRegressor
    params = scann.get_params()
    assert (params["scheme"], params["hidden_layer_sizes"]) == ("C", (2.0,))
    assert (params["random_state"], params["alpha"]) == (3, 1e-4)
    assert params["n_rounds"] == fast["n_rounds"]
    assert model["dr"].random_state == 3
    probe = model["dr"].estimator
    assert type(probe) is KNeighborsRegressor and probe.n_neighbors == 15
    model.fit(X, y)
    assert model["scann"].n_features_in_ == 5
    assert _starting_hidden(model["scann"]) == (10,)  # 2.0 x the kept features
    assert model.predict(X[:4]).shape == (4,)


def test_dr_scann_regression_auto_fits_diabetes(diabetes, fast):
    # Integer targets: the regressor probe makes the search a regression
    # (type_of_target reads them as 214 classes).
    X, y = diabetes
    model = make_dr_scann(task="regression", random_state=0, **fast).fit(X, y)
    dr = model["dr"]
    chosen = (dr.method_, dr.n_components_)
    probes_best = max(dr.scores_, key=dr.scores_.get)
    # R² scores (negative is possible, accuracy is not) for every candidate.
    assert all(-1 < score < 1 for score in dr.scores_.values())
    if chosen != probes_best:
        # The starting network kept every feature: it did better on them.
        assert chosen == ("identity", 10)
        assert dr.confirm_scores_[chosen] > dr.confirm_scores_[probes_best]
    assert model.predict(X).shape == (442,)
    assert model.score(X, y) > 0.4


def test_dr_scann_regression_auto_fits_three_targets(fast):
    X, Y = make_regression(
        n_samples=300,
        n_features=12,
        n_informative=6,
        n_targets=3,
        noise=5.0,
        random_state=0,
    )
    model = make_dr_scann(task="regression", random_state=0, **fast).fit(X, Y)
    assert model.predict(X[:7]).shape == (7, 3)
    assert model["scann"].n_outputs_ == 3
    assert model.score(X, Y) > 0.8


def test_dr_scann_regression_fits_six_samples(fast):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 8)), rng.normal(size=6)
    model = make_dr_scann(task="regression", random_state=0, **fast).fit(X, y)
    assert model.predict(X).shape == (6,)


def test_unknown_task_is_refused_by_name():
    with pytest.raises(
        ValueError,
        match=r"task must be one of \['classification', 'regression'\]; "
        "got 'ranking'",
    ):
        make_dr_scann(task="ranking")


def test_grid_search_reaches_the_regressor_parameters(diabetes, fast):
    X, y = diabetes
    search = GridSearchCV(
        make_dr_scann(task="regression", random_state=0, **fast),
        {
            "dr__method": ["pca"],
            "dr__n_components": [0.5],
            "scann__prune_ratio": [0.2, 0.4],
        },
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_["scann"]
    assert type(best) is SCANNRegressor
    assert best.prune_ratio == search.best_params_["scann__prune_ratio"]
    assert search.best_score_ > 0.2

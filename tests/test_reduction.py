"""Tests of DimensionalityReducer, the dimensionality-reduction step of DR+SCANN."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.decomposition import PCA
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler
from sklearn.utils import get_tags
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import (
    check_global_output_transform_pandas,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

from sklearn_scann._reduction import METHODS, SPARSE_METHODS, DimensionalityReducer

N_FEATURES = 10


@pytest.fixture(scope="module")
def data():
    """A 3-class problem with 10 features, split into fit and new rows."""
    X, y = make_classification(
        n_samples=170,
        n_features=N_FEATURES,
        n_informative=5,
        n_redundant=2,
        n_classes=3,
        n_clusters_per_class=1,
        class_sep=1.5,
        random_state=0,
    )
    return X[:150], y[:150], X[150:]


# -- explicit methods ---------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_every_method_keeps_the_requested_components(data, method):
    X, y, X_new = data
    reducer = DimensionalityReducer(method, n_components=3, random_state=0)
    X_reduced = reducer.fit_transform(X, y)
    assert X_reduced.shape == (X.shape[0], 3)
    assert np.all(np.isfinite(X_reduced))
    assert reducer.transform(X_new).shape == (X_new.shape[0], 3)
    assert reducer.method_ == method
    assert reducer.n_components_ == 3
    assert reducer.compression_ratio_ == pytest.approx(N_FEATURES / 3)
    assert reducer.scores_ == {}
    assert reducer.n_features_in_ == N_FEATURES
    assert isinstance(reducer.scaler_, MinMaxScaler)
    # A reduction, not a copy of the scaled input.
    assert np.linalg.matrix_rank(X_reduced) == 3


@pytest.mark.parametrize("n_features", [7, 10])
@pytest.mark.parametrize("fraction", [0.05, 0.25, 0.5, 0.75, 1.0])
def test_float_n_components_is_a_fraction_of_the_features(n_features, fraction):
    X, _ = make_classification(n_samples=40, n_features=n_features, random_state=0)
    reducer = DimensionalityReducer("pca", n_components=fraction).fit(X)
    expected = max(1, round(fraction * n_features))
    assert reducer.n_components_ == expected
    assert reducer.transform(X).shape == (40, expected)
    assert reducer.compression_ratio_ == pytest.approx(n_features / expected)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtype_is_preserved(data, method, dtype):
    X, _, X_new = data
    reducer = DimensionalityReducer(method, n_components=2, random_state=0)
    assert reducer.fit_transform(X.astype(dtype)).dtype == dtype
    assert reducer.transform(X_new.astype(dtype)).dtype == dtype


def test_integer_input_gives_float64(data):
    X, _, _ = data
    X_int = np.round(X * 10).astype(np.int64)
    reduced = DimensionalityReducer("pca", n_components=2).fit_transform(X_int)
    assert reduced.dtype == np.float64


def test_set_output_pandas_names_the_components(data):
    pd = pytest.importorskip("pandas")
    X, _, X_new = data
    columns = [f"f{i}" for i in range(N_FEATURES)]
    frame = pd.DataFrame(X, columns=columns)
    new_frame = pd.DataFrame(X_new, columns=columns, index=range(100, 120))
    reducer = DimensionalityReducer("pca", n_components=3, random_state=0)
    reducer.set_output(transform="pandas").fit(frame)
    out = reducer.transform(new_frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["dr0", "dr1", "dr2"]
    assert list(out.index) == list(range(100, 120))
    assert list(reducer.feature_names_in_) == columns
    assert list(reducer.get_feature_names_out()) == ["dr0", "dr1", "dr2"]
    with pytest.raises(ValueError, match="input_features"):
        reducer.get_feature_names_out(["a", "b"])


def test_scaling_makes_the_reduction_unit_free(data):
    X, _, _ = data
    stretched = X.copy()
    stretched[:, 0] *= 1000.0
    scaled = DimensionalityReducer("pca", n_components=2, random_state=0)
    np.testing.assert_allclose(
        scaled.fit_transform(X), scaled.fit_transform(stretched), atol=1e-8
    )
    raw = DimensionalityReducer("pca", n_components=2, scale=False, random_state=0)
    assert not np.allclose(raw.fit_transform(X), raw.fit_transform(stretched))
    assert raw.scaler_ is None
    # Without scaling, PCA's first component follows the stretched feature.
    assert abs(raw.reducer_.components_[0, 0]) > 0.99


def test_transform_scales_then_reduces(data):
    X, _, X_new = data
    reducer = DimensionalityReducer("factor_analysis", n_components=2).fit(X)
    expected = reducer.reducer_.transform(reducer.scaler_.transform(X_new))
    np.testing.assert_allclose(reducer.transform(X_new), expected)


def test_binary_random_projection_averages_random_subsets():
    X = np.random.default_rng(0).normal(size=(80, 60))
    reducer = DimensionalityReducer(
        "binary_random_projection", n_components=40, random_state=0
    )
    reduced = reducer.fit_transform(X)
    components = reducer.reducer_.components_
    assert components.shape == (40, 60)
    used = components > 0
    # Every row is a mean: equal weights over its subset, summing to one.
    np.testing.assert_allclose(components.sum(axis=1), 1.0)
    for row, mask in zip(components, used, strict=True):
        np.testing.assert_allclose(row[mask], 1.0 / mask.sum())
    assert 0.4 < used.mean() < 0.6
    # Min-max scaled inputs stay in [0, 1].
    assert reduced.min() >= 0.0 and reduced.max() <= 1.0 + 1e-12


@pytest.mark.parametrize("method", METHODS)
def test_random_state_makes_fit_reproducible(data, method):
    X, _, X_new = data
    first = DimensionalityReducer(method, n_components=3, random_state=7).fit(X)
    second = DimensionalityReducer(method, n_components=3, random_state=7).fit(X)
    np.testing.assert_array_equal(first.transform(X_new), second.transform(X_new))


@pytest.mark.parametrize(
    "method",
    ["gaussian_random_projection", "sparse_random_projection", "ica"],
)
def test_random_state_changes_random_methods(data, method):
    X, _, X_new = data
    first = DimensionalityReducer(method, n_components=3, random_state=0).fit(X)
    second = DimensionalityReducer(method, n_components=3, random_state=1).fit(X)
    assert not np.allclose(first.transform(X_new), second.transform(X_new))


# -- method="auto" ------------------------------------------------------------

AUTO_METHODS = ["pca", "factor_analysis", "gaussian_random_projection"]


@pytest.fixture(scope="module")
def auto_fit(data):
    X, y, _ = data
    reducer = DimensionalityReducer(
        candidate_methods=AUTO_METHODS,
        candidate_components=(0.25, 0.5, 3),
        random_state=0,
    )
    return reducer.fit(X, y)


def test_auto_scores_every_candidate_and_keeps_the_best(auto_fit, data):
    X, _, X_new = data
    # 0.25 * 10 rounds to 2, 0.5 * 10 to 5; 3 is taken as is.
    expected_keys = {(m, k) for m in AUTO_METHODS for k in (2, 3, 5)}
    assert set(auto_fit.scores_) == expected_keys
    assert all(0.0 <= s <= 1.0 for s in auto_fit.scores_.values())
    chosen = (auto_fit.method_, auto_fit.n_components_)
    assert auto_fit.scores_[chosen] == max(auto_fit.scores_.values())
    assert auto_fit.compression_ratio_ == pytest.approx(
        N_FEATURES / auto_fit.n_components_
    )
    assert auto_fit.transform(X_new).shape == (X_new.shape[0], auto_fit.n_components_)
    # The fitted reducer is the selected one.
    assert auto_fit.reducer_.n_components == auto_fit.n_components_


def test_auto_default_candidates_cover_every_method(data):
    X, y, _ = data
    reducer = DimensionalityReducer(
        candidate_components=(0.3,), estimator=DummyClassifier(), random_state=0
    ).fit(X, y)
    assert set(reducer.scores_) == {(m, 3) for m in METHODS}


def test_auto_ties_go_to_fewer_components_then_earlier_method(data):
    X, y, _ = data
    # A constant predictor scores the same on every candidate.
    reducer = DimensionalityReducer(
        candidate_methods=["sparse_random_projection", "pca"],
        candidate_components=(0.5, 0.2, 4),
        estimator=DummyClassifier(strategy="most_frequent"),
        random_state=0,
    ).fit(X, y)
    assert len(set(reducer.scores_.values())) == 1
    assert reducer.n_components_ == 2
    assert reducer.method_ == "sparse_random_projection"


def test_auto_scores_with_the_given_estimator(data):
    X, y, _ = data
    reducer = DimensionalityReducer(
        candidate_methods=["pca"],
        candidate_components=(2,),
        estimator=DummyClassifier(strategy="most_frequent"),
        cv=5,
        random_state=0,
    ).fit(X, y)
    majority = np.bincount(y).max() / y.size
    assert reducer.scores_[("pca", 2)] == pytest.approx(majority, abs=0.02)


def _spread_classes(n=600, d=12, seed=0):
    """Two classes of the same mean and different spread (as the ring set)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return rng.normal(size=(n, d)) * np.where(y[:, None] == 1, 2.0, 1.0), y


def _quadratic_model():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    return make_pipeline(
        PolynomialFeatures(2), StandardScaler(), LogisticRegression(max_iter=500)
    )


def test_confirm_with_keeps_every_feature_where_the_model_needs_them():
    # A nearest-neighbour probe prefers 3 random directions to 12 features on
    # data whose classes differ in spread only; a model that sees the
    # spread (quadratic features) needs all of them.
    X, y = _spread_classes()
    options = {
        "candidate_methods": ["pca", "gaussian_random_projection"],
        "candidate_components": (0.25, 0.5, 1.0),
        "estimator": KNeighborsClassifier(15),
        "random_state": 0,
    }
    probe_only = DimensionalityReducer(**options).fit(X, y)
    assert probe_only.method_ != "identity"
    assert probe_only.confirm_scores_ == {}
    confirmed = DimensionalityReducer(**options, confirm_with=_quadratic_model())
    confirmed.fit(X, y)
    assert (confirmed.method_, confirmed.n_components_) == ("identity", 12)
    reduced = (probe_only.method_, probe_only.n_components_)
    assert set(confirmed.confirm_scores_) == {reduced, ("identity", 12)}
    assert confirmed.confirm_scores_[("identity", 12)] > (
        confirmed.confirm_scores_[reduced] + 0.1
    )
    # The probe's own scores are those of the search without confirmation.
    assert confirmed.scores_ == probe_only.scores_


def test_confirm_with_keeps_a_reduction_the_model_does_not_miss():
    # Two classes apart along one direction: 3 principal components carry it.
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 600)
    X = rng.normal(size=(600, 12)) + np.where(y[:, None] == 1, 0.5, -0.5)
    reducer = DimensionalityReducer(
        candidate_methods=["pca"],
        candidate_components=(0.25, 0.5, 1.0),
        estimator=KNeighborsClassifier(15),
        confirm_with=LogisticRegression(),
        random_state=0,
    ).fit(X, y)
    assert (reducer.method_, reducer.n_components_) == ("pca", 3)
    assert set(reducer.confirm_scores_) == {("pca", 3), ("identity", 12)}


def test_auto_is_reproducible(auto_fit, data):
    X, y, X_new = data
    again = DimensionalityReducer(
        candidate_methods=AUTO_METHODS,
        candidate_components=(0.25, 0.5, 3),
        random_state=0,
    ).fit(X, y)
    assert again.scores_ == auto_fit.scores_
    assert (again.method_, again.n_components_) == (
        auto_fit.method_,
        auto_fit.n_components_,
    )
    np.testing.assert_array_equal(again.transform(X_new), auto_fit.transform(X_new))


def test_auto_ignores_n_components(data):
    X, y, _ = data
    reducer = DimensionalityReducer(
        n_components=1,
        candidate_methods=["pca"],
        candidate_components=(4,),
        random_state=0,
    ).fit(X, y)
    assert reducer.n_components_ == 4


# -- errors -------------------------------------------------------------------


def test_int_n_components_above_n_features_is_refused(data):
    X, _, _ = data
    reducer = DimensionalityReducer("pca", n_components=N_FEATURES + 1)
    with pytest.raises(
        ValueError, match=r"n_components=11 .*number of features \(10\)"
    ):
        reducer.fit(X)


# The most components each method returns from 4 samples of 10 features.
FOUR_SAMPLE_LIMITS = {
    "pca": 4,
    "kernel_pca": 4,
    "isomap": 4,
    "factor_analysis": 4,
    "ica": 3,  # its whitening divides by the zero last singular value
}


@pytest.mark.parametrize(("method", "limit"), FOUR_SAMPLE_LIMITS.items())
def test_n_components_above_what_the_samples_give_is_refused(data, method, limit):
    X, _, _ = data
    reducer = DimensionalityReducer(method, n_components=limit + 1, random_state=0)
    with pytest.raises(
        ValueError,
        match=rf"n_components={limit + 1} is more than method='{method}' can "
        rf"return from 4 samples: at most {limit}",
    ):
        reducer.fit(X[:4])
    # At the limit every method returns what was asked (Isomap with fewer
    # neighbours than its ten), all finite.
    reduced = reducer.set_params(n_components=limit).fit_transform(X[:4])
    assert reduced.shape == (4, limit)
    assert np.all(np.isfinite(reduced))


def test_too_many_components_are_named_in_the_users_terms(data):
    X, _, _ = data
    with pytest.raises(
        ValueError, match=r"n_components=0\.5 \(5 of 10 features\) is more than"
    ):
        DimensionalityReducer("pca", n_components=0.5).fit(X[:3])
    with pytest.raises(
        ValueError,
        match=r"from 8 samples \(max_samples=8 of the 150 rows\): at most 8.*"
        "Raise max_samples",
    ):
        DimensionalityReducer("kernel_pca", n_components=9, max_samples=8).fit(X)


def test_unknown_method_lists_the_valid_ones(data):
    X, _, _ = data
    with pytest.raises(InvalidParameterError, match="'method' parameter") as info:
        DimensionalityReducer("tsne").fit(X)
    assert isinstance(info.value, ValueError)
    for method in METHODS:
        assert method in str(info.value)


@pytest.mark.parametrize("method", ["spectral_embedding", "spectral"])
def test_spectral_embedding_is_refused_with_the_reason(data, method):
    X, y, _ = data
    with pytest.raises(ValueError, match="no out-of-sample transform.*pipeline"):
        DimensionalityReducer(method).fit(X, y)
    with pytest.raises(ValueError, match="no out-of-sample transform"):
        DimensionalityReducer(candidate_methods=["pca", method]).fit(X, y)


def test_auto_without_y_is_refused(data):
    X, _, _ = data
    with pytest.raises(ValueError, match="method='auto'.*needs the class labels"):
        DimensionalityReducer().fit(X)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"candidate_methods": ["pca", "umap"]}, "candidate_methods contains 'umap'"),
        ({"candidate_methods": []}, "candidate_methods must not be empty"),
        (
            {"candidate_components": (0.5, 1.5)},
            r"candidate_components must be in \(0, 1\]",
        ),
        ({"candidate_components": (20,)}, "candidate_components=20 is larger"),
        ({"candidate_components": ()}, "candidate_components must not be empty"),
    ],
)
def test_bad_candidates_are_refused(data, params, message):
    X, y, _ = data
    with pytest.raises(ValueError, match=message):
        DimensionalityReducer(**params).fit(X, y)


@pytest.mark.parametrize(("value", "message"), [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_input_is_refused(data, value, message):
    X, _, X_new = data
    bad = X.copy()
    bad[3, 2] = value
    with pytest.raises(ValueError, match=message):
        DimensionalityReducer("pca", n_components=2).fit(bad)
    reducer = DimensionalityReducer("pca", n_components=2).fit(X)
    bad_new = X_new.copy()
    bad_new[0, 0] = value
    with pytest.raises(ValueError, match=message):
        reducer.transform(bad_new)


def test_wrong_number_of_features_at_transform(data):
    X, _, X_new = data
    reducer = DimensionalityReducer("pca", n_components=2).fit(X)
    with pytest.raises(ValueError, match="features"):
        reducer.transform(X_new[:, :5])


# -- in a pipeline ------------------------------------------------------------


def test_grid_search_over_method_and_n_components(data):
    X, y, _ = data
    pipeline = Pipeline(
        [
            ("dr", DimensionalityReducer("pca", random_state=0)),
            ("clf", LogisticRegression(max_iter=300)),
        ]
    )
    grid = {
        "dr__method": ["pca", "sparse_random_projection", "binary_random_projection"],
        "dr__n_components": [0.3, 6],
    }
    search = GridSearchCV(pipeline, grid, cv=3).fit(X, y)
    assert len(search.cv_results_["params"]) == 6
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_.named_steps["dr"]
    assert best.method_ == search.best_params_["dr__method"]
    assert best.n_components_ in (3, 6)
    assert (
        search.best_estimator_.named_steps["clf"].n_features_in_ == best.n_components_
    )
    assert search.best_score_ > 0.6


# -- scikit-learn's estimator checks ------------------------------------------


@parametrize_with_checks(
    [
        DimensionalityReducer("pca", n_components=1, random_state=0),
        DimensionalityReducer(
            "sparse_random_projection", n_components=1, random_state=0
        ),
        DimensionalityReducer(
            "binary_random_projection", n_components=1, random_state=0
        ),
        # Sparse input: refused by name (factor analysis), taken (kernel PCA).
        DimensionalityReducer("factor_analysis", n_components=1, random_state=0),
        DimensionalityReducer("kernel_pca", n_components=1, random_state=0),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# parametrize_with_checks does not yield the feature-name and set_output checks.
# They fit on a DataFrame and transform an array on purpose, hence the warnings.
@pytest.mark.filterwarnings("ignore:X (has|does not have valid) feature names")
@pytest.mark.parametrize(
    "check",
    [
        check_transformer_get_feature_names_out,
        check_transformer_get_feature_names_out_pandas,
        check_set_output_transform,
        check_set_output_transform_pandas,
        check_global_output_transform_pandas,
    ],
)
@pytest.mark.parametrize("method", ["pca", "binary_random_projection"])
def test_feature_names_and_set_output_checks(method, check):
    pytest.importorskip("pandas")
    check("DimensionalityReducer", DimensionalityReducer(method, random_state=0))


def test_max_samples_bounds_quadratic_methods_and_selection():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = X[:600], y[:600]
    iso = DimensionalityReducer("isomap", n_components=4, max_samples=200).fit(X)
    assert iso.reducer_.embedding_.shape[0] == 200
    assert iso.transform(X).shape == (600, 4)
    kpca = DimensionalityReducer("kernel_pca", n_components=4, max_samples=150).fit(X)
    assert kpca.reducer_.X_fit_.shape[0] == 150
    pca = DimensionalityReducer("pca", n_components=4, max_samples=150).fit(X)
    assert pca.reducer_.n_samples_ == 600  # linear methods use every row
    every = DimensionalityReducer("isomap", n_components=4, max_samples=None).fit(X)
    assert every.reducer_.embedding_.shape[0] == 600

    seen = []

    class Spy(LogisticRegression):
        def fit(self, X, y):
            seen.append(X.shape[0])
            return super().fit(X, y)

    DimensionalityReducer(
        candidate_methods=["pca"],
        candidate_components=[0.25],
        estimator=Spy(max_iter=200),
        cv=2,
        max_samples=100,
        random_state=0,
    ).fit(X, y)
    assert seen and max(seen) <= 100  # 2-fold CV on a 100-row subsample


# -- small data ---------------------------------------------------------------


@pytest.fixture(scope="module")
def six():
    """Six samples of 10 features, three of each class."""
    X = np.random.default_rng(0).normal(size=(6, N_FEATURES))
    return X, np.array([0, 0, 0, 1, 1, 1])


def test_auto_fits_six_samples(six):
    X, y = six
    reducer = DimensionalityReducer(random_state=0).fit(X, y)
    # Three folds leave 4 training samples: sizes 2 and 5 (0.25 and 0.5 of 10
    # features) are lowered to what each method returns from 4 samples.
    expected = {
        (method, size)
        for method in METHODS
        for size in (2, min(5, FOUR_SAMPLE_LIMITS.get(method, 5)))
    }
    assert set(reducer.scores_) == expected
    assert reducer.transform(X).shape == (6, reducer.n_components_)


def test_auto_lowers_the_folds_to_the_smallest_class(six):
    X, _ = six
    y = np.array([0, 0, 1, 1, 1, 1])
    n_fits = []

    class Spy(LogisticRegression):
        def fit(self, X, y):
            n_fits.append(X.shape[0])
            return super().fit(X, y)

    DimensionalityReducer(
        candidate_methods=["pca"],
        candidate_components=(2,),
        estimator=Spy(),
        cv=3,
        random_state=0,
    ).fit(X, y)
    assert n_fits == [3, 3]  # two folds: class 0 has two samples


@pytest.mark.parametrize(
    "probe",
    [
        KNeighborsClassifier(n_neighbors=15),
        Pipeline([("knn", KNeighborsClassifier(n_neighbors=15))]),
    ],
)
def test_auto_lowers_a_nearest_neighbour_probe_to_the_fold(six, probe):
    X, y = six
    reducer = DimensionalityReducer(
        candidate_methods=["pca", "sparse_random_projection"],
        estimator=probe,
        random_state=0,
    ).fit(X, y)
    assert len(reducer.scores_) == 4
    # The given estimator itself is left as it was.
    params = probe.get_params()
    assert params.get("n_neighbors", params.get("knn__n_neighbors")) == 15


def test_auto_needs_two_samples_of_every_class(six):
    X, _ = six
    with pytest.raises(
        ValueError,
        match=r"method='auto'\) .*at least 2 samples of every class; got 1 of "
        r"class 1 \(6 samples in all\)",
    ):
        DimensionalityReducer().fit(X, [0, 0, 0, 0, 0, 1])


# -- regression targets -------------------------------------------------------


@pytest.fixture(scope="module")
def regression():
    """120 rows of 10 features; one target and three targets."""
    X, Y = make_regression(
        n_samples=120,
        n_features=N_FEATURES,
        n_informative=4,
        n_targets=3,
        noise=5.0,
        random_state=0,
    )
    return X, Y[:, 0], Y


def _seed(random_state):
    """The seed fit draws from an int random_state (folds and reducers)."""
    return np.random.RandomState(random_state).randint(np.iinfo(np.int32).max)


def test_auto_searches_continuous_y_by_kfold_r2(regression):
    X, y, _ = regression
    # Before regression support this raised "Unknown label type: continuous".
    reducer = DimensionalityReducer(
        candidate_methods=["pca", "sparse_random_projection"], random_state=0
    ).fit(X, y)
    assert set(reducer.scores_) == {
        (m, k) for m in ("pca", "sparse_random_projection") for k in (2, 5)
    }
    chosen = (reducer.method_, reducer.n_components_)
    assert reducer.scores_[chosen] == max(reducer.scores_.values())
    assert reducer.transform(X).shape == (120, reducer.n_components_)
    # Each score is the mean R² of a 15-nearest-neighbour regressor over a
    # shuffled 3-fold KFold seeded from random_state.
    seed = _seed(0)
    probe = Pipeline(
        [
            ("scale", MinMaxScaler()),
            ("reduce", PCA(n_components=5, random_state=seed)),
            ("estimator", KNeighborsRegressor(n_neighbors=15)),
        ]
    )
    folds = KFold(n_splits=3, shuffle=True, random_state=seed)
    expected = cross_val_score(probe, X, y, cv=folds, scoring="r2").mean()
    assert reducer.scores_[("pca", 5)] == pytest.approx(expected, rel=1e-12)


def test_auto_averages_r2_over_the_outputs_of_multi_output_y(regression):
    X, _, Y = regression
    reducer = DimensionalityReducer(
        candidate_methods=["pca"], candidate_components=(5,), random_state=0
    ).fit(X, Y)
    assert reducer.method_ == "pca"
    assert reducer.n_components_ == 5
    seed = _seed(0)
    scores = []
    for train, test in KFold(3, shuffle=True, random_state=seed).split(X):
        fitted = Pipeline(
            [
                ("scale", MinMaxScaler()),
                ("reduce", PCA(n_components=5, random_state=seed)),
                ("estimator", KNeighborsRegressor(n_neighbors=15)),
            ]
        ).fit(X[train], Y[train])
        per_output = r2_score(
            Y[test], fitted.predict(X[test]), multioutput="raw_values"
        )
        scores.append(per_output.mean())
    assert reducer.scores_[("pca", 5)] == pytest.approx(np.mean(scores), rel=1e-12)


def test_auto_searches_integer_multi_output_y_as_a_regression(regression):
    # Several columns of integers are no classification the search knows.
    X, _, Y = regression
    reducer = DimensionalityReducer(
        candidate_methods=["pca"], candidate_components=(5,), random_state=0
    ).fit(X, np.round(Y).astype(int))
    assert reducer.n_components_ == 5


# scikit-learn's own hint, raised before the class counts are refused.
@pytest.mark.filterwarnings("ignore:The number of unique classes is greater")
def test_a_regressor_makes_integer_targets_a_regression(regression):
    X, y, _ = regression
    counts = np.round(y - y.min()).astype(int)  # integers, almost all distinct
    with pytest.raises(ValueError, match="If y holds regression targets, pass a"):
        DimensionalityReducer(candidate_methods=["pca"]).fit(X, counts)
    reducer = DimensionalityReducer(
        candidate_methods=["pca"],
        estimator=KNeighborsRegressor(n_neighbors=5),
        random_state=0,
    ).fit(X, counts)
    assert set(reducer.scores_) == {("pca", 2), ("pca", 5)}
    assert max(reducer.scores_.values()) > 0.3


def test_a_classifier_with_continuous_y_is_refused_by_name(regression):
    X, y, _ = regression
    with pytest.raises(
        ValueError, match=r"y is continuous .*LogisticRegression\(\) is a classifier"
    ):
        DimensionalityReducer(estimator=LogisticRegression()).fit(X, y)


class _FoldSpy(KNeighborsRegressor):
    """A nearest-neighbour regressor that records its training sizes."""

    sizes: list = []

    def fit(self, X, y):
        type(self).sizes.append(X.shape[0])
        return super().fit(X, y)


@pytest.fixture
def fold_spy():
    _FoldSpy.sizes = []
    return _FoldSpy


def test_regression_fits_six_samples(six, fold_spy):
    X, _ = six
    y = np.random.default_rng(1).normal(size=6)
    reducer = DimensionalityReducer(random_state=0).fit(X, y)
    # As for classes: three folds leave 4 training samples, and the sizes
    # are lowered to what each method returns from them; the default
    # probe's 15 neighbours drop to 4.
    expected = {
        (method, size)
        for method in METHODS
        for size in (2, min(5, FOUR_SAMPLE_LIMITS.get(method, 5)))
    }
    assert set(reducer.scores_) == expected
    assert all(np.isfinite(list(reducer.scores_.values())))
    assert reducer.transform(X).shape == (6, reducer.n_components_)
    DimensionalityReducer(
        candidate_methods=["pca"],
        candidate_components=(2,),
        estimator=fold_spy(n_neighbors=15),
        random_state=0,
    ).fit(X, y)
    assert fold_spy.sizes == [4, 4, 4]


def test_regression_folds_keep_two_test_samples(six, fold_spy):
    X, _ = six
    y = np.random.default_rng(1).normal(size=6)
    DimensionalityReducer(
        candidate_methods=["pca"],
        candidate_components=(2,),
        estimator=fold_spy(n_neighbors=15),
        random_state=0,
    ).fit(X[:5], y[:5])
    # Five rows, cv=3: three folds would leave a test fold of one sample,
    # whose R² is undefined, so two folds are used.
    assert sorted(fold_spy.sizes) == [2, 3]
    with pytest.raises(
        ValueError, match=r"R² needs at least 2 samples .*at least 4 samples; got 3"
    ):
        DimensionalityReducer().fit(X[:3], y[:3])


def test_regression_scores_on_a_random_subsample(regression, fold_spy):
    X, y, _ = regression
    DimensionalityReducer(
        candidate_methods=["pca"],
        candidate_components=(2,),
        estimator=fold_spy(n_neighbors=5),
        cv=2,
        max_samples=40,
        random_state=0,
    ).fit(X, y)
    assert fold_spy.sizes == [20, 20]


# -- sparse input -------------------------------------------------------------


@pytest.fixture(scope="module")
def counts():
    """Sparse non-negative counts, every feature with zeros (so that max-abs
    scaling is min-max scaling), and labels."""
    rng = np.random.default_rng(0)
    # Continuous values: no tied distances for Isomap's neighbour search.
    X = rng.exponential(size=(120, 40)) * (rng.random((120, 40)) < 0.3)
    X[0] = 0.0
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return sp.csr_matrix(X), y


@pytest.mark.parametrize("method", SPARSE_METHODS)
def test_sparse_input_reduces_as_dense_input_does(counts, method):
    X, _ = counts
    sparse_fit = DimensionalityReducer(method, n_components=5, random_state=0).fit(X)
    dense_fit = DimensionalityReducer(method, n_components=5, random_state=0)
    expected = dense_fit.fit(X.toarray()).transform(X.toarray())
    assert isinstance(sparse_fit.scaler_, MaxAbsScaler)
    for X_new in (X, X.toarray(), sp.csr_array(X)):
        reduced = sparse_fit.transform(X_new)
        assert isinstance(reduced, np.ndarray)
        # Eigen-decompositions fix each component up to its sign.
        signs = np.sign(np.sum(reduced * expected, axis=0))
        np.testing.assert_allclose(reduced * signs, expected, atol=1e-6)


def test_sparse_input_is_never_densified(counts, monkeypatch):
    X, y = counts
    n_features = X.shape[1]
    for container in (sp.csr_matrix, sp.csr_array, sp.csc_matrix, sp.csc_array):
        toarray = container.toarray

        def guarded(self, *args, _toarray=toarray, **kwargs):
            assert n_features not in self.shape, "the features were densified"
            return _toarray(self, *args, **kwargs)

        monkeypatch.setattr(container, "toarray", guarded)
    with pytest.raises(AssertionError, match="densified"):
        X.todense()
    for method in SPARSE_METHODS:
        DimensionalityReducer(method, n_components=5, random_state=0).fit_transform(X)
    auto = DimensionalityReducer(candidate_components=(0.25, 1.0), random_state=0).fit(
        X, y
    )
    assert {method for method, _ in auto.scores_} == {*SPARSE_METHODS, "identity"}


def test_identity_keeps_sparse_input_sparse(counts):
    X, y = counts
    reducer = DimensionalityReducer(
        candidate_methods=["pca"], candidate_components=(1.0,), random_state=0
    ).fit(X, y)
    assert reducer.method_ == "identity"
    reduced = reducer.transform(X.astype(np.float32))
    assert sp.issparse(reduced) and reduced.dtype == np.float32
    np.testing.assert_allclose(
        reduced.toarray(), X.toarray() / X.toarray().max(axis=0), rtol=1e-6
    )


@pytest.mark.parametrize("method", ["factor_analysis", "ica"])
def test_dense_only_methods_refuse_sparse_input_by_name(counts, method):
    X, _ = counts
    message = rf"method='{method}' needs dense X.*{SPARSE_METHODS[-1]}"
    with pytest.raises(TypeError, match=message):
        DimensionalityReducer(method, n_components=2).fit(X)
    reducer = DimensionalityReducer(method, n_components=2).fit(X.toarray())
    with pytest.raises(TypeError, match=message):
        reducer.transform(X)


def test_auto_on_sparse_input_leaves_dense_only_methods_out(counts):
    X, y = counts
    reducer = DimensionalityReducer(
        candidate_methods=["ica", "pca", "factor_analysis"],
        candidate_components=(2,),
        random_state=0,
    ).fit(X, y)
    assert set(reducer.scores_) == {("pca", 2)}
    with pytest.raises(TypeError, match=r"none of candidate_methods=.*sparse"):
        DimensionalityReducer(candidate_methods=["ica", "factor_analysis"]).fit(X, y)


def test_min_max_scaling_refuses_sparse_input_at_transform(counts):
    X, _ = counts
    reducer = DimensionalityReducer("pca", n_components=2).fit(X.toarray())
    with pytest.raises(TypeError, match="fitted on dense X, so it min-max scales"):
        reducer.transform(X)
    # Without scaling nothing stands in the way.
    unscaled = DimensionalityReducer("pca", n_components=2, scale=False)
    unscaled.fit(X.toarray())
    np.testing.assert_allclose(
        unscaled.transform(X), unscaled.transform(X.toarray()), atol=1e-12
    )


@pytest.mark.parametrize(
    ("params", "accepts_sparse"),
    [*(({"method": m}, m in SPARSE_METHODS) for m in METHODS)]
    + [
        ({}, True),
        ({"candidate_methods": ["ica", "pca"]}, True),
        ({"candidate_methods": ["ica", "factor_analysis"]}, False),
    ],
)
def test_sparse_tag_is_truthful(counts, params, accepts_sparse):
    X, y = counts
    reducer = DimensionalityReducer(
        n_components=2, candidate_components=(2,), random_state=0, **params
    )
    assert get_tags(reducer).input_tags.sparse is accepts_sparse
    if accepts_sparse:
        reducer.fit(X, y)
    else:
        with pytest.raises(TypeError, match="sparse"):
            reducer.fit(X, y)

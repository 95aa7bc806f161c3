"""SCANNRegressor: single- and multi-output regression on the shared engine."""

# SPDX-License-Identifier: BSD-3-Clause

import pickle

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_regression
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNClassifier, SCANNRegressor
from sklearn_scann._network import build_network
from sklearn_scann._training import Trainer

FAST = {"n_rounds": 1, "epochs_per_step": 3, "initial_epochs": 30}


@pytest.fixture(scope="module")
def data():
    X, y = make_regression(
        n_samples=300, n_features=6, n_informative=4, noise=5.0, random_state=0
    )
    return X, y


@pytest.fixture(scope="module")
def multi():
    X, Y = make_regression(
        n_samples=300, n_features=6, n_targets=3, noise=5.0, random_state=1
    )
    return X, Y


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return SCANNRegressor(random_state=0, **FAST).fit(X, y)


def test_fits_and_predicts_one_target(fitted, data):
    X, y = data
    prediction = fitted.predict(X)
    assert prediction.shape == y.shape
    assert fitted.n_outputs_ == 1
    assert fitted.score(X, y) == pytest.approx(r2_score(y, prediction))
    assert fitted.score(X, y) > 0.8
    assert fitted.n_connections_ <= fitted.baseline_connections_ * 2
    assert all("validation_score" in h for h in fitted.history_)


def test_one_network_predicts_every_target(multi):
    X, Y = multi
    reg = SCANNRegressor(random_state=0, **FAST).fit(X, Y)
    assert reg.predict(X).shape == Y.shape
    assert reg.n_outputs_ == 3
    assert reg.topology_.layer_sizes[-1] == 3
    per_target = r2_score(Y, reg.predict(X), multioutput="raw_values")
    assert np.all(per_target > 0.7)


def test_raw_targets_train_as_well_as_standardised_ones(data):
    X, y = data
    raw = 5000.0 + 300.0 * y
    on_raw = SCANNRegressor(random_state=0, **FAST).fit(X, raw)
    on_standard = SCANNRegressor(random_state=0, **FAST).fit(X, y)
    assert on_raw.score(X, raw) == pytest.approx(on_standard.score(X, y), abs=0.02)
    np.testing.assert_allclose(on_raw.target_mean_, [raw.mean()])
    np.testing.assert_allclose(on_raw.target_scale_, [raw.std()])


def test_column_vector_y_warns_and_predicts_1d(data):
    X, y = data
    with pytest.warns(DataConversionWarning):
        reg = SCANNRegressor(random_state=0, **FAST).fit(X, y[:, None])
    assert reg.predict(X).shape == y.shape


def test_constant_target_is_predicted(data):
    X, _ = data
    reg = SCANNRegressor(random_state=0, **FAST).fit(X, np.full(X.shape[0], 7.5))
    np.testing.assert_allclose(reg.predict(X), 7.5, atol=1e-6)


def test_sample_weight_weights_the_loss(data):
    X, y = data
    group = X[:, 0] > 0
    heavy = np.where(group, 20.0, 1.0)
    light = np.where(group, 1.0, 20.0)
    kwargs = {"random_state": 0, "hidden_layer_sizes": (2,), **FAST}
    on_group = SCANNRegressor(**kwargs).fit(X, y, sample_weight=heavy)
    off_group = SCANNRegressor(**kwargs).fit(X, y, sample_weight=light)

    def error(model):
        return np.mean((model.predict(X[group]) - y[group]) ** 2)

    assert error(on_group) < error(off_group)


@pytest.mark.parametrize("convert", [np.float32, sp.csr_matrix])
def test_float32_and_sparse_inputs(data, convert):
    X, y = data
    Xc = convert(X.astype(np.float32)) if convert is sp.csr_matrix else convert(X)
    reg = SCANNRegressor(random_state=0, **FAST).fit(Xc, y)
    assert reg.score(Xc, y) > 0.7


def test_pandas_feature_names(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    reg = SCANNRegressor(random_state=0, **FAST).fit(frame, y)
    assert reg.feature_names_in_.tolist() == list(frame.columns)


def test_same_random_state_same_predictions(data):
    X, y = data
    a = SCANNRegressor(random_state=3, **FAST).fit(X, y).predict(X)
    b = SCANNRegressor(random_state=3, **FAST).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)


def test_in_sklearn_tools(data, tmp_path):
    X, y = data
    pipe = make_pipeline(
        StandardScaler(),
        TransformedTargetRegressor(
            SCANNRegressor(random_state=0, **FAST), transformer=StandardScaler()
        ),
    )
    result = cross_validate(pipe, X, y, cv=2)
    assert np.all(result["test_score"] > 0.5)
    search = GridSearchCV(
        SCANNRegressor(random_state=0, **FAST), {"prune_ratio": [0.3, 0.6]}, cv=2
    ).fit(X, y)
    assert search.best_params_["prune_ratio"] in (0.3, 0.6)
    model = SCANNRegressor(random_state=0, **FAST).fit(X, y)
    joblib.dump(model, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    again = pickle.loads(pickle.dumps(clone(model)))
    assert again.get_params() == model.get_params()


def test_select_uses_the_r2_frontier(fitted, data):
    X, y = data
    smallest = fitted.frontier_[0]
    model = fitted.select(max_connections=smallest["n_connections"])
    assert model.n_connections_ <= smallest["n_connections"]
    assert model.predict(X).shape == y.shape


def test_compact_network_equals_the_torch_module(fitted, data):
    X, _ = data
    arrays = fitted.network_.to_arrays()
    module = build_network(
        fitted.topology_, arrays["weights"], arrays["biases"], dtype=torch.float64
    )
    with torch.no_grad():
        expected = module(torch.as_tensor(X)).numpy()[:, 0]
    np.testing.assert_allclose(fitted.predict(X), expected, rtol=1e-5, atol=1e-5)


def test_folded_network_predicts_in_the_targets_units(data):
    X, y = data
    raw = 1e4 + 1e3 * y
    reg = SCANNRegressor(random_state=0, **FAST).fit(X, raw)
    # The network alone (no scaling outside it) gives the prediction.
    np.testing.assert_allclose(
        reg.network_.decision_function(X)[:, 0], reg.predict(X), rtol=1e-12
    )
    assert abs(reg.predict(X).mean() - raw.mean()) < 0.2 * raw.std()


def test_interrupted_refit_keeps_the_old_model(data, multi, monkeypatch):
    X, y = data
    reg = SCANNRegressor(random_state=0, **FAST).fit(X, y)
    before = reg.predict(X)

    def interrupt(self, epochs, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Trainer, "train", interrupt)
    with pytest.raises(KeyboardInterrupt):
        reg.fit(*multi)
    assert reg.n_outputs_ == 1
    np.testing.assert_array_equal(reg.predict(X), before)


def test_unfitted_and_bad_targets(data):
    X, y = data
    with pytest.raises(NotFittedError):
        SCANNRegressor().predict(X)
    with pytest.raises(ValueError):
        SCANNRegressor(**FAST).fit(X, np.array(["a", "b"] * 150))
    y_nan = y.copy()
    y_nan[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SCANNRegressor(**FAST).fit(X, y_nan)


def test_parameters_match_the_classifier_but_class_weight():
    classifier = set(SCANNClassifier().get_params())
    regressor = set(SCANNRegressor().get_params())
    assert classifier - regressor == {"class_weight"}
    assert regressor <= classifier


def test_paired_standard_error_cancels_what_steps_share():
    from sklearn_scann._scoring import RegressionScorer

    rng = np.random.default_rng(0)
    y = rng.normal(size=(400, 1))
    scorer = RegressionScorer(
        None, y, None, [0.0], [1.0], seed=0, bootstrap=True, paired=True
    )
    base = y + rng.normal(scale=0.5, size=y.shape)
    scorer(base)
    marginal = scorer.best_standard_error
    scorer(base + rng.normal(scale=0.05, size=y.shape))  # a close variant
    assert scorer.paired_standard_error(0, 0) == 0.0
    paired = scorer.paired_standard_error(1, 0)
    assert 0 < paired < marginal / 3


@pytest.mark.parametrize("weighted", [False, True])
def test_r2_of_many_resamples_at_once_is_r2_score_of_each(weighted):
    # The bootstrap scores all its resamples in one call; each row of the
    # result must be scikit-learn's R² of that resample (weighted, per
    # output; a constant resample scores as r2_score scores it).
    from sklearn_scann._scoring import RegressionScorer

    rng = np.random.default_rng(1)
    y = rng.normal(size=(30, 2))
    w = rng.uniform(0.2, 3.0, size=30) if weighted else None
    scorer = RegressionScorer(
        None, y, w, [1.0, -2.0], [2.0, 0.5], seed=0, bootstrap=False, paired=True
    )
    scorer(y + rng.normal(scale=0.4, size=y.shape))
    estimator = scorer.evaluated[0]
    rows = rng.integers(0, 30, size=(6, 30))
    rows[5] = 7  # one resample of a single row repeated: a constant target
    many = scorer._output_r2(estimator, rows)
    assert many.shape == (6, 2)
    truth = y * [2.0, 0.5] + [1.0, -2.0]
    for r, scores in zip(rows, many, strict=True):
        expected = r2_score(
            truth[r],
            estimator.predictions[r],
            sample_weight=None if w is None else w[r],
            multioutput="raw_values",
        )
        np.testing.assert_allclose(scores, expected, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(scorer._output_r2(estimator, r), scores)


class _FixedPairs:
    """A stand-in step scorer whose every paired standard error is ``error``.

    ``outputs`` optionally gives every step's R² per output.
    """

    best_index = 0
    n_scored = 2  # the schedule judges step 1 against the best, step 0

    def __init__(self, error, outputs=None):
        self.error = error
        self.output_scores = [] if outputs is None else [np.array(o) for o in outputs]

    def paired_standard_error(self, i, j):
        return 0.0 if i == j else self.error

    def output_shortfall(self, i, j):
        return self.output_scores[j] - self.output_scores[i]

    def paired_output_errors(self, i, j):
        return np.full(self.output_scores[i].size, 0.0 if i == j else self.error)


@pytest.mark.parametrize(
    "error, scoring, expected",
    [
        (0.001, None, 0.01),
        (0.05, None, 0.05),
        (0.001, "neg_mean_absolute_error", 0.001),
    ],
)
def test_auto_tolerance_is_the_paired_error_raised_to_a_hundredth_of_r2(
    error, scoring, expected
):
    rule = SCANNRegressor(scoring=scoring)._tolerance_rule(
        None, 100, _FixedPairs(error)
    )
    assert rule(0.9) == pytest.approx(expected)


def _history(scores_and_sizes):
    return [
        {
            "validation_score": s,
            "validation_loss": 1 - s,
            "n_connections": n,
            "changed": True,
            "accepted": True,
            "one_class": False,
        }
        for s, n in scores_and_sizes
    ]


@pytest.mark.parametrize("error, chosen", [(0.001, 1), (0.0, 1), (0.02, 1)])
def test_auto_selection_keeps_a_smaller_step_within_a_hundredth_of_r2(error, chosen):
    # Step 1 is 0.008 of R² below the best and 10x smaller; step 2 is 0.03
    # below. A tiny paired error must not keep the big network.
    history = _history([(0.900, 1000), (0.892, 100), (0.870, 10)])
    model = SCANNRegressor()
    assert model._select_step(history, None, _FixedPairs(error)) == chosen
    strict = SCANNRegressor(tolerance=0.005)
    assert strict._select_step(history, 0.005, _FixedPairs(error)) == 0


def test_selection_takes_one_margin_per_step():
    from sklearn_scann._schemes import select_checkpoint

    history = [
        {"validation_score": s, "validation_loss": 1 - s, "n_connections": n}
        for s, n in [(0.90, 100), (0.88, 50), (0.85, 10)]
    ]
    assert select_checkpoint(history, "smallest", [0.0, 0.01, 0.1]) == 2
    assert select_checkpoint(history, "smallest", [0.0, 0.03, 0.01]) == 1
    assert select_checkpoint(history, "smallest", [0.0, 0.01, 0.01]) == 0


@pytest.mark.parametrize("tolerance", ["auto", 0.01])
def test_several_outputs_each_held_to_the_tolerance(tolerance):
    # Step 1 loses 0.006 of mean R² (within 0.01) but 0.018 on its third
    # output; step 2 loses 0.009 evenly. Selection takes step 2, and the
    # schedule's tolerance for step 1 leaves it no room.
    outputs = [[0.98, 0.97, 0.90], [0.98, 0.97, 0.882], [0.971, 0.961, 0.891]]
    history = _history([(np.mean(o), n) for o, n in zip(outputs, [1000, 50, 100])])
    model = SCANNRegressor(tolerance=tolerance)
    pairs = _FixedPairs(0.001, outputs)
    assert model._select_step(history, None, pairs) == 2
    rule = model._tolerance_rule(None, 100, pairs)
    assert rule(history[0]["validation_score"]) == pytest.approx(0.01 - 0.012)
    # One output: no change to the rule.
    single = _FixedPairs(0.001)
    assert SCANNRegressor(tolerance=tolerance)._tolerance_rule(None, 100, single)(
        0.9
    ) == pytest.approx(0.01)


def test_step_scorer_keeps_each_outputs_r2():
    from sklearn_scann._scoring import RegressionScorer

    rng = np.random.default_rng(0)
    y = rng.normal(size=(50, 2))
    scorer = RegressionScorer(
        None, y, None, [0.0, 0.0], [1.0, 1.0], seed=0, bootstrap=False, paired=True
    )
    scorer(y.copy())  # perfect
    worse_second = y.copy()
    worse_second[:, 1] += rng.normal(scale=0.5, size=50)
    scorer(worse_second)
    np.testing.assert_allclose(scorer.output_scores[0], [1.0, 1.0])
    assert scorer.output_scores[1][0] == 1.0 and scorer.output_scores[1][1] < 0.9
    # Step 1 loses only on output 2; the mean score is the outputs' mean.
    shortfall = scorer.output_shortfall(1, 0)
    assert shortfall[0] == 0.0 and shortfall[1] > 0.1
    errors = scorer.paired_output_errors(1, 0)
    assert errors[0] == 0.0 and 0.0 < errors[1] < shortfall[1]
    np.testing.assert_array_equal(scorer.paired_output_errors(1, 1), [0.0, 0.0])


def test_gross_outliers_among_the_validation_rows_are_not_scored(monkeypatch):
    """A held-out row far beyond the training range does not decide the steps.

    On ``y = x0**2`` a ReLU network extrapolates linearly, so at ``x0 = 50``
    (the training rows reach about 3) it misses by hundreds: that one
    row's squared error, scored, swamps every other row's.
    """
    from sklearn.utils import check_random_state

    from sklearn_scann import _regressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X[:, 0] ** 2 + 0.1 * rng.normal(size=300)
    reg = SCANNRegressor(n_rounds=1, epochs_per_step=5, random_state=0)
    # The estimator's own split: put the outlier among its validation rows.
    split_seed = check_random_state(0).randint(np.iinfo(np.int32).max, size=3)[0]
    _, valid = reg._split(y, split_seed)
    X[valid[0], 0] = 50.0
    y[valid[0]] = 1.0
    scores = clone(reg).fit(X, y).history_[0]["validation_score"]
    assert scores > 0.8
    # Scored with the rest (no split counts as a few outliers), the row
    # alone turns the same network's R² negative.
    monkeypatch.setattr(_regressor, "_MOST_OUTLIERS", -1.0)
    assert clone(reg).fit(X, y).history_[0]["validation_score"] < 0


@pytest.mark.parametrize("sparse", [False, True])
def test_outside_training_range_judges_each_feature_by_its_spread(sparse):
    from sklearn_scann._scoring import outside_training_range

    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(60, 3))
    X[:, 2] = 0.0  # constant on the training rows: not judged
    train, rows = np.arange(50), np.arange(50, 60)
    spread = X[train, 0].std()
    X[50, 0] = X[train, 0].max() + 2.9 * spread  # within 3 deviations
    X[51, 0] = X[train, 0].max() + 3.1 * spread  # beyond
    X[52, 1] = X[train, 1].min() - 10.0  # far below
    X[53, 2] = 5.0  # a feature constant on the training rows
    data = sp.csr_array(X) if sparse else X
    outside = outside_training_range(data, train, rows)
    np.testing.assert_array_equal(np.flatnonzero(outside), [1, 2])
    # Every training row is inside its own range.
    assert not outside_training_range(data, train, train).any()


def test_a_shifted_validation_part_is_scored_whole():
    """More than a tenth of the rows outside: a shift, not outliers; all scored."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 2))
    train, valid = np.arange(80), np.arange(80, 100)
    reg = SCANNRegressor()
    X[80, 0] = 100.0  # one of 20: left out
    np.testing.assert_array_equal(reg._scored_rows(X, train, valid), valid[1:])
    X[81:84, 0] = 100.0  # four of 20
    np.testing.assert_array_equal(reg._scored_rows(X, train, valid), valid)
    # validation_fraction=0 scores the training rows themselves.
    assert reg._scored_rows(X, train, train) is train


@pytest.mark.parametrize(
    ("connections", "updates"),
    [(40_000, 300), (10_000, 300), (2_500, 150), (1_111, 100), (300, 100), (0, 100)],
)
def test_pruning_step_updates_follow_the_square_root_of_the_size(connections, updates):
    assert SCANNRegressor()._step_updates(connections) == pytest.approx(
        updates, abs=0.1
    )
    # The classifier's floor is one number whatever the size.
    assert SCANNClassifier()._step_updates(connections) == 100


def test_steps_train_as_long_as_their_network_needs(monkeypatch):
    """Step lengths, the start's peak and the fine-tune's length, end to end.

    With the full length at 400 connections (instead of 10,000), the
    starting network of 8 x 40 x 1 with skips (368 connections) and its
    pruned successors get different floors; every step must train
    ``max(epochs_per_step, ceil(updates / batches))`` epochs for the
    network it left, a growth step half as many.
    """
    monkeypatch.setattr(SCANNRegressor, "_full_step_connections", 400)
    calls = []
    train = Trainer.train

    def recording(self, epochs, **kwargs):
        calls.append((epochs, kwargs.get("peak_learning_rate")))
        return train(self, epochs, **kwargs)

    monkeypatch.setattr(Trainer, "train", recording)
    X, y = make_regression(n_samples=250, n_features=8, noise=1.0, random_state=3)
    reg = SCANNRegressor(
        hidden_layer_sizes=(40,),
        n_rounds=2,
        epochs_per_step=1,
        pruning_schedule="fixed",
        batch_size=50,
        learning_rate=1e-3,
        random_state=0,
    ).fit(X, y)
    batches = 4  # 200 training rows in batches of 50

    def epochs_for(n_connections):
        return -(-round(reg._step_updates(n_connections)) // batches)

    start = reg.history_[0]
    assert start["n_connections"] == 8 * 40 + 40 + 8
    assert calls[0] == (500 // batches, pytest.approx(2e-3))
    steps = [h for h in reg.history_[1:] if h["changed"]]
    assert [h["operation"] for h in steps] == [
        "prune_connections",
        "grow_connections",
        "prune_connections",
        "grow_connections",
    ]
    expected = []
    for h in steps:
        prune = epochs_for(h["n_connections"])
        expected.append(prune if h["operation"] == "prune_connections" else prune // 2)
    assert [h["epochs"] for h in steps] == expected
    # Smaller networks train fewer epochs: the floors did differ.
    assert len(set(expected[::2])) == 2
    # The fine-tune: as long as a pruning step on the starting network.
    assert calls[-1] == (epochs_for(start["n_connections"]), pytest.approx(1e-3))

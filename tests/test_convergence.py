"""Training that follows the data: early stopping, alpha="auto", progress lines."""

# SPDX-License-Identifier: BSD-3-Clause

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNClassifier, SCANNRegressor
from sklearn_scann._progress import Progress
from sklearn_scann._schemes import initial_network
from sklearn_scann._training import BatchDataset, Trainer

QUICK = {"n_rounds": 1, "epochs_per_step": 2, "initial_epochs": 5}


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _trainer(rng):
    X = rng.normal(size=(60, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    topology, weights, biases = initial_network(
        (4, 6, 1), skip=True, density=1.0, rng=rng
    )
    trainer = Trainer(BatchDataset(X, y), batch_size=20, seed=0)
    trainer.set_parameters(topology, weights, biases)
    return trainer


def _epochs_until_plateau(values, max_epochs, patience, tol):
    """The rule written out: epochs trained and the epoch of the last improvement."""
    lowest, stale, settled = np.inf, 0, 0
    for epoch, value in enumerate(values[:max_epochs], start=1):
        if not np.isfinite(value):
            return epoch, settled
        if value < lowest - tol:
            lowest, stale, settled = value, 0, epoch
        else:
            stale += 1
        if stale >= patience:
            return epoch, settled
    return min(max_epochs, len(values)), settled


# -- the constant part: until the monitored loss settles ---------------------


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.floats(0.0, 2.0, allow_nan=False) | st.just(float("nan")),
        min_size=12,
        max_size=12,
    ),
    patience=st.integers(1, 4),
    tol=st.sampled_from([0.0, 1e-3, 0.1]),
    max_epochs=st.integers(0, 12),
)
def test_training_stops_when_the_monitor_stops_falling(
    values, patience, tol, max_epochs
):
    trainer = _trainer(np.random.default_rng(0))
    seen = iter(values)
    result = trainer.train_until_plateau(
        max_epochs,
        monitor=lambda: next(seen),
        n_iter_no_change=patience,
        tol=tol,
        learning_rate=0.01,
    )
    assert result == _epochs_until_plateau(values, max_epochs, patience, tol)
    epochs, settled = result
    assert 0 <= settled <= epochs <= max_epochs


def test_the_constant_part_trains_at_the_rate_it_is_given(rng):
    trainer = _trainer(rng)
    trainer.train(3)  # a cosine cycle leaves the rate near 0
    rates = []
    trainer.train_until_plateau(
        4,
        monitor=lambda: (
            rates.append(trainer.net.optimizer_.param_groups[0]["lr"]) or 1.0
        ),
        n_iter_no_change=10,
        tol=0.0,
        learning_rate=0.02,
    )
    assert rates == [0.02] * 4
    before = trainer.parameters()[0].copy()
    assert trainer.train_until_plateau(
        5, monitor=lambda: 1.0, n_iter_no_change=2, tol=0.0
    ) == (3, 1)  # the first epoch sets the lowest value, two more do not beat it
    assert not np.array_equal(before, trainer.parameters()[0])


# -- early_stopping on the estimators ----------------------------------------


@pytest.mark.parametrize("estimator", [SCANNClassifier, SCANNRegressor])
def test_auto_early_stopping_follows_the_number_of_samples(estimator):
    small = estimator()
    assert not small._follows_convergence(10_000)
    assert small._follows_convergence(10_001)
    assert estimator(early_stopping=True)._follows_convergence(50)
    assert not estimator(early_stopping=False)._follows_convergence(10**6)


def test_early_stopping_trains_the_start_longer_and_reports_it(iris):
    X, y = iris
    fixed = SCANNClassifier(random_state=0, early_stopping=False, **QUICK).fit(X, y)
    assert fixed.n_iter_ == fixed.history_[0]["epochs"] == 5
    follows = SCANNClassifier(
        random_state=0, early_stopping=True, n_iter_no_change=3, **QUICK
    ).fit(X, y)
    # at least n_iter_no_change constant epochs before the decay of 5
    assert follows.n_iter_ == follows.history_[0]["epochs"] >= 5 + 3
    assert follows.n_iter_ <= follows.max_iter


def test_max_iter_caps_the_start_and_warns(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="max_iter=7"):
        clf = SCANNClassifier(
            random_state=0,
            early_stopping=True,
            max_iter=7,
            n_iter_no_change=50,
            **QUICK,
        ).fit(X, y)
    assert clf.n_iter_ == 7
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        SCANNClassifier(random_state=0, early_stopping=True, max_iter=5, **QUICK).fit(
            X, y
        )


# -- alpha="auto" ---------------------------------------------------------------


@pytest.mark.parametrize("estimator", [SCANNClassifier, SCANNRegressor])
def test_auto_alpha_is_fixed_up_to_5000_rows_then_falls_as_one_over_rows(estimator):
    auto = estimator()
    assert auto._alpha(100) == auto._alpha(5_000) == pytest.approx(1e-3)
    assert auto._alpha(10_000) == pytest.approx(5e-4)
    assert auto._alpha(500_000) == pytest.approx(1e-5)
    assert estimator(alpha=0.02)._alpha(10**6) == 0.02


def test_auto_alpha_reaches_the_optimizer(iris, monkeypatch):
    X, y = iris
    seen = []
    monkeypatch.setattr(
        SCANNClassifier, "_alpha", lambda self, n: seen.append(n) or 0.125
    )
    clf = SCANNClassifier(random_state=0, **QUICK)
    init = Trainer.__init__

    def recording(self, dataset, **kwargs):
        seen.append(kwargs["alpha"])
        init(self, dataset, **kwargs)

    monkeypatch.setattr(Trainer, "__init__", recording)
    clf.fit(X, y)
    assert seen == [120, 0.125]  # asked with the training rows, passed on


# -- progress lines -------------------------------------------------------------


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_progress_prints_within_a_phase_with_elapsed_and_remaining_time():
    clock, lines = _Clock(), []
    progress = Progress("[SCANN B]", interval=5.0, clock=clock, printer=lines.append)
    progress.after = 10
    progress.plan(30, "start")
    assert progress.planned == 40
    for _ in range(4):
        clock.now += 2.0
        progress.epoch()
    # the first line comes once 5 seconds have passed, within the phase
    assert len(lines) == 1
    assert lines[0] == "[SCANN B] start: training (elapsed 0:06, about 1:14 left)"
    clock.now += 1.0
    progress.say("step 1")
    assert lines[-1].startswith("[SCANN B] step 1 (elapsed 0:09, about ")
    progress.extend(3)
    assert progress.planned == 36 + 3


def test_progress_counts_elapsed_time_from_when_the_fit_began():
    clock, lines = _Clock(), []
    progress = Progress("[x]", clock=clock, printer=lines.append, started=90.0)
    progress.say("hello")
    assert lines == ["[x] hello (elapsed 0:10)"]


def test_progress_before_any_epoch_gives_no_estimate():
    clock, lines = _Clock(), []
    Progress("[x]", clock=clock, printer=lines.append).say("hello")
    assert lines == ["[x] hello (elapsed 0:00)"]


def test_verbose_fit_prints_timed_lines_and_fits_the_same_network(iris, capsys):
    X, y = iris
    quiet = SCANNClassifier(random_state=0, **QUICK).fit(X, y)
    capsys.readouterr()
    loud = SCANNClassifier(random_state=0, verbose=1, **QUICK).fit(X, y)
    out = capsys.readouterr().out.splitlines()
    assert out and all(re.search(r"\(elapsed \d+:\d\d", line) for line in out)
    assert any("step   0" in line and "left)" in line for line in out)
    assert out[-1].startswith(f"[SCANN B] selected step {loud.best_step_}")
    np.testing.assert_array_equal(quiet.predict_proba(X), loud.predict_proba(X))


def test_no_phase_trains_longer_than_the_start_took_to_converge():
    """A start that converges at once: the decay and the steps shrink to it.

    1,600 training rows in batches of 20 are 80 updates an epoch, so the
    update floors are 3 epochs for the start (200) and 2 for a step (100).
    With a huge ``tol`` only the first epoch improves the validation loss.
    """
    X, y = make_classification(n_samples=2000, n_features=5, random_state=0)
    clf = SCANNClassifier(
        early_stopping=True,
        tol=1e9,
        n_iter_no_change=2,
        batch_size=20,
        n_rounds=2,
        random_state=0,
    ).fit(X, y)
    epochs = {h["operation"]: h["epochs"] for h in clf.history_ if h["changed"]}
    # 3 constant epochs (the first, then 2 without improvement) + a decay of 3
    assert clf.n_iter_ == epochs["initial"] == 3 + 3
    assert epochs["prune_connections"] == 2  # the floor, not epochs_per_step=10
    usual = SCANNClassifier(
        early_stopping=False, batch_size=20, n_rounds=2, random_state=0
    ).fit(X, y)
    steps = {h["operation"]: h["epochs"] for h in usual.history_ if h["changed"]}
    assert steps["initial"] == 20 and steps["prune_connections"] == 10


def test_a_smaller_network_trains_the_square_root_share_of_the_start(monkeypatch):
    """After the start converged in E epochs, a step on a network with a
    fraction f of its connections trains ceil(E * sqrt(f)) epochs (floors
    aside, at most epochs_per_step)."""
    X, y = make_classification(n_samples=3000, n_features=8, random_state=0)
    seen = {}
    train = Trainer.train_until_plateau

    def recording(self, max_epochs, **kwargs):
        epochs, settled = train(self, max_epochs, **kwargs)
        seen["settled"] = settled
        return epochs, settled

    monkeypatch.setattr(Trainer, "train_until_plateau", recording)
    # 2,400 training rows in batches of 10: the floor of a step is 1 epoch
    clf = SCANNClassifier(
        early_stopping=True,
        batch_size=10,
        n_rounds=3,
        epochs_per_step=50,
        n_iter_no_change=3,
        random_state=0,
    ).fit(X, y)
    start = clf.history_[0]["n_connections"]
    prunes = [
        h
        for h in clf.history_[1:]
        if h["changed"] and h["operation"] == "prune_connections"
    ]
    assert prunes and seen["settled"] > 1
    for h in prunes:
        share = h["n_connections"] / start
        expected = max(int(np.ceil(seen["settled"] * np.sqrt(share))), 1)
        assert h["epochs"] == min(50, expected) < 50


@pytest.mark.parametrize(
    ("estimator", "params"),
    [
        (SCANNRegressor, {}),
        (SCANNClassifier, {"scheme": "A"}),
        (SCANNClassifier, {"scheme": "C", "validation_fraction": 0.0}),
    ],
)
def test_early_stopping_runs_for_every_estimator_scheme_and_split(
    estimator, params, iris
):
    X, y = iris
    target = X[:, 0] if estimator is SCANNRegressor else y
    model = estimator(
        early_stopping=True, n_iter_no_change=2, random_state=0, **QUICK, **params
    ).fit(X, target)
    # the constant part (at least n_iter_no_change epochs) before the decay
    assert model.n_iter_ >= 2 + 1
    assert np.isfinite(model.predict(X)).all()

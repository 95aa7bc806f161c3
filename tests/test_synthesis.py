"""The synthesis loop: adaptive schedule, invariants, selection and the frontier."""

# SPDX-License-Identifier: BSD-3-Clause

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNClassifier, SCANNRegressor, Topology, load, plot_frontier
from sklearn_scann._operations import grow_neurons, prune_connections
from sklearn_scann._schemes import frontier_steps, select_checkpoint
from sklearn_scann._training import Trainer

matplotlib.use("Agg")


def _record(step, connections, score, loss=0.5, accepted=True, energy=None):
    record = {
        "step": step,
        "n_connections": connections,
        "validation_score": score,
        "validation_loss": loss,
        "accepted": accepted,
    }
    if energy is not None:
        record["energy_pj"] = energy
    return record


# -- selection ---------------------------------------------------------------


def test_best_means_the_best_score_with_loss_breaking_ties():
    history = [
        _record(0, 100, 0.90, loss=0.30),
        _record(1, 50, 0.92, loss=0.40),
        _record(2, 80, 0.92, loss=0.20),
        _record(3, 10, 0.91, loss=0.10),
    ]
    assert select_checkpoint(history, "best", 0.05) == 2


def test_smallest_within_tolerance_breaks_size_ties_on_loss():
    history = [
        _record(0, 100, 0.95, loss=0.2),
        _record(1, 40, 0.94, loss=0.5),
        _record(2, 40, 0.94, loss=0.3),
        _record(3, 20, 0.90, loss=0.1),  # outside the tolerance
    ]
    assert select_checkpoint(history, "smallest", 0.02) == 2
    assert select_checkpoint(history, "smallest", 0.06) == 3


def test_last_is_the_last_accepted_step():
    history = [
        _record(0, 100, 0.9),
        _record(1, 50, 0.9),
        _record(2, 25, 0.5, accepted=False),
    ]
    assert select_checkpoint(history, "last", 0.01) == 1


def test_tolerance_is_at_least_one_validation_sample():
    clf = SCANNClassifier(tolerance=0.01)
    assert clf._tolerance_rule(None, 30)(0.9) == pytest.approx(1 / 30)
    assert clf._tolerance_rule(None, 1000)(0.9) == pytest.approx(0.01)
    # Kish's effective size: 2 heavy of 10 rows count as about 2.6 samples
    weights = np.array([10.0, 10.0] + [0.1] * 8)
    n = weights.sum() ** 2 / (weights**2).sum()
    assert clf._tolerance_rule(weights, 10)(0.9) == pytest.approx(1 / n)


def test_auto_tolerance_is_one_standard_error_of_the_best_score():
    rule = SCANNClassifier(tolerance="auto")._tolerance_rule(None, 400)
    assert rule(0.8) == pytest.approx(np.sqrt(0.8 * 0.2 / 400))  # 2 points
    assert rule(0.5) > rule(0.8) > rule(0.99)
    # No one-sample floor: a perfect best step allows no validation error,
    # where a given number is raised to one sample's worth.
    assert rule(1.0) == 0.0
    assert rule(0.999) < 1 / 400
    given = SCANNClassifier(tolerance=0.001)._tolerance_rule(None, 400)
    assert given(1.0) == pytest.approx(1 / 400)


def test_frontier_keeps_only_steps_nothing_smaller_beats():
    history = [
        _record(0, 100, 0.95, energy=1000.0),
        _record(1, 60, 0.96, energy=700.0),
        _record(2, 80, 0.94, energy=200.0),  # dominated in connections, not energy
        _record(3, 30, 0.90, energy=300.0),
        _record(4, 30, 0.90, loss=0.1, energy=300.0),
    ]
    assert frontier_steps(history) == [1, 2, 4]


# -- invariants on hand-built topologies -------------------------------------


def test_pruning_never_empties_a_hidden_layer_of_a_plain_mlp():
    # Scheme C: no skips, so an empty hidden layer would cut every path.
    top = Topology.dense([3, 2, 2], skip=False)
    weights = np.array([0.01, 0.02, 0.03, 0.01, 0.02, 0.01, 0.5, 0.02, 0.03, 0.04])
    weights = weights[: top.n_connections]
    new, new_w, _ = prune_connections(top, weights, np.zeros(7), 0.99)
    assert new.layer_sizes[1] >= 1
    assert new.dead_neurons().size == 0
    src, dst = new.edges()
    for output in new.layer_neurons(2):  # every output is reached from an input
        assert output in dst
    assert np.all(new.is_allowed(src, dst))


def test_pruning_keeps_a_hidden_neuron_when_skips_could_bypass_the_layer():
    # The iris scheme-B collapse: direct input -> output connections are the
    # strongest, so magnitude pruning alone would drop the whole hidden layer.
    top = Topology.dense([4, 3, 3], skip=True)
    src, dst = top.edges()
    skip = top.layer_of[dst] - top.layer_of[src] == 2
    weights = np.where(skip, 5.0, 0.1) + np.arange(src.size) * 1e-3
    new, _, _ = prune_connections(top, weights, np.zeros(10), 0.9)
    assert new.layer_sizes[1] >= 1
    hidden = new.layer_neurons(1)
    new_src, new_dst = new.edges()
    assert np.isin(hidden, new_dst).all() and np.isin(hidden, new_src).all()


def test_neuron_growth_refills_an_empty_layer(rng):
    # The iris scheme-A collapse: a one-neuron seed layer that emptied.
    top = Topology.from_edges([2, 0, 2], [0, 1], [2, 3], skip=True)
    weights, biases = np.array([1.0, -1.0]), np.zeros(4)
    new, new_w, new_b = grow_neurons(top, weights, biases, np.zeros(4), 2, rng)
    assert new.layer_sizes == (2, 2, 2)
    assert new.dead_neurons().size == 0
    X = rng.normal(size=(5, 2))
    from sklearn_scann._compact import CompactNetwork

    before = CompactNetwork(top, weights, biases).decision_function(X)
    after = CompactNetwork(new, new_w, new_b).decision_function(X)
    np.testing.assert_allclose(after, before)


# -- the loop on real data ---------------------------------------------------


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


QUICK = {"n_rounds": 4, "epochs_per_step": 5, "min_updates_per_step": 20}


@pytest.mark.parametrize("scheme", ["A", "B", "C"])
def test_iris_schemes_keep_a_hidden_layer_and_their_accuracy(scheme, iris):
    X, y = iris
    start = SCANNClassifier(scheme, random_state=0, **{**QUICK, "n_rounds": 0})
    start.fit(X, y)
    clf = SCANNClassifier(scheme, random_state=0, **QUICK).fit(X, y)
    assert clf.topology_.hidden_layer_sizes[0] >= 1
    assert clf.score(X, y) >= start.score(X, y) - 0.05
    last = SCANNClassifier(scheme, selection="last", random_state=0, **QUICK).fit(X, y)
    assert last.n_connections_ > 0
    assert len(np.unique(last.predict(X))) == 3  # not a constant predictor


def test_adaptive_schedule_undoes_a_costly_prune_and_halves_the_ratio(iris):
    X, y = iris
    clf = SCANNClassifier(
        prune_ratio=0.95, tolerance=0.0, random_state=0, **{**QUICK, "n_rounds": 6}
    ).fit(X, y)
    prunes = [h for h in clf.history_ if h["operation"] == "prune_connections"]
    undone = [h for h in prunes if not h["accepted"]]
    assert undone, "pruning 95% at zero tolerance should cost accuracy"
    first = undone[0]
    later = [h for h in prunes if h["step"] > first["step"]]
    if later:
        assert later[0]["prune_ratio"] == pytest.approx(first["prune_ratio"] / 2)
    # the step after an undone prune continues from the last accepted network
    step = first["step"]
    accepted_before = [h for h in clf.history_[:step] if h["accepted"]][-1]
    following = clf.history_[step + 1]
    if not following["changed"]:
        assert following["n_connections"] == accepted_before["n_connections"]
    assert all(
        h["validation_score"] >= clf.history_[0]["validation_score"] - 1e-9
        for h in clf.history_
        if h["accepted"] and h["changed"] and h["operation"] == "prune_connections"
    )


def test_unchanged_steps_are_recorded_and_settled_loop_stops(iris):
    X, y = iris
    clf = SCANNClassifier(
        prune_ratio=0.0, random_state=0, **{**QUICK, "n_rounds": 5}
    ).fit(X, y)
    # nothing to prune, so nothing to regrow: one round of unchanged steps
    assert [h["changed"] for h in clf.history_] == [True, False, False]
    assert [h["epochs"] for h in clf.history_[1:]] == [0, 0]


def test_fixed_schedule_runs_every_round(iris):
    X, y = iris
    clf = SCANNClassifier(pruning_schedule="fixed", random_state=0, **QUICK).fit(X, y)
    assert len(clf.history_) == 1 + 2 * QUICK["n_rounds"]
    assert all(h["accepted"] for h in clf.history_)


@pytest.mark.parametrize(
    ("estimator", "extra", "start", "restart"),
    [
        (SCANNClassifier, {}, 1.0, 20.0),
        (SCANNRegressor, {}, 2.0, 1.0),
        # a start trained to convergence fine-tunes at the learning rate
        (SCANNClassifier, {"early_stopping": True}, 1.0, 1.0),
    ],
)
def test_start_and_fine_tune_peak_at_their_multiples_of_the_learning_rate(
    estimator, extra, start, restart, iris, monkeypatch
):
    X, y = iris
    peaks, train = [], Trainer.train

    def recording(self, epochs, **kwargs):
        peaks.append(kwargs.get("peak_learning_rate"))
        return train(self, epochs, **kwargs)

    monkeypatch.setattr(Trainer, "train", recording)
    params = {**QUICK, **extra, "learning_rate": 0.004, "random_state": 0}
    estimator(**params).fit(X, y)
    # the start at its peak, the steps at the learning rate, the fine-tune last
    assert peaks[0] == pytest.approx(start * 0.004)
    assert len(peaks) > 3 and peaks[1:-1] == [None] * (len(peaks) - 2)
    assert peaks[-1] == pytest.approx(restart * 0.004)
    peaks.clear()
    estimator(**params, fine_tune=False).fit(X, y)
    assert peaks[0] == pytest.approx(start * 0.004) and set(peaks[1:]) == {None}


@pytest.mark.parametrize(
    ("estimator", "batch_size", "expected"),
    [
        (SCANNClassifier, "auto", 150),
        (SCANNRegressor, "auto", 150),
        (SCANNClassifier, 32, 32),
    ],
)
def test_fine_tune_batches_are_sized_on_every_row(
    estimator, batch_size, expected, iris, monkeypatch
):
    """150 rows: the synthesis trains on 120 in one batch; the fine-tune on all 150.

    Sized on the training part, "auto" would leave the 30 validation rows a
    second batch of their own every epoch.
    """
    X, y = iris
    seen, train = [], Trainer.train

    def recording(self, epochs, **kwargs):
        seen.append((len(self.dataset), self.net.batch_size))
        return train(self, epochs, **kwargs)

    monkeypatch.setattr(Trainer, "train", recording)
    estimator(batch_size=batch_size, random_state=0, **QUICK).fit(X, y)
    steps, fine_tune = seen[:-1], seen[-1]
    auto = 120 if batch_size == "auto" else batch_size
    assert set(steps) == {(120, auto)}
    assert fine_tune == (150, expected)


@pytest.fixture(scope="module")
def synthesized(iris):
    X, y = iris
    return SCANNClassifier(random_state=0, **QUICK).fit(X, y)


def test_frontier_records_cost_and_select_honours_the_budget(synthesized, iris):
    X, y = iris
    clf = synthesized
    assert [p["n_connections"] for p in clf.frontier_] == sorted(
        p["n_connections"] for p in clf.frontier_
    )
    assert all(h["macs"] == h["n_connections"] for h in clf.history_)
    smallest = clf.frontier_[0]
    budget = smallest["n_connections"]
    small = clf.select(max_connections=budget)
    assert small.n_connections_ <= budget
    assert small.best_step_ == smallest["step"]
    assert small.predict(X).shape == y.shape
    # the original estimator is untouched
    assert clf.n_connections_ == clf.history_[clf.best_step_]["n_connections"]
    largest = clf.select()
    best = max(p["validation_score"] for p in clf.frontier_)
    assert largest.history_[largest.best_step_]["validation_score"] == best
    energy = clf.select(max_energy_pj=smallest["energy_pj"])
    assert energy.energy_pj_ <= smallest["energy_pj"] + 1e-9
    with pytest.raises(ValueError, match="no network on the frontier fits"):
        clf.select(max_connections=budget - 1)


def test_frontier_survives_save_and_load(synthesized, iris, tmp_path):
    X, _ = iris
    loaded = load(synthesized.save(tmp_path / "m.npz"))
    assert sorted(loaded.frontier_networks_) == sorted(synthesized.frontier_networks_)
    budget = synthesized.frontier_[0]["n_connections"]
    np.testing.assert_array_equal(
        loaded.select(max_connections=budget).predict_proba(X),
        synthesized.select(max_connections=budget).predict_proba(X),
    )


def test_the_held_network_is_the_frontier_entry_of_its_step(synthesized, iris):
    X, _ = iris
    clf = synthesized
    assert clf.frontier_networks_[clf.best_step_] is clf.network_
    other = next(p["step"] for p in clf.frontier_ if p["step"] != clf.best_step_)
    moved = clf.select(max_connections=clf.history_[other]["n_connections"])
    # selecting back gives the fitted (fine-tuned) network, not a copy of it
    back = moved.select(max_connections=clf.n_connections_)
    assert back.best_step_ == clf.best_step_
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))


def test_keep_frontier_false_keeps_only_the_chosen_network(iris):
    X, y = iris
    clf = SCANNClassifier(keep_frontier=False, random_state=0, **QUICK).fit(X, y)
    assert list(clf.frontier_networks_) == [clf.best_step_]


@pytest.mark.parametrize("x", ["connections", "macs", "energy"])
def test_plot_frontier_marks_the_chosen_network(synthesized, x):
    ax = plot_frontier(synthesized, x=x)
    assert ax.get_xscale() == "log"
    labels = ax.get_legend_handles_labels()[1]
    assert "frontier" in labels and "chosen" in labels
    with pytest.raises(ValueError, match="x must be one of"):
        plot_frontier(synthesized, x="bytes")


def test_pruning_spares_the_connections_it_is_told_to_keep(rng):
    # No hidden layer: no dead-neuron removal to blur what pruning chose.
    top = Topology.dense([6, 3], skip=True)
    weights = rng.normal(size=top.n_connections)
    keep = np.zeros(top.n_connections, dtype=bool)
    weakest = np.argsort(np.abs(weights))[:3]
    keep[weakest] = True
    new, _, _ = prune_connections(top, weights, np.zeros(9), 0.5, keep=keep)
    assert new.n_connections == top.n_connections - 9
    src, dst = top.edges()
    kept = set(zip(*new.edges(), strict=True))
    assert {(src[i], dst[i]) for i in weakest} <= kept


@pytest.mark.parametrize(
    "params",
    [
        {"growth_criterion": "random"},
        {"growth_init": "gradient"},
        {"growth_grace": True},
    ],
)
def test_growth_variants_run_and_differ_from_the_default(params, iris):
    X, y = iris
    common = {"pruning_schedule": "fixed", "random_state": 0, **QUICK}
    default = SCANNClassifier(**common).fit(X, y)
    variant = SCANNClassifier(**common, **params).fit(X, y)
    assert variant.score(X, y) > 0.8
    sizes = [h["n_connections"] for h in variant.history_]
    assert sizes != [h["n_connections"] for h in default.history_] or not np.allclose(
        variant.predict_proba(X), default.predict_proba(X)
    )


def test_binary_network_has_one_output_and_two_class_probabilities():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = SCANNClassifier(random_state=0, **QUICK).fit(X, y)
    assert clf.topology_.layer_sizes[-1] == 1
    assert clf.baseline_connections_ == 30 * 100 + 100 * 1
    proba = clf.predict_proba(X)
    z = clf.network_.decision_function(X)[:, 0]
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-z)))
    assert clf.score(X, y) > 0.9


def test_binary_model_saved_with_two_outputs_still_loads(tmp_path):
    # Files of sklearn-scann 0.1 hold two softmax outputs for two classes.
    from sklearn_scann._compact import CompactNetwork

    X, y = load_iris(return_X_y=True)
    X, y = X[y < 2], y[y < 2]
    clf = SCANNClassifier(random_state=0, **QUICK).fit(X, y)
    top = Topology.dense([4, 2], skip=True)
    old = CompactNetwork(top, np.arange(8, dtype=float) - 4, np.zeros(6))
    clf._set_fitted(
        old,
        classes=clf.classes_,
        n_features=4,
        feature_names=None,
        baseline_connections=8,
        history=clf.history_,
        best_step=clf.best_step_,
    )
    loaded = load(clf.save(tmp_path / "old.npz"))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_allclose(loaded.predict_proba(X).sum(axis=1), 1.0)

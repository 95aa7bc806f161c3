"""The three operations on plain numpy data."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest

from sklearn_scann import Topology
from sklearn_scann._compact import CompactNetwork
from sklearn_scann._operations import grow_connections, grow_neurons, prune_connections


def _random_net(rng, layer_sizes=(5, 6, 4, 3), skip=True):
    top = Topology.dense(list(layer_sizes), skip=skip)
    weights = rng.normal(size=top.n_connections)
    biases = rng.normal(size=top.n_neurons) * 0.1
    return top, weights, biases


def test_prune_removes_exactly_smallest_magnitudes_per_target_layer(rng):
    top, weights, biases = _random_net(rng)
    src, dst = top.edges()
    ratio = 0.25
    expected_removed = set()
    for layer in range(1, top.n_layers):
        entering = np.flatnonzero(top.layer_of[dst] == layer)
        k = int(np.floor(ratio * entering.size + 0.5))
        smallest = entering[np.argsort(np.abs(weights[entering]))[:k]]
        expected_removed |= {(src[i], dst[i]) for i in smallest}
    new, new_w, _ = prune_connections(top, weights, biases, ratio)
    remaining = set(zip(*new.edges(), strict=True))
    before = set(zip(src.tolist(), dst.tolist(), strict=True))
    assert before - remaining == expected_removed
    # surviving weights are unchanged and still aligned with their edges
    lookup = dict(
        zip(zip(src.tolist(), dst.tolist(), strict=True), weights, strict=True)
    )
    for (s, d), w in zip(zip(*new.edges(), strict=True), new_w, strict=True):
        assert lookup[(int(s), int(d))] == w


def test_prune_ratio_zero_changes_nothing(rng):
    top, weights, biases = _random_net(rng)
    new, new_w, new_b = prune_connections(top, weights, biases, 0.0)
    assert new == top
    np.testing.assert_array_equal(new_w, weights)


def test_prune_removes_neurons_left_without_output(rng):
    top = Topology.dense([2, 2, 1], skip=False)
    # hidden neuron 3's only output (3 -> 4) is the smallest weight into layer 2
    weights = np.array([1.0, 1.0, 1.0, 1.0, 5.0, 0.01])
    new, _, _ = prune_connections(top, weights, np.zeros(5), 0.5)
    assert new.layer_sizes == (2, 1, 1)
    assert new.dead_neurons().size == 0


def test_grow_connections_takes_largest_scores_per_layer(rng):
    top = Topology.random([5, 6, 3], 0.3, rng)
    weights = rng.normal(size=top.n_connections)
    cand_src, cand_dst = top.dormant_edges()
    scores = rng.normal(size=cand_src.size)
    new, new_w, _ = grow_connections(
        top, weights, np.zeros(top.n_neurons), cand_src, cand_dst, scores, 0.5
    )
    added = set(zip(*new.edges(), strict=True)) - set(zip(*top.edges(), strict=True))
    expected = set()
    for layer in (1, 2):
        entering = np.flatnonzero(top.layer_of[cand_dst] == layer)
        k = int(np.floor(0.5 * entering.size + 0.5))
        best = entering[np.argsort(-np.abs(scores[entering]))[:k]]
        expected |= {(cand_src[i], cand_dst[i]) for i in best}
    assert added == expected
    # new connections start at zero, old ones keep their weight
    keys = new.edge_keys()
    for s, d in added:
        assert new_w[np.searchsorted(keys, s * new.n_neurons + d)] == 0.0
    assert np.isclose(np.sort(new_w[new_w != 0]), np.sort(weights[weights != 0])).all()


def test_grow_connections_rejects_misaligned_scores(rng):
    top = Topology.random([3, 3, 2], 0.3, rng)
    src, dst = top.dormant_edges()
    with pytest.raises(ValueError, match="align"):
        grow_connections(
            top,
            np.zeros(top.n_connections),
            np.zeros(8),
            src,
            dst,
            np.zeros(src.size + 1),
            0.5,
        )


def test_grow_neurons_copies_connectivity_and_preserves_function(rng):
    top, weights, biases = _random_net(rng, (4, 3, 2), skip=True)
    activations = np.array([0, 0, 0, 0, 0.1, 0.9, 0.3, 0, 0], dtype=float)
    new, new_w, new_b = grow_neurons(
        top, weights, biases, activations, 1, rng, noise_std=0.0
    )
    assert new.layer_sizes == (4, 4, 2)
    parent, child = 5, 7  # the most active hidden neuron and the new last one
    src, dst = new.edges()
    parent_in = sorted(src[dst == parent].tolist())
    child_in = sorted(src[dst == child].tolist())
    assert parent_in == child_in
    assert sorted(dst[src == parent].tolist()) == sorted(dst[src == child].tolist())
    X = rng.normal(size=(20, 4))
    before = CompactNetwork(top, weights, biases).decision_function(X)
    after = CompactNetwork(new, new_w, new_b).decision_function(X)
    np.testing.assert_allclose(after, before, atol=1e-12)


def test_grow_neurons_child_differs_from_parent_only_by_noise(rng):
    top, weights, biases = _random_net(rng, (4, 3, 2), skip=True)
    activations = np.array([0, 0, 0, 0, 0.9, 0.1, 0.3, 0, 0], dtype=float)
    noise = 1e-3
    new, new_w, new_b = grow_neurons(
        top, weights, biases, activations, 1, np.random.default_rng(1), noise_std=noise
    )
    parent, child = 4, 7
    src, dst = new.edges()
    X = rng.normal(size=(50, 4))

    def hidden_preactivation(neuron):
        rows = np.flatnonzero(dst == neuron)
        return X[:, src[rows]] @ new_w[rows] + new_b[neuron]

    diff = hidden_preactivation(child) - hidden_preactivation(parent)
    assert np.abs(diff).max() > 0  # the noise is there...
    # ...and small: 4 inputs of |x| <~ 3 plus a bias, noise 1e-3 each
    assert np.abs(diff).max() < 50 * noise


def test_prune_keeps_the_strongest_input_of_every_output(rng):
    top = Topology.from_edges([3, 2], [0, 1, 2, 0, 1], [3, 3, 3, 4, 4])
    # in row-major edge order: (0,3) (0,4) (1,3) (1,4) (2,3)
    weights = np.array([0.5, 0.2, -3.0, 0.05, 0.1])
    new, new_w, _ = prune_connections(top, weights, np.zeros(5), 0.99)
    # 5 of 5 would go; each output keeps its largest |w| instead
    assert set(zip(*new.edges(), strict=True)) == {(1, 3), (0, 4)}
    assert sorted(new_w.tolist()) == [-3.0, 0.2]

"""Topology: allowed edges, structural edits, dead-neuron removal."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest

from sklearn_scann import Topology
from sklearn_scann._operations import remove_dead_neurons
from sklearn_scann._topology import carry_edge_values


def test_dense_skip_counts_every_forward_pair():
    top = Topology.dense([3, 4, 2], skip=True)
    # 3*4 + 3*2 + 4*2
    assert top.n_connections == 26
    src, dst = top.edges()
    assert np.all(top.layer_of[dst] > top.layer_of[src])


def test_dense_adjacent_only():
    top = Topology.dense([3, 4, 5, 2], skip=False)
    assert top.n_connections == 3 * 4 + 4 * 5 + 5 * 2
    src, dst = top.edges()
    assert np.all(top.layer_of[dst] == top.layer_of[src] + 1)


@pytest.mark.parametrize("skip", [True, False])
def test_random_topology_edges_go_forward(skip, rng):
    top = Topology.random([6, 5, 4, 3], 0.3, rng, skip=skip)
    src, dst = top.edges()
    delta = top.layer_of[dst] - top.layer_of[src]
    assert np.all(delta >= 1)
    if not skip:
        assert np.all(delta == 1)
    # every non-input neuron has an input, every hidden neuron an output
    assert np.all(top.fan_in()[6:] >= 1)
    assert np.all(top.fan_out()[6:15] >= 1)


def test_backward_or_same_layer_edge_rejected():
    with pytest.raises(ValueError, match="not allowed"):
        Topology.from_edges([2, 2, 1], [3], [2])  # hidden -> hidden, same layer
    with pytest.raises(ValueError, match="not allowed"):
        Topology.from_edges([2, 2, 1], [4], [0])  # output -> input
    with pytest.raises(ValueError, match="not allowed"):
        Topology.from_edges([2, 2, 1], [0], [4], skip=False)  # skip in an MLP


def test_dormant_and_active_partition_allowed():
    top = Topology.from_edges([2, 2, 1], [0, 2], [2, 4])
    allowed = set(zip(*top.allowed_edges(), strict=True))
    active = set(zip(*top.edges(), strict=True))
    dormant = set(zip(*top.dormant_edges(), strict=True))
    assert active | dormant == allowed
    assert not active & dormant


def test_add_and_remove_neurons_keep_other_edges():
    top = Topology.from_edges([2, 2, 1], [0, 1, 2, 3], [2, 3, 4, 4])
    grown, neuron_map = top.add_neurons(1, 2)
    assert grown.layer_sizes == (2, 4, 1)
    assert neuron_map.tolist() == [0, 1, 2, 3, 6]
    assert set(zip(*grown.edges(), strict=True)) == {(0, 2), (1, 3), (2, 6), (3, 6)}
    smaller, neuron_map = grown.remove_neurons([2])
    assert smaller.layer_sizes == (2, 3, 1)
    assert set(zip(*smaller.edges(), strict=True)) == {(1, 2), (2, 5)}
    with pytest.raises(ValueError, match="input and output"):
        top.remove_neurons([0])


def test_carry_edge_values_follows_renumbering():
    top = Topology.from_edges([2, 2, 1], [0, 1, 2, 3], [2, 3, 4, 4])
    values = np.array([1.0, 2.0, 3.0, 4.0])
    smaller, neuron_map = top.remove_neurons([2])
    carried = carry_edge_values(top, values, smaller, neuron_map)
    # left: 1->(old 3, new 2) and (old 3, new 2)->(old 4, new 3)
    assert carried.tolist() == [2.0, 4.0]


def test_dead_neurons_removed_until_stable():
    # 0 -> 2 -> 4 -> 6(out) is alive; 3 has no input; 5 is fed only by 3;
    # 1 -> ... nothing. After removing 3, neuron 5 has no input either.
    layer_sizes = [2, 2, 2, 1]
    src = [0, 2, 4, 3, 5, 3]
    dst = [2, 4, 6, 5, 6, 6]
    top = Topology.from_edges(layer_sizes, src, dst)
    weights = np.ones(top.n_connections)
    biases = np.zeros(top.n_neurons)
    new, new_w, new_b = remove_dead_neurons(top, weights, biases)
    assert new.layer_sizes == (2, 1, 1, 1)
    assert new.dead_neurons().size == 0
    assert new.n_connections == 3
    assert new_w.shape == (3,)


def test_dead_neuron_constant_is_folded_into_biases():
    # Hidden neuron 1 has no input: it outputs relu(bias) = 0.5 forever.
    top = Topology.from_edges([1, 2, 1], [0, 1, 2], [2, 3, 3])
    weights = np.array([1.0, 2.0, 3.0])  # edges (0,2), (1,3), (2,3)
    biases = np.array([0.0, 0.5, 0.1, -0.2])
    new, new_w, new_b = remove_dead_neurons(top, weights, biases)
    assert new.layer_sizes == (1, 1, 1)
    # output bias absorbs relu(0.5) * 2.0
    assert new_b[-1] == pytest.approx(-0.2 + 1.0)


def test_layer_names():
    assert Topology.dense([3, 2, 2, 1]).layer_names() == [
        "input",
        "hidden 1",
        "hidden 2",
        "output",
    ]

"""The three structure-changing operations of SCANN, as pure functions.

Each operation takes a :class:`~sklearn_scann.Topology`, the weights aligned
with its connections (``weights[k]`` belongs to ``topology.edges()[k]``),
the biases of all neurons, and whatever scores it needs, and returns the new
``(topology, weights, biases)``. Nothing here trains or touches torch.
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import numpy as np

from ._topology import Topology, carry_edge_values

__all__ = [
    "grow_connections",
    "grow_neurons",
    "protected_connections",
    "prune_connections",
    "remove_dead_neurons",
]


def _count(ratio: float, n: int) -> int:
    """``ratio * n`` rounded half up, so that a ratio of 0 never changes anything."""
    return int(np.floor(ratio * n + 0.5))


def _per_target_layer(topology: Topology, dst, ratio: float | None = None, counts=None):
    """Per non-input layer: the items (by ``dst``) entering it and how many to take.

    How many: ``round(ratio * n)`` of the ``n`` entering items, or
    ``counts[layer]`` of them (at most ``n``).
    """
    target_layer = topology.layer_of[dst]
    for layer in range(1, topology.n_layers):
        entering = np.flatnonzero(target_layer == layer)
        if counts is None:
            k = _count(ratio, entering.size)
        else:
            k = min(int(counts[layer]), entering.size)
        if k > 0:
            yield layer, entering, k


def _edge_positions(topology: Topology, src, dst) -> np.ndarray:
    """Positions of existing connections ``src -> dst`` in ``topology.edges()``."""
    keys = np.asarray(src, np.int64) * topology.n_neurons + np.asarray(dst, np.int64)
    return np.searchsorted(topology.edge_keys(), keys)


def _relu(x):
    return np.maximum(x, 0.0)


def remove_dead_neurons(topology: Topology, weights, biases):
    """Remove hidden neurons without input or output until none is left.

    A neuron without inputs outputs the constant ``relu(bias)``; that
    constant is folded into the biases of the neurons it fed, so removing it
    leaves the network's function unchanged. A neuron without outputs has no
    effect and is dropped.
    """
    weights = np.asarray(weights, dtype=float)
    biases = np.array(biases, dtype=float)
    while True:
        dead = topology.dead_neurons()
        if dead.size == 0:
            return topology, weights, biases
        src, dst = topology.edges()
        no_input = dead[topology.fan_in()[dead] == 0]
        # Fold one layer of constants at a time: neurons fed only by removed
        # constants become input-less and are handled in the next pass.
        for neuron in no_input:
            out = np.flatnonzero(src == neuron)
            np.add.at(biases, dst[out], _relu(biases[neuron]) * weights[out])
        new, neuron_map = topology.remove_neurons(dead)
        weights = carry_edge_values(topology, weights, new, neuron_map)
        new_biases = np.zeros(new.n_neurons)
        kept = neuron_map >= 0
        new_biases[neuron_map[kept]] = biases[kept]
        topology, biases = new, new_biases


def protected_connections(topology: Topology, weights) -> np.ndarray:
    """Connections pruning must keep so that no layer or output is cut off.

    For every hidden layer, its strongest neuron (largest product of summed
    incoming and outgoing ``|w|``) keeps a path from the inputs (its
    strongest incoming connection, then that source's, back to the input
    layer) and a path to the outputs (its strongest outgoing connection,
    onwards to the output layer). Every output neuron keeps a path from the
    inputs the same way. In a network without dead neurons these walks
    always end at the input and output layers, so whatever else pruning
    removes, every hidden layer keeps a working neuron and every output
    keeps a path from the inputs.

    Returns a boolean mask aligned with ``topology.edges()``.
    """
    weights = np.abs(np.asarray(weights, dtype=float))
    src, dst = topology.edges()
    keep = np.zeros(src.size, dtype=bool)
    if src.size == 0:
        return keep
    n = topology.n_neurons
    layer = topology.layer_of
    last = topology.n_layers - 1
    # Strongest incoming and outgoing connection of every neuron (-1: none);
    # ties go to the earlier connection.
    strongest_in = np.full(n, -1, dtype=np.int64)
    strongest_out = np.full(n, -1, dtype=np.int64)
    for end, table in ((dst, strongest_in), (src, strongest_out)):
        order = np.lexsort((np.arange(src.size), -weights, end))
        neurons, first = np.unique(end[order], return_index=True)
        table[neurons] = order[first]
    w_in = np.bincount(dst, weights, minlength=n)
    w_out = np.bincount(src, weights, minlength=n)

    def walk(neuron, strongest, onward, end_layer):
        # Follow the strongest connections until the end layer, or a path
        # already kept (it leads there).
        while layer[neuron] != end_layer and strongest[neuron] >= 0:
            edge = strongest[neuron]
            if keep[edge]:
                return
            keep[edge] = True
            neuron = onward[edge]

    def walk_back(neuron):
        walk(neuron, strongest_in, src, 0)

    def walk_forward(neuron):
        walk(neuron, strongest_out, dst, last)

    for hidden in range(1, last):
        members = topology.layer_neurons(hidden)
        if members.size == 0:
            continue
        best = members[np.argmax(w_in[members] * w_out[members])]
        walk_back(best)
        walk_forward(best)
    for output in topology.layer_neurons(last):
        walk_back(output)
    return keep


def prune_connections(topology: Topology, weights, biases, ratio: float, *, keep=None):
    """Remove the ``ratio`` fraction of active connections with the smallest |w|.

    The selection is made per target layer: the connections entering a layer
    (from every source layer, skip connections included) compete with each
    other, and ``round(ratio * n)`` of the ``n`` connections entering each
    layer are removed. Weight magnitudes differ between layers (they scale
    with fan-in), so one global threshold could strip a whole layer of its
    inputs while leaving another untouched. Ties go to the earlier
    connection in row-major order. The connections of
    :func:`protected_connections` are never removed, so pruning never
    empties a hidden layer and never cuts an output off from the inputs
    (a network left like that could only predict a constant), nor those
    ``keep`` (a boolean mask aligned with ``topology.edges()``) marks.
    Dead neurons are removed afterwards.
    """
    weights = np.asarray(weights, dtype=float)
    src, dst = topology.edges()
    protected = protected_connections(topology, weights)
    if keep is not None:
        protected |= np.asarray(keep, dtype=bool)
    remove = np.zeros(src.size, dtype=bool)
    for _, entering, k in _per_target_layer(topology, dst, ratio):
        order = entering[np.argsort(np.abs(weights[entering]), kind="stable")]
        order = order[~protected[order]]
        remove[order[:k]] = True
    new = topology.with_edges(src[~remove], dst[~remove])
    new_weights = weights[~remove]
    return remove_dead_neurons(new, new_weights, biases)


def grow_connections(
    topology: Topology,
    weights,
    biases,
    candidate_src,
    candidate_dst,
    scores,
    ratio: float | None = None,
    *,
    counts=None,
    initial_weight=0.0,
):
    """Activate the dormant connections with the largest score, per target layer.

    ``candidate_src``, ``candidate_dst`` and ``scores`` describe the dormant
    connections (usually ``topology.dormant_edges()``) and the magnitude of
    the loss gradient with respect to each of them, the weight held at 0.
    As for pruning, the selection is per target layer: either
    ``round(ratio * n)`` of the ``n`` candidates entering each layer, or
    ``counts[layer]`` of them (at most ``n``). New connections start at
    ``initial_weight``: a number, or one value per candidate (0: the
    network's function is unchanged until training moves them).
    """
    candidate_src = np.asarray(candidate_src, np.int64)
    candidate_dst = np.asarray(candidate_dst, np.int64)
    scores = np.abs(np.asarray(scores, dtype=float))
    if not (candidate_src.shape == candidate_dst.shape == scores.shape):
        raise ValueError("candidate_src, candidate_dst and scores must align")
    if (ratio is None) == (counts is None):
        raise ValueError("give exactly one of ratio and counts")
    initial = np.broadcast_to(np.asarray(initial_weight, float), scores.shape)
    chosen = []
    for _, entering, k in _per_target_layer(topology, candidate_dst, ratio, counts):
        order = np.argsort(-scores[entering], kind="stable")
        chosen.append(entering[order[:k]])
    if not chosen:
        return topology, np.asarray(weights, dtype=float), np.array(biases, float)
    chosen = np.concatenate(chosen)
    new = topology.add_edges(candidate_src[chosen], candidate_dst[chosen])
    new_weights = carry_edge_values(topology, weights, new)
    positions = _edge_positions(new, candidate_src[chosen], candidate_dst[chosen])
    new_weights[positions] = initial[chosen]
    return new, new_weights, np.array(biases, dtype=float)


def grow_neurons(
    topology: Topology,
    weights,
    biases,
    activations,
    n_neurons: int,
    rng: np.random.Generator,
    *,
    noise_std: float = 0.01,
):
    """Split the ``n_neurons`` most active neurons of every hidden layer.

    ``activations`` holds one score per neuron (mean |activation| on the
    training data; only hidden neurons are read). Each chosen parent gets a
    child in its layer with the parent's incoming connections, incoming
    weights and bias, plus Gaussian noise of standard deviation
    ``noise_std``. The child also takes the parent's outgoing connections;
    parent and child each carry half of the parent's outgoing weights (the
    child's plus noise), so that without noise the network computes the
    same function as before the split.

    An empty hidden layer has no neuron to split: it gets ``n_neurons`` new
    neurons instead, connected to every allowed source and target neuron,
    with He-scaled incoming weights and zero outgoing weights (the
    network's function is unchanged; training takes it from there).
    """
    weights = np.asarray(weights, dtype=float)
    biases = np.asarray(biases, dtype=float)
    activations = np.asarray(activations, dtype=float)
    for layer in range(1, topology.n_layers - 1):
        members = topology.layer_neurons(layer)
        if members.size == 0 and n_neurons > 0:
            topology, weights, biases, activations = _refill_layer(
                topology, weights, biases, activations, layer, int(n_neurons), rng
            )
            continue
        k = min(int(n_neurons), members.size)
        if k == 0:
            continue
        order = np.argsort(-activations[members], kind="stable")
        parents = members[order[:k]]

        grown, neuron_map, weights, new_biases, new_activations = _with_new_neurons(
            topology, weights, biases, activations, layer, k
        )
        parents = neuron_map[parents]
        children = grown.layer_neurons(layer)[-k:]

        src, dst = grown.edges()
        child_of = dict(zip(parents.tolist(), children.tolist(), strict=True))
        in_edges = np.flatnonzero(np.isin(dst, parents))
        out_edges = np.flatnonzero(np.isin(src, parents))
        in_src = src[in_edges]
        in_dst = np.array([child_of[p] for p in dst[in_edges]], dtype=np.int64)
        out_src = np.array([child_of[p] for p in src[out_edges]], dtype=np.int64)
        out_dst = dst[out_edges]
        in_w = weights[in_edges] + rng.normal(0.0, noise_std, in_edges.size)
        half = weights[out_edges] / 2.0
        out_w = half + rng.normal(0.0, noise_std, out_edges.size)
        weights = weights.copy()
        weights[out_edges] = half
        new_biases[children] = new_biases[parents] + rng.normal(0.0, noise_std, k)

        final = grown.add_edges(
            np.concatenate([in_src, out_src]), np.concatenate([in_dst, out_dst])
        )
        weights = carry_edge_values(grown, weights, final)
        positions = _edge_positions(
            final, np.concatenate([in_src, out_src]), np.concatenate([in_dst, out_dst])
        )
        weights[positions] = np.concatenate([in_w, out_w])
        new_activations[children] = new_activations[parents]
        topology, biases, activations = final, new_biases, new_activations
    return topology, weights, biases


def _with_new_neurons(topology: Topology, weights, biases, activations, layer, count):
    """``count`` unconnected neurons appended to ``layer``, values carried over.

    Returns the new topology, the old-to-new neuron map, and the weights,
    biases and activations on the new numbering (new neurons at 0).
    """
    grown, neuron_map = topology.add_neurons(layer, count)
    weights = carry_edge_values(topology, weights, grown, neuron_map)
    new_biases = np.zeros(grown.n_neurons)
    new_biases[neuron_map] = biases
    new_activations = np.zeros(grown.n_neurons)
    new_activations[neuron_map] = activations
    return grown, neuron_map, weights, new_biases, new_activations


def _refill_layer(topology: Topology, weights, biases, activations, layer, count, rng):
    """Give empty hidden ``layer`` ``count`` fully connected new neurons."""
    grown, _, weights, new_biases, new_activations = _with_new_neurons(
        topology, weights, biases, activations, layer, count
    )
    children = grown.layer_neurons(layer)
    sources = np.concatenate(
        [grown.layer_neurons(s) for s in grown.source_layers(layer)]
    )
    targets = np.concatenate(
        [
            grown.layer_neurons(t)
            for t in range(layer + 1, grown.n_layers)
            if layer in grown.source_layers(t)
        ]
    )
    in_src, in_dst = (a.ravel() for a in np.meshgrid(sources, children))
    out_src, out_dst = (a.ravel() for a in np.meshgrid(children, targets))
    final = grown.add_edges(
        np.concatenate([in_src, out_src]), np.concatenate([in_dst, out_dst])
    )
    weights = carry_edge_values(grown, weights, final)
    positions = _edge_positions(final, in_src, in_dst)
    weights[positions] = rng.normal(
        0.0, np.sqrt(2.0 / max(sources.size, 1)), in_src.size
    )
    return final, weights, new_biases, new_activations

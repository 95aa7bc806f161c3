"""Property-based tests of the topology operations, driven by hypothesis."""

# SPDX-License-Identifier: BSD-3-Clause

from collections import Counter, deque

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklearn_scann import Topology
from sklearn_scann._compact import CompactNetwork
from sklearn_scann._operations import (
    grow_connections,
    grow_neurons,
    prune_connections,
    remove_dead_neurons,
)

# No example database: the tests must not leave a .hypothesis folder behind.
# The autouse torch-seeding fixture of conftest.py is harmless to share.
_SETTINGS = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture],
}

seeds = st.integers(0, 2**32 - 1)
ratios = st.floats(0.0, 0.99)


@st.composite
def layer_sizes(draw, allow_empty_hidden=False):
    """2 to 4 layers: input 1..6, hidden 1..6 (or 0..6), output 1..4."""
    n_hidden = draw(st.integers(0, 2))
    low = 0 if allow_empty_hidden else 1
    hidden = draw(st.lists(st.integers(low, 6), min_size=n_hidden, max_size=n_hidden))
    return (draw(st.integers(1, 6)), *hidden, draw(st.integers(1, 4)))


@st.composite
def networks(draw, skip=None, allow_empty_hidden=False):
    """A random topology without dead neurons, with weights and biases.

    Empty hidden layers are only drawn with ``skip=True`` (without skips an
    empty hidden layer would cut the outputs off the inputs).
    """
    skip = draw(st.booleans()) if skip is None else skip
    sizes = draw(layer_sizes(allow_empty_hidden=allow_empty_hidden and skip))
    density = draw(st.floats(0.05, 1.0))
    rng = np.random.default_rng(draw(seeds))
    top = Topology.random(sizes, density, rng, skip=skip)
    weights = rng.normal(size=top.n_connections)
    biases = rng.normal(size=top.n_neurons)
    return remove_dead_neurons(top, weights, biases)


def _edge_set(top):
    return set(zip(*(a.tolist() for a in top.edges()), strict=True))


def _weight_of(top, weights):
    return dict(zip(zip(*(a.tolist() for a in top.edges())), weights, strict=True))


def _outputs_reachable(top):
    """Whether a breadth-first search from the inputs reaches every output."""
    src, dst = top.edges()
    successors = [[] for _ in range(top.n_neurons)]
    for s, d in zip(src.tolist(), dst.tolist(), strict=True):
        successors[s].append(d)
    reached = np.zeros(top.n_neurons, dtype=bool)
    queue = deque(top.layer_neurons(0).tolist())
    reached[list(queue)] = True
    while queue:
        for d in successors[queue.popleft()]:
            if not reached[d]:
                reached[d] = True
                queue.append(d)
    return bool(reached[top.layer_neurons(top.n_layers - 1)].all())


def _check_invariants(top, weights, biases):
    assert weights.shape == (top.n_connections,)
    assert biases.shape == (top.n_neurons,)
    assert np.all(np.isfinite(weights)) and np.all(np.isfinite(biases))
    src, dst = top.edges()
    assert np.all(top.is_allowed(src, dst))
    assert top.dead_neurons().size == 0
    assert _outputs_reachable(top)


def _edge_signatures(top, weights):
    """Multiset of connections described without the hidden-neuron numbering.

    Input and output neurons keep their index within their layer whatever
    happens to the hidden layers; hidden neurons are renumbered, so only
    their layer is recorded.
    """
    src, dst = top.edges()
    layer = top.layer_of
    last = top.n_layers - 1
    first_output = top.offsets[last]

    def local(neuron):
        if layer[neuron] == 0:
            return int(neuron)
        if layer[neuron] == last:
            return int(neuron - first_output)
        return -1

    return Counter(
        (int(layer[s]), local(s), int(layer[d]), local(d), float(w))
        for s, d, w in zip(src, dst, weights, strict=True)
    )


def _function(top, weights, biases, X):
    return CompactNetwork(top, weights, biases).decision_function(X)


def _inputs(top, seed, n_samples=16):
    return np.random.default_rng(seed).normal(size=(n_samples, top.layer_sizes[0]))


def _assert_same_function(after, before, seed):
    """Two ``(topology, weights, biases)`` networks agree on random inputs."""
    X = _inputs(before[0], seed)
    np.testing.assert_allclose(_function(*after, X), _function(*before, X), atol=1e-9)


@settings(max_examples=300, **_SETTINGS)
@given(net=networks(), ratio=ratios)
def test_prune_keeps_a_working_subnetwork(net, ratio):
    top, weights, biases = net
    new, new_w, new_b = prune_connections(top, weights, biases, ratio)
    _check_invariants(new, new_w, new_b)
    assert new.n_connections <= top.n_connections
    assert new.n_layers == top.n_layers
    assert new.layer_sizes[0] == top.layer_sizes[0]
    assert new.layer_sizes[-1] == top.layer_sizes[-1]
    for before, after in zip(top.hidden_layer_sizes, new.hidden_layer_sizes):
        assert after <= before
        assert after > 0 or before == 0
    # Surviving connections are old ones, with their old weights.
    assert _edge_signatures(new, new_w) <= _edge_signatures(top, weights)


@settings(max_examples=100, **_SETTINGS)
@given(net=networks())
def test_prune_ratio_zero_changes_nothing(net):
    top, weights, biases = net
    new, new_w, new_b = prune_connections(top, weights, biases, 0.0)
    assert new == top
    np.testing.assert_array_equal(new_w, weights)
    np.testing.assert_array_equal(new_b, biases)


@settings(max_examples=300, **_SETTINGS)
@given(
    net=networks(allow_empty_hidden=True),
    keep_fraction=st.floats(0.0, 1.0),
    seed=seeds,
)
def test_remove_dead_neurons_preserves_the_function(net, keep_fraction, seed):
    top, weights, biases = net
    rng = np.random.default_rng(seed)
    keep = rng.random(top.n_connections) < keep_fraction
    src, dst = top.edges()
    damaged = top.with_edges(src[keep], dst[keep])
    damaged_w = weights[keep]
    new, new_w, new_b = remove_dead_neurons(damaged, damaged_w, biases)
    assert new.dead_neurons().size == 0
    assert new.layer_sizes[0] == top.layer_sizes[0]
    assert new.layer_sizes[-1] == top.layer_sizes[-1]
    assert new_w.shape == (new.n_connections,)
    assert new_b.shape == (new.n_neurons,)
    assert _edge_signatures(new, new_w) <= _edge_signatures(damaged, damaged_w)
    _assert_same_function((new, new_w, new_b), (damaged, damaged_w, biases), seed)


@settings(max_examples=250, **_SETTINGS)
@given(
    net=networks(),
    counts=st.lists(st.integers(0, 8), min_size=4, max_size=4),
    initial_weight=st.one_of(st.just(0.0), st.floats(-3.0, 3.0)),
    seed=seeds,
)
def test_grow_connections_with_counts(net, counts, initial_weight, seed):
    top, weights, biases = net
    rng = np.random.default_rng(seed)
    cand_src, cand_dst = top.dormant_edges()
    scores = rng.normal(size=cand_src.size)
    new, new_w, new_b = grow_connections(
        top,
        weights,
        biases,
        cand_src,
        cand_dst,
        scores,
        counts=counts,
        initial_weight=initial_weight,
    )
    _check_invariants(new, new_w, new_b)
    assert new.layer_sizes == top.layer_sizes
    np.testing.assert_array_equal(new_b, biases)
    old_edges, new_edges = _edge_set(top), _edge_set(new)
    added = new_edges - old_edges
    assert old_edges <= new_edges
    assert added <= set(zip(cand_src.tolist(), cand_dst.tolist(), strict=True))
    layer = top.layer_of
    for target in range(1, top.n_layers):
        candidates = int(np.sum(layer[cand_dst] == target))
        grown = sum(1 for _, d in added if layer[d] == target)
        assert grown == min(counts[target], candidates)
    old_w, grown_w = _weight_of(top, weights), _weight_of(new, new_w)
    for edge, w in old_w.items():
        assert grown_w[edge] == w
    for edge in added:
        assert grown_w[edge] == initial_weight
    # New connections at weight 0 leave the function unchanged.
    zero, zero_w, zero_b = grow_connections(
        top, weights, biases, cand_src, cand_dst, scores, counts=counts
    )
    assert zero == new
    _assert_same_function((zero, zero_w, zero_b), (top, weights, biases), seed)


@settings(max_examples=250, **_SETTINGS)
@given(net=networks(), n_neurons=st.integers(0, 4), seed=seeds)
def test_grow_neurons_without_noise_preserves_the_function(net, n_neurons, seed):
    top, weights, biases = net
    rng = np.random.default_rng(seed)
    activations = rng.random(top.n_neurons)
    new, new_w, new_b = grow_neurons(
        top, weights, biases, activations, n_neurons, rng, noise_std=0.0
    )
    _check_invariants(new, new_w, new_b)
    assert new.layer_sizes == (
        top.layer_sizes[0],
        *(size + min(n_neurons, size) for size in top.hidden_layer_sizes),
        top.layer_sizes[-1],
    )
    _assert_same_function((new, new_w, new_b), (top, weights, biases), seed)


@st.composite
def networks_with_an_empty_layer(draw):
    """Skip-connected networks with at least one empty hidden layer."""
    n_hidden = draw(st.integers(1, 2))
    hidden = draw(st.lists(st.integers(0, 6), min_size=n_hidden, max_size=n_hidden))
    hidden[draw(st.integers(0, n_hidden - 1))] = 0
    sizes = (draw(st.integers(1, 6)), *hidden, draw(st.integers(1, 4)))
    density = draw(st.floats(0.05, 1.0))
    rng = np.random.default_rng(draw(seeds))
    top = Topology.random(sizes, density, rng, skip=True)
    weights = rng.normal(size=top.n_connections)
    biases = rng.normal(size=top.n_neurons)
    return remove_dead_neurons(top, weights, biases)


@settings(max_examples=150, **_SETTINGS)
@given(net=networks_with_an_empty_layer(), n_neurons=st.integers(1, 4), seed=seeds)
def test_grow_neurons_refills_empty_layers(net, n_neurons, seed):
    top, weights, biases = net
    assert 0 in top.hidden_layer_sizes
    rng = np.random.default_rng(seed)
    activations = rng.random(top.n_neurons)
    new, new_w, new_b = grow_neurons(
        top, weights, biases, activations, n_neurons, rng, noise_std=0.0
    )
    _check_invariants(new, new_w, new_b)
    assert new.layer_sizes == (
        top.layer_sizes[0],
        *(
            size + min(n_neurons, size) if size else n_neurons
            for size in top.hidden_layer_sizes
        ),
        top.layer_sizes[-1],
    )
    fan_in, fan_out = new.fan_in(), new.fan_out()
    for layer, size in enumerate(top.hidden_layer_sizes, start=1):
        if size == 0:
            refilled = new.layer_neurons(layer)
            # Every allowed source and target: all earlier and all later layers.
            assert np.all(fan_in[refilled] == new.offsets[layer])
            later = new.n_neurons - new.offsets[layer + 1]
            assert np.all(fan_out[refilled] == later)
    _assert_same_function((new, new_w, new_b), (top, weights, biases), seed)


operations = st.one_of(
    st.tuples(st.just("prune"), ratios),
    st.tuples(st.just("grow"), ratios, seeds, st.booleans()),
    st.tuples(st.just("split"), st.integers(0, 3), seeds),
)


@settings(max_examples=500, **_SETTINGS)
@given(
    net=networks(allow_empty_hidden=True),
    ops=st.lists(operations, min_size=3, max_size=8),
)
def test_operation_sequences_keep_the_invariants(net, ops):
    top, weights, biases = net
    _check_invariants(top, weights, biases)
    non_empty = np.asarray(top.layer_sizes) > 0
    for op in ops:
        if op[0] == "prune":
            top, weights, biases = prune_connections(top, weights, biases, op[1])
        elif op[0] == "grow":
            rng = np.random.default_rng(op[2])
            cand_src, cand_dst = top.dormant_edges()
            top, weights, biases = grow_connections(
                top,
                weights,
                biases,
                cand_src,
                cand_dst,
                rng.random(cand_src.size),
                op[1],
                # per-candidate initial weights, or all 0 (ties for pruning)
                initial_weight=rng.normal(0.0, 0.1, cand_src.size) * op[3],
            )
        else:
            rng = np.random.default_rng(op[2])
            top, weights, biases = grow_neurons(
                top, weights, biases, rng.random(top.n_neurons), op[1], rng
            )
        _check_invariants(top, weights, biases)
        sizes = np.asarray(top.layer_sizes)
        # A layer with neurons never loses all of them again.
        assert np.all(sizes[non_empty] > 0)
        non_empty |= sizes > 0


@settings(max_examples=150, **_SETTINGS)
@given(
    net=networks(allow_empty_hidden=True),
    task=st.sampled_from(["classes", "regression"]),
    weighted=st.booleans(),
    seed=seeds,
)
def test_written_out_gradients_equal_autograd(net, task, weighted, seed):
    """The training path's hand-written backward pass is autograd's, any topology.

    Skip connections, empty hidden layers, one output (binary logit) or
    several, class or float targets, with and without sample weights.
    """
    import torch

    from sklearn_scann._network import build_network
    from sklearn_scann._training import (
        loss_and_output_gradient,
        output_gradient,
        per_sample_loss,
    )

    top, weights, biases = net
    rng = np.random.default_rng(seed)
    module = build_network(top, weights, biases, dtype=torch.float64)
    X = torch.as_tensor(_inputs(top, seed, n_samples=9))
    n_outputs = top.layer_sizes[-1]
    if task == "classes":
        y = torch.as_tensor(rng.integers(0, max(n_outputs, 2), size=9))
    else:
        y = torch.as_tensor(rng.normal(size=(9, n_outputs)))
    weight = torch.as_tensor(rng.uniform(0.1, 2.0, size=9)) if weighted else None

    per_sample = per_sample_loss(module(X), y)
    loss = per_sample.mean() if weight is None else (per_sample * weight).mean()
    loss.backward()
    expected = [p.grad.clone() for p in module.parameters()]
    for p in module.parameters():
        p.grad = None
    with torch.no_grad():
        outputs, cache = module.forward_for_training(X)
        written_loss, gradient = loss_and_output_gradient(outputs, y, weight)
        # The updates that skip the loss take the same gradient.
        gradient_alone = output_gradient(outputs, y, weight)
        module.set_gradients(gradient, cache)
    np.testing.assert_allclose(gradient_alone.numpy(), gradient.numpy(), atol=1e-15)
    np.testing.assert_allclose(written_loss.item(), loss.item(), rtol=1e-12)
    for got, want in zip(module.parameters(), expected, strict=True):
        np.testing.assert_allclose(got.grad.numpy(), want.numpy(), atol=1e-12)


@settings(max_examples=100, **_SETTINGS)
@given(net=networks())
def test_edges_are_the_adjacency_in_row_major_order(net):
    """``edges()`` reads a canonical adjacency directly and sorts any other."""
    import scipy.sparse as sp

    top = net[0]
    coo = top.adjacency.tocoo()
    order = np.lexsort((coo.col, coo.row))
    expected = (coo.row[order], coo.col[order])
    src, dst = top.edges()
    assert src.dtype == dst.dtype == np.int64
    np.testing.assert_array_equal(src, expected[0])
    np.testing.assert_array_equal(dst, expected[1])
    # The same connections stored out of order (each row's columns
    # reversed): no longer canonical where a row has two or more, and
    # sorted on the way out.
    adjacency = top.adjacency
    indices = adjacency.indices.copy()
    for row in range(adjacency.shape[0]):
        start, stop = adjacency.indptr[row], adjacency.indptr[row + 1]
        indices[start:stop] = indices[start:stop][::-1]
    top.adjacency = sp.csr_array(
        (adjacency.data, indices, adjacency.indptr), shape=adjacency.shape
    )
    src, dst = top.edges()
    np.testing.assert_array_equal(src, expected[0])
    np.testing.assert_array_equal(dst, expected[1])


@settings(max_examples=60, **_SETTINGS)
@given(
    n_samples=st.integers(2, 40),
    n_features=st.integers(1, 6),
    margin=st.floats(0.0, 5.0),
    seed=seeds,
)
def test_outliers_of_the_training_range_dense_and_sparse(
    n_samples, n_features, margin, seed
):
    """The regressor's validation outliers: the same for sparse X, never a training row.

    A row is outside exactly when one of its features lies more than
    ``margin`` standard deviations beyond the training rows' range (a
    feature constant on them not judged).
    """
    import scipy.sparse as sp

    from sklearn_scann._scoring import outside_training_range

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features)) * rng.choice([0.0, 1.0, 50.0])
    X[rng.random(X.shape) < 0.3] = 0.0  # sparse-like zeros
    if rng.random() < 0.5:
        X[:, 0] = 3.7  # constant, but not zero: no spread to judge it by
    train = np.sort(rng.choice(n_samples, size=max(1, n_samples // 2), replace=False))
    rows = np.arange(n_samples)
    outside = outside_training_range(X, train, rows, margin)
    np.testing.assert_array_equal(
        outside, outside_training_range(sp.csr_array(X), train, rows, margin)
    )
    assert not outside[train].any()
    spread = X[train].std(axis=0)
    low = X[train].min(axis=0) - margin * spread
    high = X[train].max(axis=0) + margin * spread
    varies = X[train].max(axis=0) > X[train].min(axis=0)
    beyond = ((X < low) | (X > high)) & varies
    np.testing.assert_array_equal(outside, beyond.any(axis=1))

"""Network structure: neurons in layers and one sparse adjacency over all of them."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["Topology", "carry_edge_values"]


class Topology:
    """Structure of a feed-forward network of arbitrary connectivity.

    Neurons are numbered globally, layer by layer: the input layer first,
    then the hidden layers, then the output layer. Connections are the
    nonzero entries of a boolean sparse adjacency matrix ``A`` where
    ``A[i, j]`` means "neuron ``i`` feeds neuron ``j``". A connection may
    only go from a layer to a later layer; with ``skip=False`` only to the
    next layer (a sparse multilayer perceptron).

    A ``Topology`` is immutable: every structural change returns a new one.
    Values attached to connections (weights, scores) are 1-D arrays aligned
    with :meth:`edges`, which lists connections in row-major order.

    Parameters
    ----------
    layer_sizes : sequence of int
        Number of neurons per layer, input layer first and output layer
        last. Hidden layers may be empty.
    adjacency : sparse matrix of shape (n_neurons, n_neurons)
        Nonzero entries are the active connections.
    skip : bool, default=True
        Whether connections may skip layers.

    Attributes
    ----------
    layer_sizes : tuple of int
        Neurons per layer.
    adjacency : scipy.sparse.csr_array of bool
        Active connections, canonical (sorted, no duplicates).
    skip : bool
        Whether connections may skip layers.

    Examples
    --------
    >>> from sklearn_scann import Topology
    >>> top = Topology.dense([3, 2, 1], skip=False)
    >>> top.n_connections
    8
    >>> top.layer_sizes
    (3, 2, 1)
    """

    def __init__(self, layer_sizes: Sequence[int], adjacency, *, skip: bool = True):
        sizes = tuple(int(s) for s in layer_sizes)
        if len(sizes) < 2:
            raise ValueError("a topology needs at least an input and an output layer")
        if min(sizes) < 0 or sizes[0] == 0 or sizes[-1] == 0:
            raise ValueError(
                f"input and output layers must be non-empty, got layer_sizes={sizes}"
            )
        n = sum(sizes)
        adjacency = sp.csr_array(adjacency, dtype=bool)
        if adjacency.shape != (n, n):
            raise ValueError(
                f"adjacency has shape {adjacency.shape}, expected {(n, n)} for "
                f"layer_sizes={sizes}"
            )
        adjacency.eliminate_zeros()
        adjacency.sum_duplicates()
        adjacency.sort_indices()
        self.layer_sizes = sizes
        self.skip = bool(skip)
        self.adjacency = adjacency
        src, dst = self.edges()
        if src.size and not np.all(self.is_allowed(src, dst)):
            bad = np.flatnonzero(~self.is_allowed(src, dst))[0]
            raise ValueError(
                f"connection {src[bad]} -> {dst[bad]} is not allowed: connections go "
                "to a later layer" + ("" if skip else ", the next one only")
            )

    # -- construction -----------------------------------------------------

    @classmethod
    def from_edges(cls, layer_sizes, src, dst, *, skip=True) -> Topology:
        """Build a topology from arrays of connection sources and targets.

        Parameters
        ----------
        layer_sizes : sequence of int
            Neurons per layer, input first.
        src, dst : array-like of int
            Global indices of the source and target neuron of each connection.
        skip : bool, default=True
            Whether connections may skip layers.

        Returns
        -------
        topology : Topology
        """
        n = int(sum(layer_sizes))
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        data = np.ones(src.shape[0], dtype=bool)
        return cls(
            layer_sizes, sp.csr_array((data, (src, dst)), shape=(n, n)), skip=skip
        )

    @classmethod
    def dense(cls, layer_sizes, *, skip=True) -> Topology:
        """Every allowed connection active.

        Parameters
        ----------
        layer_sizes : sequence of int
            Neurons per layer, input first.
        skip : bool, default=True
            Whether connections may skip layers (all skips are then active).

        Returns
        -------
        topology : Topology
        """
        empty = cls.from_edges(layer_sizes, [], [], skip=skip)
        src, dst = empty.allowed_edges()
        return cls.from_edges(layer_sizes, src, dst, skip=skip)

    @classmethod
    def random(cls, layer_sizes, density, rng: np.random.Generator, *, skip=True):
        """A random ``density`` fraction of the allowed connections, per target layer.

        Every hidden and output neuron draws at least one input, and every
        hidden neuron one output, so that a sparse seed does not start with
        disconnected neurons.

        Parameters
        ----------
        layer_sizes : sequence of int
            Neurons per layer, input first.
        density : float in (0, 1]
            Probability that an allowed connection is active.
        rng : numpy.random.Generator
            Source of the random draws.
        skip : bool, default=True
            Whether connections may skip layers.

        Returns
        -------
        topology : Topology
        """
        empty = cls.from_edges(layer_sizes, [], [], skip=skip)
        src, dst = empty.allowed_edges()
        keep = rng.random(src.shape[0]) < density
        # Guarantee one input per non-input neuron: draw one allowed source each.
        offsets = empty.offsets
        has_input = np.bincount(dst[keep], minlength=empty.n_neurons) > 0
        extra_src, extra_dst = [], []
        for target in range(1, empty.n_layers):
            low = 0 if skip else offsets[target - 1]
            high = offsets[target]
            lonely = empty.layer_neurons(target)
            lonely = lonely[~has_input[lonely]]
            if lonely.size and high > low:
                extra_src.append(rng.integers(low, high, size=lonely.size))
                extra_dst.append(lonely)
        # ... and one output per hidden neuron.
        has_output = np.bincount(src[keep], minlength=empty.n_neurons) > 0
        for source in range(1, empty.n_layers - 1):
            low = offsets[source + 1]
            high = empty.n_neurons if skip else offsets[source + 2]
            lonely = empty.layer_neurons(source)
            lonely = lonely[~has_output[lonely]]
            if lonely.size and high > low:
                extra_src.append(lonely)
                extra_dst.append(rng.integers(low, high, size=lonely.size))
        return cls.from_edges(
            layer_sizes,
            np.concatenate([src[keep], *extra_src]),
            np.concatenate([dst[keep], *extra_dst]),
            skip=skip,
        )

    # -- read-only views ----------------------------------------------------

    @property
    def n_layers(self) -> int:
        """Number of layers, input and output included."""
        return len(self.layer_sizes)

    @property
    def n_neurons(self) -> int:
        """Number of neurons in all layers."""
        return int(sum(self.layer_sizes))

    @property
    def n_connections(self) -> int:
        """Number of active connections."""
        return int(self.adjacency.nnz)

    @property
    def hidden_layer_sizes(self) -> tuple[int, ...]:
        """Neurons per hidden layer."""
        return self.layer_sizes[1:-1]

    @property
    def offsets(self) -> np.ndarray:
        """Global index of each layer's first neuron, plus the total at the end."""
        return np.concatenate([[0], np.cumsum(self.layer_sizes)]).astype(np.int64)

    @property
    def layer_of(self) -> np.ndarray:
        """Layer index of every neuron."""
        return np.repeat(np.arange(self.n_layers), self.layer_sizes)

    def layer_neurons(self, layer: int) -> np.ndarray:
        """Global indices of the neurons of ``layer``.

        Parameters
        ----------
        layer : int
            Layer index, 0 for the input layer.
        """
        start, stop = self.offsets[layer], self.offsets[layer + 1]
        return np.arange(start, stop)

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Sources and targets of the active connections, in row-major order."""
        adjacency = self.adjacency
        if adjacency.has_canonical_format:
            # Rows in order, columns sorted within each: read off directly.
            counts = np.diff(adjacency.indptr)
            src = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
            return src, adjacency.indices.astype(np.int64)
        coo = adjacency.tocoo()
        src = coo.row.astype(np.int64)
        dst = coo.col.astype(np.int64)
        order = np.lexsort((dst, src))
        return src[order], dst[order]

    def edge_keys(self) -> np.ndarray:
        """One sortable integer per active connection (``src * n + dst``)."""
        src, dst = self.edges()
        return src * self.n_neurons + dst

    def source_layers(self, layer: int) -> list[int]:
        """Layers allowed to feed ``layer``.

        Parameters
        ----------
        layer : int
            Layer index, 0 for the input layer.
        """
        if layer == 0:
            return []
        return list(range(layer)) if self.skip else [layer - 1]

    def is_allowed(self, src, dst) -> np.ndarray:
        """Whether connections ``src -> dst`` obey the layer rule.

        Parameters
        ----------
        src, dst : array-like of int
            Global indices of the source and target neurons.
        """
        layer = self.layer_of
        ls, ld = layer[np.asarray(src)], layer[np.asarray(dst)]
        return (ld > ls) if self.skip else (ld == ls + 1)

    def allowed_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Every connection the layer rule allows, active or not, row-major."""
        srcs, dsts = [], []
        for target in range(1, self.n_layers):
            targets = self.layer_neurons(target)
            for source in self.source_layers(target):
                sources = self.layer_neurons(source)
                s, d = np.meshgrid(sources, targets, indexing="ij")
                srcs.append(s.ravel())
                dsts.append(d.ravel())
        if not srcs:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        src = np.concatenate(srcs).astype(np.int64)
        dst = np.concatenate(dsts).astype(np.int64)
        order = np.lexsort((dst, src))
        return src[order], dst[order]

    def dormant_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Allowed connections that are not active, row-major."""
        src, dst = self.allowed_edges()
        keys = src * self.n_neurons + dst
        inactive = ~np.isin(keys, self.edge_keys(), assume_unique=True)
        return src[inactive], dst[inactive]

    def fan_in(self) -> np.ndarray:
        """Number of incoming connections per neuron."""
        return np.asarray(self.adjacency.sum(axis=0)).ravel().astype(np.int64)

    def fan_out(self) -> np.ndarray:
        """Number of outgoing connections per neuron."""
        return np.asarray(self.adjacency.sum(axis=1)).ravel().astype(np.int64)

    def dead_neurons(self) -> np.ndarray:
        """Hidden neurons with no incoming or no outgoing connection."""
        hidden = (self.layer_of > 0) & (self.layer_of < self.n_layers - 1)
        return np.flatnonzero(hidden & ((self.fan_in() == 0) | (self.fan_out() == 0)))

    def layer_names(self) -> list[str]:
        """Display names of the layers: ``input``, ``hidden 1``, ..., ``output``."""
        hidden = [f"hidden {i}" for i in range(1, self.n_layers - 1)]
        return ["input", *hidden, "output"]

    # -- structural changes (each returns a new Topology) -------------------

    def with_edges(self, src, dst) -> Topology:
        """A topology whose active connections are exactly ``src -> dst``.

        Parameters
        ----------
        src, dst : array-like of int
            Global indices of the source and target neurons.
        """
        return Topology.from_edges(self.layer_sizes, src, dst, skip=self.skip)

    def add_edges(self, src, dst) -> Topology:
        """Activate connections ``src -> dst`` (already active ones are kept).

        Parameters
        ----------
        src, dst : array-like of int
            Global indices of the source and target neurons.
        """
        old_src, old_dst = self.edges()
        return self.with_edges(
            np.concatenate([old_src, np.asarray(src, np.int64)]),
            np.concatenate([old_dst, np.asarray(dst, np.int64)]),
        )

    def remove_edges(self, src, dst) -> Topology:
        """Deactivate connections ``src -> dst``.

        Parameters
        ----------
        src, dst : array-like of int
            Global indices of the source and target neurons.
        """
        keys = np.asarray(src, np.int64) * self.n_neurons + np.asarray(dst, np.int64)
        old_src, old_dst = self.edges()
        keep = ~np.isin(self.edge_keys(), keys)
        return self.with_edges(old_src[keep], old_dst[keep])

    def add_neurons(self, layer: int, count: int) -> tuple[Topology, np.ndarray]:
        """Append ``count`` unconnected neurons to hidden ``layer``.

        Parameters
        ----------
        layer : int
            Index of a hidden layer.
        count : int
            Neurons to add.

        Returns
        -------
        topology : Topology
            The new topology; the new neurons are the last ``count`` of
            ``layer``.
        neuron_map : ndarray of int
            The new global index of every old neuron.
        """
        if not 0 < layer < self.n_layers - 1:
            raise ValueError(f"neurons can only be added to hidden layers, not {layer}")
        sizes = list(self.layer_sizes)
        sizes[layer] += count
        neuron_map = np.arange(self.n_neurons)
        neuron_map[self.offsets[layer + 1] :] += count
        src, dst = self.edges()
        return (
            Topology.from_edges(
                sizes, neuron_map[src], neuron_map[dst], skip=self.skip
            ),
            neuron_map,
        )

    def remove_neurons(self, neurons) -> tuple[Topology, np.ndarray]:
        """Remove hidden ``neurons`` and their connections.

        Parameters
        ----------
        neurons : array-like of int
            Global indices of hidden neurons.

        Returns
        -------
        topology : Topology
            The new topology.
        neuron_map : ndarray of int
            The new global index of every old neuron, -1 for removed ones.
        """
        neurons = np.unique(np.asarray(neurons, dtype=np.int64))
        layer = self.layer_of
        if neurons.size and (
            np.any(layer[neurons] == 0) or np.any(layer[neurons] == self.n_layers - 1)
        ):
            raise ValueError("input and output neurons cannot be removed")
        keep = np.ones(self.n_neurons, dtype=bool)
        keep[neurons] = False
        neuron_map = np.full(self.n_neurons, -1, dtype=np.int64)
        neuron_map[keep] = np.arange(int(keep.sum()))
        sizes = np.bincount(layer[keep], minlength=self.n_layers)
        src, dst = self.edges()
        alive = keep[src] & keep[dst]
        new = Topology.from_edges(
            sizes, neuron_map[src[alive]], neuron_map[dst[alive]], skip=self.skip
        )
        return new, neuron_map

    # -- comparisons and display ---------------------------------------------

    def __eq__(self, other):
        if not isinstance(other, Topology):
            return NotImplemented
        return (
            self.layer_sizes == other.layer_sizes
            and self.skip == other.skip
            and np.array_equal(self.edge_keys(), other.edge_keys())
        )

    __hash__ = None

    def __repr__(self):
        return (
            f"Topology(layer_sizes={self.layer_sizes}, "
            f"n_connections={self.n_connections}, skip={self.skip})"
        )


def carry_edge_values(
    old: Topology, values, new: Topology, neuron_map=None, fill: float = 0.0
) -> np.ndarray:
    """Move per-connection ``values`` from ``old`` onto ``new``.

    Connections present in both keep their value; connections only in
    ``new`` get ``fill``. ``neuron_map`` gives the new index of each old
    neuron (-1 for removed) when neurons were added or removed.
    """
    values = np.asarray(values)
    src, dst = old.edges()
    if neuron_map is not None:
        src, dst = neuron_map[src], neuron_map[dst]
        alive = (src >= 0) & (dst >= 0)
        src, dst, values = src[alive], dst[alive], values[alive]
    keys = src * new.n_neurons + dst
    new_keys = new.edge_keys()
    out = np.full(new_keys.size, fill, dtype=float)
    if keys.size and new_keys.size:
        pos = np.searchsorted(new_keys, keys)
        inside = pos < new_keys.size
        found = np.zeros(keys.size, dtype=bool)
        found[inside] = new_keys[pos[inside]] == keys[inside]
        out[pos[found]] = values[found]
    return out

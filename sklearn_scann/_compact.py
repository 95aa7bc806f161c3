"""The frozen fitted network as scipy CSR blocks, evaluated with numpy alone."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._topology import Topology

__all__ = ["CompactNetwork"]


class CompactNetwork:
    """A trained network stored as one CSR matrix per (source, target) layer block.

    Only active connections are stored, so the object's size follows the
    number of connections, not the dense size of the starting network.
    Evaluation uses numpy and scipy only, in float64.

    Parameters
    ----------
    topology : Topology
    weights : ndarray of shape (n_connections,)
        Aligned with ``topology.edges()``.
    biases : ndarray of shape (n_neurons,)
    """

    def __init__(self, topology: Topology, weights, biases):
        self.topology = topology
        weights = np.asarray(weights, dtype=np.float64)
        src, dst = topology.edges()
        layer = topology.layer_of
        offsets = topology.offsets
        n = topology.n_neurons
        matrix = sp.csr_array((weights, (dst, src)), shape=(n, n))
        # blocks[t] = list of (source layer, CSR of shape (n_t, n_s)) with connections.
        self.blocks = {}
        for target in range(1, topology.n_layers):
            rows = slice(offsets[target], offsets[target + 1])
            entries = []
            for source in topology.source_layers(target):
                cols = slice(offsets[source], offsets[source + 1])
                here = (layer[src] == source) & (layer[dst] == target)
                if here.any():
                    entries.append((source, sp.csr_array(matrix[rows, cols])))
            self.blocks[target] = entries
        self.biases = [
            np.asarray(biases, dtype=np.float64)[topology.layer_neurons(t)]
            for t in range(topology.n_layers)
        ]

    def decision_function(self, X) -> np.ndarray:
        """Output-layer logits for ``X`` (dense array or scipy sparse)."""
        n_samples = X.shape[0]
        last = self.topology.n_layers - 1
        hidden = {0: X}
        for target in range(1, last + 1):
            z = np.tile(self.biases[target], (n_samples, 1))
            for source, block in self.blocks[target]:
                h = hidden[source]
                if sp.issparse(h):
                    z += (h @ block.T).toarray()
                else:
                    z += (block @ h.T).T
            hidden[target] = z if target == last else np.maximum(z, 0.0)
        return hidden[last]

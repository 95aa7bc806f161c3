"""Inference cost of a network, counted from its Topology: operations, bytes, energy."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

from dataclasses import asdict, dataclass

from ._topology import Topology

__all__ = [
    "CostModel",
    "dense_connections",
    "inference_cost",
    "n_flops",
    "n_parameters",
]


@dataclass(frozen=True)
class CostModel:
    """Energy of the primitive operations of one inference, in picojoules.

    The defaults are the 45 nm figures published by M. Horowitz,
    "Computing's energy problem (and what we can do about it)", ISSCC 2014:
    a 32-bit floating-point multiply costs about 3.7 pJ, a 32-bit
    floating-point add about 0.9 pJ, and a 32-bit read from a small (8 KB)
    SRAM about 5 pJ. Change them to match another process or memory.

    One inference is charged, per connection, a multiply, an add, and two
    SRAM reads (the weight and its column index, both kept in a sparse
    format); per hidden or output neuron, an add and a read for its bias;
    per input feature, one read.

    Parameters
    ----------
    multiply_pj : float, default=3.7
        Energy of one 32-bit floating-point multiply.
    add_pj : float, default=0.9
        Energy of one 32-bit floating-point add.
    sram_read_pj : float, default=5.0
        Energy of reading one 32-bit word.
    reads_per_connection : float, default=2.0
        Words read per connection (weight and index).

    See Also
    --------
    SCANNClassifier : Its ``cost_model`` parameter sets ``energy_pj_``.

    Examples
    --------
    >>> from sklearn_scann import CostModel
    >>> model = CostModel()
    >>> round(model.energy_pj(n_connections=100, n_biases=10, n_inputs=8), 1)
    1559.0
    >>> CostModel(sram_read_pj=2.5).energy_pj(100, 10, 8) < model.energy_pj(100, 10, 8)
    True
    """

    multiply_pj: float = 3.7
    add_pj: float = 0.9
    sram_read_pj: float = 5.0
    reads_per_connection: float = 2.0

    def energy_pj(self, n_connections: int, n_biases: int, n_inputs: int) -> float:
        """Estimated energy of one inference, in picojoules.

        Parameters
        ----------
        n_connections : int
            Active connections (weights).
        n_biases : int
            Hidden and output neurons, each with a bias.
        n_inputs : int
            Input features read.

        Returns
        -------
        energy : float
            Picojoules per inference.
        """
        per_connection = (
            self.multiply_pj
            + self.add_pj
            + self.reads_per_connection * self.sram_read_pj
        )
        per_bias = self.add_pj + self.sram_read_pj
        return (
            n_connections * per_connection
            + n_biases * per_bias
            + n_inputs * self.sram_read_pj
        )


def dense_connections(layer_sizes, *, skip=False) -> int:
    """Connections of the fully connected network with these layer sizes.

    An MLP (adjacent layers only) by default; with ``skip=True`` every layer
    also feeds every later one.
    """
    sizes = list(layer_sizes)
    return int(
        sum(
            size * (sum(sizes[:target]) if skip else sizes[target - 1])
            for target, size in enumerate(sizes)
            if target > 0
        )
    )


def n_parameters(topology: Topology) -> int:
    """Connections plus one bias per hidden and output neuron."""
    return topology.n_connections + topology.n_neurons - topology.layer_sizes[0]


def n_flops(topology: Topology) -> int:
    """Floating-point operations per sample: a multiply and an add per connection."""
    return 2 * topology.n_connections


def inference_cost(
    topology: Topology, cost_model: CostModel | None = None
) -> dict[str, object]:
    """Everything one inference of ``topology`` costs.

    Returns a dict with ``n_connections``, ``n_skip_connections`` (those
    that jump over at least one layer), ``n_parameters``, ``macs``
    (multiply-accumulates per sample, one per connection), ``flops``,
    ``energy_pj`` and ``blocks``: a list of ``(source layer, target layer,
    connections)`` for every block holding connections.
    """
    cost_model = CostModel() if cost_model is None else cost_model
    src, dst = topology.edges()
    layer = topology.layer_of
    n_biases = topology.n_neurons - topology.layer_sizes[0]
    blocks = []
    for target in range(1, topology.n_layers):
        for source in topology.source_layers(target):
            count = int(((layer[src] == source) & (layer[dst] == target)).sum())
            if count:
                blocks.append((source, target, count))
    return {
        "n_connections": topology.n_connections,
        "n_skip_connections": int((layer[dst] - layer[src] > 1).sum()),
        "n_parameters": n_parameters(topology),
        "macs": topology.n_connections,
        "flops": n_flops(topology),
        "energy_pj": cost_model.energy_pj(
            topology.n_connections, n_biases, topology.layer_sizes[0]
        ),
        "blocks": blocks,
        "cost_model": asdict(cost_model),
    }

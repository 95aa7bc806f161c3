"""Inference cost of a network, counted from its Topology."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

from ._topology import Topology

__all__ = ["dense_connections", "n_flops", "n_parameters"]


def dense_connections(layer_sizes) -> int:
    """Connections of the fully connected MLP with these layer sizes."""
    sizes = list(layer_sizes)
    return int(sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False)))


def n_parameters(topology: Topology) -> int:
    """Connections plus one bias per hidden and output neuron."""
    return topology.n_connections + topology.n_neurons - topology.layer_sizes[0]


def n_flops(topology: Topology) -> int:
    """Floating-point operations per sample: a multiply and an add per connection."""
    return 2 * topology.n_connections

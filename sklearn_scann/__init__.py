"""Synthesis of compact and accurate neural networks (SCANN) for scikit-learn."""

# SPDX-License-Identifier: BSD-3-Clause

from ._classifier import SCANNClassifier
from ._cost import CostModel
from ._export import export_c
from ._persistence import load
from ._plotting import plot_history, plot_topology
from ._topology import Topology

__version__ = "0.1.0"

__all__ = [
    "CostModel",
    "SCANNClassifier",
    "Topology",
    "__version__",
    "export_c",
    "load",
    "plot_history",
    "plot_topology",
]

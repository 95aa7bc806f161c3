"""Synthesis of compact and accurate neural networks (SCANN) for scikit-learn."""

# SPDX-License-Identifier: BSD-3-Clause

from ._classifier import SCANNClassifier
from ._cost import CostModel
from ._dr_scann import make_dr_scann
from ._export import export_c
from ._persistence import load
from ._plotting import plot_frontier, plot_history, plot_topology
from ._quantize import quantization_report
from ._reduction import DimensionalityReducer
from ._regressor import SCANNRegressor
from ._topology import Topology

__version__ = "0.1.0"

__all__ = [
    "CostModel",
    "DimensionalityReducer",
    "SCANNClassifier",
    "SCANNRegressor",
    "Topology",
    "__version__",
    "export_c",
    "load",
    "make_dr_scann",
    "plot_frontier",
    "plot_history",
    "plot_topology",
    "quantization_report",
]

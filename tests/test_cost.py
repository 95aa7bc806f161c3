"""Cost accounting and the summary table."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest

from sklearn_scann import CostModel, SCANNClassifier, Topology
from sklearn_scann._cost import dense_connections, inference_cost


def test_counts_on_a_hand_made_topology():
    # 2 inputs, 2 hidden, 1 output; 0->2, 1->3, 2->4, 3->4 and a skip 0->4
    top = Topology.from_edges([2, 2, 1], [0, 1, 2, 3, 0], [2, 3, 4, 4, 4])
    cost = inference_cost(top)
    assert cost["n_connections"] == 5
    assert cost["n_skip_connections"] == 1
    assert cost["n_parameters"] == 5 + 3
    assert cost["macs"] == 5
    assert cost["flops"] == 10
    assert sorted(cost["blocks"]) == [(0, 1, 2), (0, 2, 1), (1, 2, 2)]


def test_energy_follows_the_cost_model():
    top = Topology.from_edges([2, 2, 1], [0, 1, 2, 3], [2, 3, 4, 4])
    model = CostModel(
        multiply_pj=1.0, add_pj=2.0, sram_read_pj=10.0, reads_per_connection=1.0
    )
    # 4 connections * (1 + 2 + 10) + 3 biases * (2 + 10) + 2 inputs * 10
    assert inference_cost(top, model)["energy_pj"] == pytest.approx(52 + 36 + 20)
    assert inference_cost(top)["energy_pj"] > 0


def test_dense_connections():
    assert dense_connections([64, 100, 10]) == 7400


def test_fitted_cost_attributes_and_summary(blobs, fast, capsys):
    X, y = blobs
    model = SCANNClassifier("B", random_state=0, **fast).fit(X, y)
    assert model.macs_ == model.n_connections_
    assert model.energy_pj_ == pytest.approx(
        inference_cost(model.topology_)["energy_pj"]
    )
    assert model.model_bytes_ >= 8 * model.n_connections_
    cheap = SCANNClassifier(
        "B", cost_model=CostModel(sram_read_pj=0.0), random_state=0, **fast
    ).fit(X, y)
    assert cheap.energy_pj_ < model.energy_pj_
    table = model.summary()
    assert capsys.readouterr().out.strip() == table.strip()
    assert f"{model.n_connections_:,d}" in table
    assert "input -> output" in table  # scheme B starts with skip connections
    assert f"{model.compression_ratio_:.1f}x" in table
    assert np.isfinite(model.energy_pj_)


@pytest.mark.parametrize("skip", [False, True])
def test_dense_connections_counts_every_allowed_connection(skip):
    for sizes in ([8, 100, 3], [5, 6, 4, 3], [2, 0, 2]):
        expected = Topology.dense(sizes, skip=skip).n_connections
        assert dense_connections(sizes, skip=skip) == expected

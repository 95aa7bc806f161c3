"""Integer export: each block is stored dense, as a bitmask or with indices,
whichever takes the fewest bytes, and the C code reads every layout right."""

# SPDX-License-Identifier: BSD-3-Clause

import re

import numpy as np
import pytest
from test_export_int import needs_cc, row_driver, run_exported

from sklearn_scann import Topology, export_c
from sklearn_scann._compact import CompactNetwork
from sklearn_scann._export import _StoredBlock
from sklearn_scann._quantize import quantize_network

# Prints the integer logits of each row; {T} and {A} are the activation and
# accumulator types.
LOGITS_DRIVER = row_driver(
    "        {name}_quantize(x, xq);\n"
    "        {name}_logits_quantized(xq, logits);\n"
    "        for (j = 0; j < {NAME}_N_CLASSES; ++j)\n"
    '            printf(" %lld", (long long)logits[j]);\n'
    '        printf("\\n");\n',
    "    {T} xq[{NAME}_N_FEATURES];\n    {A} logits[{NAME}_N_CLASSES];\n",
)

SIZES = [40, 12, 6, 4]
OFFSETS = np.cumsum([0, *SIZES])


def connections(source, target, pairs):
    """Global (src, dst) indices of (target neuron, source neuron) pairs."""
    rows, cols = np.asarray(pairs).T
    return OFFSETS[source] + cols, OFFSETS[target] + rows


# (source, target): the (target neuron, source neuron) pairs of each block and
# the layout it gets with int8 and int16 weights.
BLOCKS = {
    # Two inputs per neuron, 24 inputs in all: indices beat any bitmask.
    (0, 1): (
        [(i, j) for i in range(12) for j in (2 * i, 2 * i + 15)],
        "indices",
        False,
    ),
    # Every connection: dense, no bitmask or indices at all.
    (1, 2): ([(i, j) for i in range(6) for j in range(12)], "dense", False),
    # Every neuron reads the same three inputs: dense over those three.
    (0, 2): ([(i, j) for i in range(6) for j in (5, 17, 33)], "dense", True),
    # Half of every pair: a bitmask over all six neurons of layer 2.
    (2, 3): (
        [(i, j) for i in range(4) for j in range(6) if (i + j) % 2],
        "bitmask",
        False,
    ),
    # Half of the pairs of the first ten inputs: a bitmask over those ten.
    (0, 3): (
        [(i, j) for i in range(4) for j in range(10) if (i + j) % 2],
        "bitmask",
        True,
    ),
}


@pytest.fixture(scope="module")
def network():
    rng = np.random.default_rng(0)
    edges = [connections(s, t, pairs) for (s, t), (pairs, _, _) in BLOCKS.items()]
    src = np.concatenate([e[0] for e in edges])
    dst = np.concatenate([e[1] for e in edges])
    topology = Topology.from_edges(SIZES, src, dst, skip=True)
    return CompactNetwork(
        topology,
        rng.normal(size=topology.n_connections),
        rng.normal(size=topology.n_neurons),
    )


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(1).normal(size=(300, SIZES[0]))


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_each_block_gets_its_cheapest_layout(network, X, dtype):
    quantized = quantize_network(network, X, dtype)
    chosen = {
        (source, target): (stored.layout, stored.filtered)
        for target, layer in quantized.layers.items()
        for source, block in layer.blocks
        for stored in [_StoredBlock(source, block, quantized.weight_size)]
    }
    assert chosen == {key: tuple(value[1:]) for key, value in BLOCKS.items()}


@needs_cc
@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_every_layout_computes_the_simulated_logits(network, X, dtype, tmp_path):
    quantized = quantize_network(network, X, dtype)
    export_c(network, tmp_path, name="layouts", dtype=dtype, X_calibration=X)
    A = "long" if quantized.accumulator_bits == 32 else "long long"
    driver = LOGITS_DRIVER.replace("{T}", quantized.ctype).replace("{A}", A)
    logits = run_exported(tmp_path, "layouts", driver, X)
    expected = quantized.accumulators(quantized.quantize_inputs(X))
    np.testing.assert_array_equal(logits.astype(np.int64), expected)
    # The rows reach every class, so that the logits are not all alike.
    assert np.unique(np.argmax(expected, axis=1)).size == SIZES[-1]


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_source_holds_only_the_arrays_of_each_layout(network, X, dtype, tmp_path):
    _, source = export_c(network, tmp_path, name="net", dtype=dtype, X_calibration=X)
    arrays = set(
        re.findall(r"static const [a-z0-9_ ]+ net_(\w+)\[", source.read_text())
    )
    # Per layer: biases b and weights w; indices: row pointers p and input
    # indices c; bitmask: m; filtered: u, the inputs read.
    assert arrays == {
        "b1", "w1", "p1_0", "c1_0",
        "b2", "w2", "u2_0",
        "b3", "w3", "u3_0", "m3_0", "m3_2",
    }  # fmt: skip


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_stated_bytes_match_the_arrays(network, X, dtype, tmp_path):
    quantized = quantize_network(network, X, dtype)
    _, source = export_c(network, tmp_path, name="net", dtype=dtype, X_calibration=X)
    text = source.read_text()
    stated = re.search(
        r"Constant data: (\d+) bytes of weights, (\d+) of biases and (\d+) of "
        "bitmasks and indices",
        text.replace("\n * ", " "),
    )
    weights, biases, other = map(int, stated.groups())
    sizes = {"signed char": 1, "unsigned char": 1, "short": 2, "int32_t": 4}
    counted = {"w": 0, "b": 0, "other": 0}
    for ctype, symbol, length in re.findall(
        r"static const ([a-z0-9_ ]+) net_([a-z]+)\w*\[(\d+)\]", text
    ):
        counted[symbol if symbol in "wb" else "other"] += sizes[ctype] * int(length)
    assert (weights, biases, other) == (counted["w"], counted["b"], counted["other"])
    assert weights + biases == quantized.weight_bytes([1, 2, 3])

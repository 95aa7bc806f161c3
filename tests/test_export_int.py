"""export_c with int8/int16: the integer C code matches its numpy simulation."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from test_export import compile_and_run, needs_cc

from sklearn_scann import (
    SCANNClassifier,
    SCANNRegressor,
    Topology,
    export_c,
    quantization_report,
)
from sklearn_scann._compact import CompactNetwork
from sklearn_scann._quantize import quantize_network

# A regressor's int16 predictions against model.predict, relative to the
# standard deviation of the targets (diabetes: 2e-4 measured, from rounding
# 15-bit activations).
REGRESSION_TOLERANCE = 1e-3

# A C program for run_exported: reads rows of features from stdin and, for
# each, runs the lines that replace @BODY@ (x holds the row, j is free to use)
# after declaring those that replace @DECLARATIONS@.
ROW_DRIVER = """\
#include <stdio.h>
#include "{name}.h"

int main(void)
{{
    float x[{NAME}_N_FEATURES];
@DECLARATIONS@    int j;

    while (scanf("%f", &x[0]) == 1) {{
        for (j = 1; j < {NAME}_N_FEATURES; ++j)
            if (scanf("%f", &x[j]) != 1)
                return 1;
@BODY@    }}
    return 0;
}}
"""


def row_driver(body, declarations=""):
    """ROW_DRIVER with C lines, each indented and ending in a newline."""
    return ROW_DRIVER.replace("@DECLARATIONS@", declarations).replace("@BODY@", body)


CLASSIFIER_DRIVER = row_driver('        printf("%d\\n", {name}_predict(x));\n')

REGRESSOR_DRIVER = row_driver(
    "        {name}_predict(x, y);\n"
    "        for (j = 0; j < {NAME}_N_OUTPUTS; ++j)\n"
    '            printf(" %.9g", (double)y[j]);\n'
    '        printf("\\n");\n',
    "    float y[{NAME}_N_OUTPUTS];\n",
)


def run_exported(directory, name, driver, X):
    """Compile ``driver`` with ``<name>.c`` and feed it the rows of ``X``."""
    stdin = "\n".join(" ".join(repr(float(v)) for v in row) for row in X)
    harness = driver.format(name=name, NAME=name.upper())
    printed = compile_and_run(directory, name, harness, stdin)
    return np.loadtxt(printed.splitlines(), ndmin=2)


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.fixture(scope="module")
def digits_model(digits_split):
    X_train, _, y_train, _ = digits_split
    model = SCANNClassifier(
        n_rounds=1,
        epochs_per_step=3,
        initial_epochs=15,
        learning_rate=3e-2,
        random_state=0,
    )
    return model.fit(X_train, y_train)


@needs_cc
@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_integer_c_matches_simulation_and_predict(
    digits_model, digits_split, dtype, tmp_path
):
    X_train, X_test, _, _ = digits_split
    export_c(
        digits_model, tmp_path, name="digits_q", dtype=dtype, X_calibration=X_train
    )
    labels = run_exported(tmp_path, "digits_q", CLASSIFIER_DRIVER, X_test)[:, 0]
    simulated = quantize_network(digits_model.network_, X_train, dtype).class_indices(
        X_test
    )
    np.testing.assert_array_equal(labels.astype(int), simulated)
    agreement = np.mean(
        digits_model.classes_[simulated] == digits_model.predict(X_test)
    )
    assert agreement >= 0.99


@needs_cc
def test_float_export_still_compiles_and_int8_is_a_third_of_its_size(
    digits_model, digits_split, tmp_path
):
    X_train, X_test, y_train, y_test = digits_split
    export_c(digits_model, tmp_path, name="digits_f")
    labels = run_exported(tmp_path, "digits_f", CLASSIFIER_DRIVER, X_test)[:, 0]
    assert np.mean(labels.astype(int) == digits_model.predict(X_test)) >= 0.99
    report = quantization_report(
        digits_model, X_test, y_test, dtype="int8", X_calibration=X_train
    )
    assert report["metric"] == "accuracy"
    assert report["agreement"] >= 0.99
    assert report["score_quantized"] >= report["score_float"] - 0.02
    assert report["accumulator_bits"] == 32
    assert report["weight_bytes_quantized"] <= report["weight_bytes_float"] / 3


def test_integer_source_uses_no_float_in_the_forward_pass(
    digits_model, digits_split, tmp_path
):
    header, source = export_c(
        digits_model, tmp_path, name="net", dtype="int8", X_calibration=digits_split[0]
    )
    text = source.read_text()
    forward = text[text.index("void net_logits_quantized") :]
    forward = forward[: forward.index("\n}\n")]
    assert "float" not in forward and "double" not in forward
    assert "static const signed char net_w1[" in text
    assert "#include <" not in header.read_text() + text
    assert "int net_predict(const float *x);" in header.read_text()


@needs_cc
def test_int16_regressor_agrees_with_predict(tmp_path):
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = SCANNRegressor(
        n_rounds=1, epochs_per_step=3, initial_epochs=15, random_state=0
    ).fit(X[:300], y[:300])
    # Calibrated on every row it is checked on: the claim is the rounding
    # error inside the calibrated range. Beyond it activations saturate (a
    # held-out row that drives a neuron past every calibration row's
    # activation may be off by a percent: row 105 here, calibrated on the
    # first 300 rows only).
    export_c(model, tmp_path, name="diabetes_q", dtype="int16", X_calibration=X)
    predicted = run_exported(tmp_path, "diabetes_q", REGRESSOR_DRIVER, X[300:])[:, 0]
    expected = model.predict(X[300:])
    tolerance = REGRESSION_TOLERANCE * np.std(y)
    np.testing.assert_allclose(predicted, expected, rtol=0, atol=tolerance)
    simulated = quantize_network(model.network_, X, "int16").regression_outputs(X[300:])
    np.testing.assert_array_equal(predicted.astype(np.float32), simulated[:, 0])
    report = quantization_report(model, X[300:], y[300:], dtype="int16")
    assert report["metric"] == "r2"
    assert report["agreement"] > 0.999


@needs_cc
def test_binary_and_skip_networks_match_simulation(tmp_path, rng):
    # Inputs feed the output both directly and through two hidden layers.
    topology = Topology.from_edges(
        [3, 4, 2, 1],
        [0, 1, 2, 3, 4, 5, 6, 7, 0],
        [3, 4, 5, 7, 8, 9, 9, 9, 9],
        skip=True,
    )
    network = CompactNetwork(
        topology, rng.normal(size=topology.n_connections), rng.normal(size=10)
    )
    X = rng.normal(size=(200, 3))
    export_c(network, tmp_path, name="tiny", dtype="int8", X_calibration=X)
    labels = run_exported(tmp_path, "tiny", CLASSIFIER_DRIVER, X)[:, 0]
    simulated = quantize_network(network, X, "int8").class_indices(X)
    np.testing.assert_array_equal(labels.astype(int), simulated)
    float_labels = (network.decision_function(X)[:, 0] > 0).astype(int)
    assert np.mean(simulated == float_labels) >= 0.95


@pytest.mark.parametrize("dtype", ["int4", "uint8", "int32"])
def test_bad_integer_dtype_raises(digits_model, dtype, tmp_path):
    with pytest.raises(ValueError, match="'int8' or 'int16'"):
        export_c(digits_model, tmp_path, dtype=dtype, X_calibration=np.zeros((1, 64)))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_integer_dtype_needs_calibration(digits_model, dtype, tmp_path):
    with pytest.raises(ValueError, match="needs X_calibration"):
        export_c(digits_model, tmp_path, dtype=dtype)
    assert not list(tmp_path.iterdir())


def test_calibration_of_the_wrong_width_raises(digits_model, tmp_path):
    with pytest.raises(ValueError, match="X_calibration has 3 features"):
        export_c(digits_model, tmp_path, dtype="int8", X_calibration=np.ones((5, 3)))

"""Errors and warnings that name what went wrong (the hostile pass of issue 26)."""

# SPDX-License-Identifier: BSD-3-Clause

import warnings
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_scann import SCANNClassifier
from sklearn_scann._compact import CompactNetwork

QUICK = {"n_rounds": 1, "epochs_per_step": 2, "initial_epochs": 5, "random_state": 0}


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def fitted(iris):
    X, y = iris
    return SCANNClassifier(**QUICK).fit(X, y)


@pytest.mark.parametrize("budget", ["100", np.nan, True, -1, np.inf, [10]])
@pytest.mark.parametrize("name", ["max_connections", "max_macs", "max_energy_pj"])
def test_select_validates_its_budgets(fitted, name, budget):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of select"):
        fitted.select(**{name: budget})


def test_select_still_takes_numbers_and_none(fitted):
    budget = fitted.frontier_[-1]["n_connections"]
    assert fitted.select(max_connections=budget).n_connections_ <= budget
    assert fitted.select(max_connections=float(budget), max_macs=None).best_step_ >= 0


def test_a_scorer_returning_nan_is_named(iris):
    X, y = iris

    def nan_scorer(estimator, X, y):
        return float("nan")

    with pytest.raises(
        ValueError, match="step score is nan \\(scoring='nan_scorer'\\)"
    ):
        SCANNClassifier(scoring=nan_scorer, **QUICK).fit(X, y)


@pytest.mark.parametrize("weight", [-1, np.inf, np.nan, "2"])
def test_class_weights_must_be_non_negative_numbers(iris, weight):
    X, y = iris
    with pytest.raises(ValueError, match="class weights must be non-negative finite"):
        SCANNClassifier(class_weight={0: weight, 1: 1}, **QUICK).fit(X, y)


def test_features_too_small_to_train_on_are_warned_about(iris):
    X, y = iris
    with pytest.warns(UserWarning, match="no larger than .*features this small"):
        SCANNClassifier(**QUICK).fit(X * 1e-30, y)


@pytest.mark.parametrize(
    ("missing", "message"),
    [(None, "y holds a missing label \\(None\\)"), (float("nan"), "contains NaN")],
)
def test_a_missing_label_among_strings_is_named(iris, missing, message):
    X, y = iris
    labels = np.array(["a", "b", "c"], dtype=object)[y]
    labels[7] = missing
    with pytest.raises(ValueError, match=message):
        SCANNClassifier(**QUICK).fit(X, labels)


def test_onnx_export_needs_a_fitted_model_and_rows_of_its_width(fitted, iris):
    pytest.importorskip("skl2onnx")
    from sklearn.exceptions import NotFittedError

    from sklearn_scann.onnx import to_onnx

    X, _ = iris
    with pytest.raises(NotFittedError):
        to_onnx(SCANNClassifier(), X[:1].astype(np.float32))
    with pytest.raises(ValueError, match="X has 3 features, but the model expects 4"):
        to_onnx(fitted, X[:1, :3].astype(np.float32))


def test_calibration_rows_that_do_not_vary_are_warned_about(fitted, iris, tmp_path):
    X, _ = iris
    with pytest.warns(UserWarning, match="X_calibration has 4 of the 4 inputs"):
        fitted.export_c(tmp_path, dtype="int8", X_calibration=np.zeros((10, 4)))
    with pytest.warns(UserWarning, match="1 of the 4 inputs .* feature 2"):
        rows = X.copy()
        rows[:, 2] = 1.0
        fitted.export_c(tmp_path, dtype="int8", X_calibration=rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        fitted.export_c(tmp_path, dtype="int8", X_calibration=X)


@settings(max_examples=40, deadline=None)
@given(
    n_rows=st.sampled_from([1, 5, 200]),
    position=st.tuples(st.integers(0, 10**6), st.integers(0, 3)),
    value=st.sampled_from([np.nan, np.inf, -np.inf]),
    dtype=st.sampled_from([np.float32, np.float64]),
    outputs_checked=st.booleans(),
)
def test_a_non_finite_input_is_refused_whatever_the_batch(
    fitted, iris, n_rows, position, value, dtype, outputs_checked
):
    """Where every input is multiplied into the outputs, the outputs are
    checked instead of X (else X's sum): a NaN or an infinity is refused
    either way."""
    X, _ = iris
    assert fitted.network_.multiplies_every_input(n_rows)  # the iris network
    rows = np.resize(X, (n_rows, X.shape[1])).astype(dtype)
    rows[position[0] % n_rows, position[1]] = value
    with mock.patch.object(
        CompactNetwork, "multiplies_every_input", return_value=outputs_checked
    ):
        with pytest.raises(ValueError, match="NaN or infinity"):
            fitted.predict_proba(rows)
        with pytest.raises(ValueError, match="NaN or infinity"):
            fitted.predict(rows)


def test_finite_input_whose_outputs_overflow_is_still_predicted(fitted, iris):
    X, _ = iris
    rows = np.resize(X, (200, X.shape[1])) * 1e306
    assert fitted.predict(rows).shape == (200,)

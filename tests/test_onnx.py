"""ONNX export through skl2onnx: graphs reproduce predict, predict_proba, transform."""

# SPDX-License-Identifier: BSD-3-Clause

import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_scann import DimensionalityReducer, SCANNClassifier, SCANNRegressor

ort = pytest.importorskip("onnxruntime")
scann_onnx = pytest.importorskip("sklearn_scann.onnx")

TINY = {"n_rounds": 1, "epochs_per_step": 2, "random_state": 0}
LOADERS = {
    "digits": load_digits,
    "iris": load_iris,
    "breast_cancer": load_breast_cancer,
}


def run(onx, X):
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def probabilities(prob, classes):
    """The probability matrix, from ZipMap's list of dicts when it is one."""
    if isinstance(prob, list):
        return np.array([[row[c] for c in classes] for row in prob])
    return prob


def dr_scann_pipeline(X, y, **params):
    return make_pipeline(
        StandardScaler(),
        DimensionalityReducer(method="pca"),
        SCANNClassifier(**TINY, **params),
    ).fit(X, y)


@pytest.fixture(scope="module", params=sorted(LOADERS))
def fitted_pipeline(request):
    X, y = LOADERS[request.param](return_X_y=True)
    return dr_scann_pipeline(X, y), X


def assert_matches_classifier(onx, model, X):
    label, prob = run(onx, X.astype(np.float32))
    prob = probabilities(prob, model.classes_)
    assert np.abs(prob - model.predict_proba(X)).max() < 1e-5
    np.testing.assert_array_equal(label, model.predict(X))


@pytest.mark.parametrize("zipmap", [False, True])
def test_pipeline_classifier_matches(fitted_pipeline, zipmap):
    pipe, X = fitted_pipeline
    onx = scann_onnx.to_onnx(
        pipe, X[:1].astype(np.float32), options={SCANNClassifier: {"zipmap": zipmap}}
    )
    names = [output.name for output in onx.graph.output]
    # The names skl2onnx gives scikit-learn classifiers' outputs.
    expected = ["output_label", "output_probability"] if zipmap else None
    assert names == (expected or ["label", "probabilities"])
    assert_matches_classifier(onx, pipe, X)


def test_binary_classifier_has_one_network_output(fitted_pipeline):
    pipe, X = fitted_pipeline
    n_classes = pipe.classes_.size
    assert pipe[-1].network_.topology.layer_sizes[-1] == (
        1 if n_classes == 2 else n_classes
    )
    onx = scann_onnx.to_onnx(pipe, X[:1].astype(np.float32), options={"zipmap": False})
    _, prob = run(onx, X[:5].astype(np.float32))
    assert prob.shape == (5, n_classes)


@pytest.mark.parametrize("scheme", ["B", "C"])
def test_schemes_match(scheme):
    X, y = load_digits(return_X_y=True)
    pipe = dr_scann_pipeline(X, y, scheme=scheme)
    blocks = pipe[-1].network_.blocks
    skips = any(
        source < target - 1 for target in blocks for source, _ in blocks[target]
    )
    # Scheme B grows connections that skip layers; scheme C joins adjacent ones.
    assert skips == (scheme == "B")
    onx = scann_onnx.to_onnx(pipe, X[:1].astype(np.float32), options={"zipmap": False})
    assert_matches_classifier(onx, pipe, X)


def test_string_labels_and_double_input():
    X, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = SCANNClassifier(**TINY).fit(X, labels)
    onx = scann_onnx.to_onnx(clf, X[:1], options={"zipmap": False})
    label, prob = run(onx, X)
    assert prob.dtype == np.float64
    np.testing.assert_array_equal(label, clf.predict(X))
    np.testing.assert_allclose(prob, clf.predict_proba(X), rtol=0, atol=1e-12)


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_regressor_matches(n_outputs):
    X, y = load_diabetes(return_X_y=True)
    Y = y * 1000.0 if n_outputs == 1 else np.column_stack([y * 1000.0, np.sin(y)])
    reg = SCANNRegressor(**TINY).fit(X, Y)
    (out,) = run(
        scann_onnx.to_onnx(reg, X[:1].astype(np.float32)), X.astype(np.float32)
    )
    assert out.shape == (X.shape[0], n_outputs)
    expected = reg.predict(X).reshape(X.shape[0], -1)
    assert (np.abs(out - expected).max(axis=0) / reg.target_scale_).max() < 1e-5
    (out,) = run(scann_onnx.to_onnx(reg, X[:1]), X)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=0)


# Every linear method on dense input; on sparse input those that fit it
# (factor analysis and ICA refuse sparse X; identity is reached through
# "auto", on dense X).
_DENSE_ONLY = ("identity", "factor_analysis", "ica")
_REDUCER_CASES = [(method, False) for method in scann_onnx.LINEAR_METHODS] + [
    (method, True) for method in scann_onnx.LINEAR_METHODS if method not in _DENSE_ONLY
]


@pytest.mark.parametrize("method, sparse", _REDUCER_CASES)
def test_linear_reducers_match(method, sparse):
    X, y = load_iris(return_X_y=True)
    if method == "identity":
        reducer = DimensionalityReducer(
            candidate_methods=["pca"], candidate_components=(1.0,), random_state=0
        ).fit(X, y)
    else:
        # Sparse PCA fits a linear KernelPCA and max-abs scales.
        X_fit = sp.csr_matrix(X) if sparse else X
        reducer = DimensionalityReducer(
            method=method, n_components=3, random_state=0
        ).fit(X_fit)
    assert reducer.method_ == method
    (out,) = run(scann_onnx.to_onnx(reducer, X[:1]), X)
    np.testing.assert_allclose(out, reducer.transform(X), rtol=0, atol=1e-10)


@pytest.mark.filterwarnings("ignore:The number of connected components")
@pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning")
@pytest.mark.parametrize("method", ["kernel_pca", "isomap"])
def test_nonlinear_reducer_is_not_convertible(method):
    X, _ = load_iris(return_X_y=True)
    reducer = DimensionalityReducer(method=method, n_components=2).fit(X)
    with pytest.raises(ValueError, match=f"{method!r} is not convertible to ONNX"):
        scann_onnx.to_onnx(reducer, X[:1])


def test_package_does_not_import_onnx():
    code = (
        "import sys, sklearn_scann; "
        "assert not {'sklearn_scann.onnx', 'skl2onnx', 'onnx'} & set(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("method", ["pca", "ica", "auto"])
def test_dr_scann_classification_pipeline_converts_and_matches(method):
    from sklearn_scann import make_dr_scann

    X, y = load_iris(return_X_y=True)
    model = make_dr_scann(method, **TINY).fit(X, y)
    onx = scann_onnx.to_onnx(model, X[:1].astype(np.float32), options={"zipmap": False})
    label, proba = run(onx, X.astype(np.float32))
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(label, model.predict(X))


def test_dr_scann_regression_pipeline_converts_and_matches():
    from sklearn_scann import make_dr_scann

    X, y = load_diabetes(return_X_y=True)
    model = make_dr_scann("pca", task="regression", **TINY).fit(X, y)
    (out,) = run(scann_onnx.to_onnx(model, X[:1]), X)
    np.testing.assert_allclose(out.ravel(), model.predict(X), rtol=1e-5, atol=1e-5)


@pytest.mark.filterwarnings("ignore:The number of connected components")
def test_dr_scann_pipeline_with_a_nonlinear_reducer_is_refused_by_name(monkeypatch):
    from sklearn_scann import make_dr_scann

    X, y = load_iris(return_X_y=True)
    model = make_dr_scann("kernel_pca", **TINY).fit(X, y)

    def reached(*args, **kwargs):
        raise AssertionError("skl2onnx was called")

    monkeypatch.setattr(scann_onnx, "_skl2onnx_to_onnx", reached)
    with pytest.raises(ValueError, match="method 'kernel_pca' is not convertible"):
        scann_onnx.to_onnx(model, X[:1].astype(np.float32))

"""Every public name is documented: parameters, fitted attributes, examples."""

# SPDX-License-Identifier: BSD-3-Clause

import inspect

import numpy as np
import pandas as pd
import pytest
from numpydoc.docscrape import ClassDoc, FunctionDoc, NumpyDocString

import sklearn_scann
from sklearn_scann import DimensionalityReducer, SCANNClassifier

PUBLIC = sorted(name for name in sklearn_scann.__all__ if name != "__version__")


def documented(doc, section):
    """Names listed in a numpydoc section; ``a, b : int`` documents both."""
    names = set()
    for item in doc[section]:
        names.update(part.strip() for part in item.name.split(","))
    return names


def signature_parameters(function):
    return [
        name
        for name, p in inspect.signature(function).parameters.items()
        if name not in ("self", "cls")
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def own_public_methods(cls):
    """Methods and properties defined by the class itself, not by scikit-learn."""
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, classmethod | staticmethod):
            member = member.__func__
        if isinstance(member, property) or inspect.isfunction(member):
            yield name, member


def test_public_names_are_exported_sorted():
    assert list(sklearn_scann.__all__) == sorted(sklearn_scann.__all__)
    for name in PUBLIC:
        assert getattr(sklearn_scann, name).__module__.startswith("sklearn_scann")


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_has_summary_and_examples(name):
    obj = getattr(sklearn_scann, name)
    doc = ClassDoc(obj) if inspect.isclass(obj) else FunctionDoc(obj)
    assert doc["Summary"], f"{name} has no one-line summary"
    examples = "\n".join(doc["Examples"])
    assert ">>>" in examples, f"{name} has no doctested Examples section"


@pytest.mark.parametrize("name", PUBLIC)
def test_every_parameter_is_documented(name):
    obj = getattr(sklearn_scann, name)
    if inspect.isclass(obj):
        doc = ClassDoc(obj)
        expected = signature_parameters(obj.__init__)
    else:
        doc = FunctionDoc(obj)
        expected = signature_parameters(obj)
    missing = set(expected) - documented(doc, "Parameters")
    assert not missing, f"{name} does not document parameters {sorted(missing)}"


@pytest.mark.parametrize(
    "cls",
    [obj for obj in map(sklearn_scann.__dict__.get, PUBLIC) if inspect.isclass(obj)],
    ids=lambda cls: cls.__name__,
)
def test_every_public_method_is_documented(cls):
    problems = []
    for name, member in own_public_methods(cls):
        function = member.fget if isinstance(member, property) else member
        if not function.__doc__:
            problems.append(f"{name}: no docstring")
            continue
        if isinstance(member, property):
            continue
        doc = NumpyDocString(inspect.getdoc(function))
        missing = set(signature_parameters(function)) - documented(doc, "Parameters")
        if missing:
            problems.append(f"{name}: parameters {sorted(missing)} undocumented")
    assert not problems, f"{cls.__name__}: " + "; ".join(problems)


def fitted_attributes(estimator):
    return {
        name
        for name in vars(estimator)
        if name.endswith("_") and not name.startswith("_")
    }


@pytest.mark.parametrize(
    "estimator",
    [
        SCANNClassifier(n_rounds=1, epochs_per_step=1, initial_epochs=2),
        DimensionalityReducer("auto", candidate_methods=("pca",), cv=2),
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_fitted_attribute_is_documented(estimator, blobs):
    X, y = blobs
    # Column names make feature_names_in_ appear too.
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    estimator.fit(X, y)
    attributes = fitted_attributes(estimator)
    assert "n_features_in_" in attributes
    missing = attributes - documented(ClassDoc(type(estimator)), "Attributes")
    assert not missing, f"{type(estimator).__name__} does not document {missing}"


def test_loaded_model_has_the_documented_attributes(blobs, tmp_path):
    X, y = blobs
    clf = SCANNClassifier(n_rounds=1, epochs_per_step=1, initial_epochs=2)
    clf.fit(X, y)
    loaded = sklearn_scann.load(clf.save(tmp_path / "m.npz"))
    assert fitted_attributes(loaded) == fitted_attributes(clf)
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))

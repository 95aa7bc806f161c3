"""ONNX export: skl2onnx converters for the SCANN estimators and the reducer."""

# SPDX-License-Identifier: BSD-3-Clause

# Importing this module registers the converters with skl2onnx; the package
# itself never imports it, so skl2onnx and onnx stay optional.

from __future__ import annotations

import numpy as np

try:
    from onnx import TensorProto
    from skl2onnx import to_onnx as _skl2onnx_to_onnx
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
        guess_proto_type,
    )
    from skl2onnx.common.utils_classifier import get_label_classes
except ImportError as error:  # pragma: no cover - exercised without skl2onnx
    raise ImportError(
        "sklearn_scann.onnx needs skl2onnx and onnx (and onnxruntime to run the "
        'exported models): pip install "sklearn-scann[onnx]"'
    ) from error

from sklearn.utils.validation import check_is_fitted

from ._classifier import SCANNClassifier
from ._compact import CompactNetwork
from ._dr_scann import _Standardizer
from ._reduction import IDENTITY, DimensionalityReducer
from ._regressor import SCANNRegressor

__all__ = ["LINEAR_METHODS", "to_onnx"]

# Reduction methods whose fitted transform (scaling included) is an affine map.
LINEAR_METHODS = (
    "pca",
    "factor_analysis",
    "ica",
    "gaussian_random_projection",
    "sparse_random_projection",
    "binary_random_projection",
    IDENTITY,
)

# Rows of the identity matrix pushed through the reducer at a time.
_PROBE_ROWS = 512


def _proto_dtype(operator):
    """DOUBLE for double input, FLOAT for anything else (as skl2onnx's MLP does)."""
    proto = guess_proto_type(operator.inputs[0].type)
    return TensorProto.DOUBLE if proto == TensorProto.DOUBLE else TensorProto.FLOAT


def _numpy_dtype(proto):
    return np.float64 if proto == TensorProto.DOUBLE else np.float32


def _output_tensor_type(operator):
    return (
        DoubleTensorType
        if _proto_dtype(operator) == TensorProto.DOUBLE
        else FloatTensorType
    )


def _cast_input(scope, operator, container, proto):
    """The operator's input, cast to ``proto`` when it has another type."""
    name = operator.inputs[0].full_name
    if guess_proto_type(operator.inputs[0].type) == proto:
        return name
    cast = scope.get_unique_variable_name("cast_input")
    container.add_node(
        "Cast", [name], [cast], to=proto, name=scope.get_unique_operator_name("Cast")
    )
    return cast


def _initializer(scope, container, prefix, array, proto):
    name = scope.get_unique_variable_name(prefix)
    array = np.asarray(array, dtype=_numpy_dtype(proto))
    container.add_initializer(name, proto, list(array.shape), array.ravel().tolist())
    return name


def _node(scope, container, op_type, inputs, prefix, *, output=None, **attributes):
    """Add an ``op_type`` node; its output is ``output``, or a new name."""
    output = scope.get_unique_variable_name(prefix) if output is None else output
    container.add_node(
        op_type,
        inputs,
        [output],
        name=scope.get_unique_operator_name(op_type),
        **attributes,
    )
    return output


def _add_affine(scope, container, source, weight, bias, proto, *, output=None):
    """``source @ weight + bias`` as MatMul and Add; returns the result's name."""
    product = _node(
        scope,
        container,
        "MatMul",
        [source, _initializer(scope, container, "weight", weight, proto)],
        "matmul",
    )
    bias_name = _initializer(scope, container, "bias", bias, proto)
    return _node(scope, container, "Add", [product, bias_name], "affine", output=output)


def _network_graph(scope, container, network: CompactNetwork, X, proto, *, binary):
    """Add the network's layers; returns the name of its output (logits).

    Each (source, target) block is one MatMul with a dense weight over the
    source neurons the block reads (a Gather picks them when that is not all
    of them); a target layer sums its blocks' products and its bias, then a
    hidden layer applies Relu. With ``binary``, the single output ``z``
    becomes the two class logits ``[0, z]`` by a zero column in the weights.
    """
    topology = network.topology
    last = topology.n_layers - 1
    activations = {0: X}
    for target in range(1, last + 1):
        bias = network.biases[target]
        entries = network.blocks[target]
        if not entries:
            # No incoming connection: a zero product from the input keeps the
            # batch dimension, so the layer is its bias for every sample.
            entries = [(0, np.zeros((bias.size, topology.layer_sizes[0])))]
        total = None
        for source, block in entries:
            if hasattr(block, "indices"):
                columns = np.unique(block.indices)
                weight = block[:, columns].toarray()
            else:
                columns = np.arange(block.shape[1])
                weight = block
            h = activations[source]
            if columns.size < block.shape[1]:
                index = scope.get_unique_variable_name("columns")
                container.add_initializer(
                    index, TensorProto.INT64, [columns.size], columns.tolist()
                )
                h = _node(scope, container, "Gather", [h, index], "gathered", axis=1)
            weight = weight.T
            if binary and target == last:
                weight = np.hstack([np.zeros_like(weight), weight])
            w_name = _initializer(scope, container, "weight", weight, proto)
            product = _node(scope, container, "MatMul", [h, w_name], "matmul")
            total = (
                product
                if total is None
                else _node(scope, container, "Add", [total, product], "sum")
            )
        if binary and target == last:
            bias = np.concatenate([[0.0], bias])
        b_name = _initializer(scope, container, "bias", bias[None, :], proto)
        z = _node(scope, container, "Add", [total, b_name], f"layer{target}")
        activations[target] = (
            z if target == last else _node(scope, container, "Relu", [z], "relu")
        )
    return activations[last]


def _classifier_shape(operator):
    model = operator.raw_operator
    classes = get_label_classes(operator.scope_inst, model)
    n = operator.inputs[0].get_first_dimension()
    label_type = StringTensorType if classes.dtype.kind in "OSU" else Int64TensorType
    operator.outputs[0].type = label_type(shape=[n])
    operator.outputs[1].type = _output_tensor_type(operator)(
        shape=[n, len(model.classes_)]
    )


def _label_initializer(scope, container, classes):
    """The class labels as an int64 or string initializer."""
    name = scope.get_unique_variable_name("classes")
    if classes.dtype.kind in "OSU":
        values = [str(c).encode("utf-8") for c in classes]
        container.add_initializer(name, TensorProto.STRING, [len(values)], values)
        return name
    if classes.dtype.kind == "f" and not np.all(classes == np.round(classes)):
        raise ValueError(
            "ONNX class labels must be integers or strings; this classifier has "
            f"non-integral float classes {classes.tolist()}"
        )
    values = classes.astype(np.int64)
    container.add_initializer(name, TensorProto.INT64, [values.size], values.tolist())
    return name


def _classifier_converter(scope, operator, container):
    model = operator.raw_operator
    proto = _proto_dtype(operator)
    X = _cast_input(scope, operator, container, proto)
    binary = len(model.classes_) == 2
    logits = _network_graph(scope, container, model.network_, X, proto, binary=binary)
    container.add_node(
        "Softmax",
        [logits],
        [operator.outputs[1].full_name],
        axis=1,
        name=scope.get_unique_operator_name("Softmax"),
    )
    # The label from the logits, as predict takes it (not from rounded probabilities).
    index = _node(scope, container, "ArgMax", [logits], "argmax", axis=1, keepdims=0)
    classes = _label_initializer(
        scope, container, np.asarray(get_label_classes(scope, model))
    )
    container.add_node(
        "Gather",
        [classes, index],
        [operator.outputs[0].full_name],
        axis=0,
        name=scope.get_unique_operator_name("Gather"),
    )


def _regressor_shape(operator):
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _output_tensor_type(operator)(
        shape=[n, operator.raw_operator.n_outputs_]
    )


def _regressor_converter(scope, operator, container):
    model = operator.raw_operator
    proto = _proto_dtype(operator)
    X = _cast_input(scope, operator, container, proto)
    outputs = _network_graph(scope, container, model.network_, X, proto, binary=False)
    container.add_node(
        "Identity",
        [outputs],
        [operator.outputs[0].full_name],
        name=scope.get_unique_operator_name("Identity"),
    )


def _reducer_affine_map(
    reducer: DimensionalityReducer,
) -> tuple[np.ndarray, np.ndarray]:
    """``(weight, bias)`` with ``reducer.transform(X) == X @ weight + bias``.

    The map includes the reducer's own scaling. It is read off the fitted
    transform (its value at zero and at each unit vector) and checked on
    random points.

    Raises
    ------
    ValueError
        If the fitted method is not a linear map (kernel PCA, Isomap).
    """
    _check_linear(reducer)
    method = reducer.method_

    def transform(X):
        if reducer.scaler_ is not None:
            X = reducer.scaler_.transform(X)
        X = reducer.reducer_.transform(X)
        return np.asarray(X.toarray() if hasattr(X, "toarray") else X, np.float64)

    n_features = reducer.n_features_in_
    bias = transform(np.zeros((1, n_features)))[0]
    weight = np.vstack(
        [
            transform(np.eye(n_features)[start : start + _PROBE_ROWS]) - bias
            for start in range(0, n_features, _PROBE_ROWS)
        ]
    )
    probe = np.random.default_rng(0).standard_normal((8, n_features))
    expected = transform(probe)
    scale = 1.0 + np.abs(expected).max()
    if not np.allclose(probe @ weight + bias, expected, rtol=0, atol=1e-8 * scale):
        raise ValueError(  # pragma: no cover - the methods listed are affine
            f"the fitted {method!r} reduction is not an affine map"
        )
    return weight, bias


def _check_linear(reducer) -> None:
    """Refuse, by name, a fitted reducer whose transform is not a linear map."""
    if reducer.method_ not in LINEAR_METHODS:
        raise ValueError(
            f"DimensionalityReducer with method {reducer.method_!r} is not "
            "convertible to ONNX: its fitted transform is not a linear map. "
            f"Linear methods: {list(LINEAR_METHODS)}."
        )


def _reducer_shape(operator):
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _output_tensor_type(operator)(
        shape=[n, operator.raw_operator.n_components_]
    )


def _reducer_converter(scope, operator, container):
    weight, bias = _reducer_affine_map(operator.raw_operator)
    proto = _proto_dtype(operator)
    X = _cast_input(scope, operator, container, proto)
    _add_affine(
        scope,
        container,
        X,
        weight,
        bias[None, :],
        proto,
        output=operator.outputs[0].full_name,
    )


def _standardizer_shape(operator):
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _output_tensor_type(operator)(
        shape=[n, operator.raw_operator.n_features_in_]
    )


def _standardizer_converter(scope, operator, container):
    """``make_dr_scann``'s standardizing step: ``x / scale - mean / scale``."""
    # The scaler always scales; it centres only dense input.
    scaler = operator.raw_operator.scaler_
    scale = scaler.scale_
    mean = np.zeros_like(scale) if scaler.mean_ is None else scaler.mean_
    proto = _proto_dtype(operator)
    X = _cast_input(scope, operator, container, proto)
    scaled = _node(
        scope,
        container,
        "Mul",
        [X, _initializer(scope, container, "inverse_scale", 1.0 / scale, proto)],
        "scaled",
    )
    _node(
        scope,
        container,
        "Add",
        [scaled, _initializer(scope, container, "shift", -mean / scale, proto)],
        "standardized",
        output=operator.outputs[0].full_name,
    )


def _register():
    update_registered_converter(
        SCANNClassifier,
        "SklearnScannClassifier",
        _classifier_shape,
        _classifier_converter,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
    )
    update_registered_converter(
        SCANNRegressor, "SklearnScannRegressor", _regressor_shape, _regressor_converter
    )
    update_registered_converter(
        DimensionalityReducer,
        "SklearnScannDimensionalityReducer",
        _reducer_shape,
        _reducer_converter,
    )
    update_registered_converter(
        _Standardizer,
        "SklearnScannStandardizer",
        _standardizer_shape,
        _standardizer_converter,
    )


_register()


def _steps(model):
    """The estimators of ``model``, a pipeline's (nested ones too) in order."""
    if hasattr(model, "steps"):
        for _, step in model.steps:
            yield from _steps(step)
    else:
        yield model


def to_onnx(model, X=None, **kwargs):
    """Convert a fitted model (or a pipeline holding SCANN steps) to ONNX.

    :func:`skl2onnx.to_onnx` with this package's converters registered:
    ``SCANNClassifier`` (outputs ``label`` and ``probabilities``; the
    ``zipmap`` option as for scikit-learn classifiers), ``SCANNRegressor``
    (output ``variable`` of shape (n_samples, n_outputs)),
    ``DimensionalityReducer`` with a linear method (one MatMul and Add,
    its scaling included) and the standardizing step of
    :func:`make_dr_scann`'s pipelines, which therefore convert whole. A
    pipeline whose reducer is not linear is refused by name before
    skl2onnx is called.

    Parameters
    ----------
    model : estimator or Pipeline
        Fitted.
    X : array-like of shape (n_samples, n_features), default=None
        A few rows, to name the input type and width (float32 input gives a
        float32 graph, float64 a double one).
    **kwargs
        Passed to :func:`skl2onnx.to_onnx` (``options``, ``target_opset``...).

    Returns
    -------
    onx : onnx.ModelProto

    Raises
    ------
    NotFittedError
        If ``model`` is not fitted.
    ValueError
        If ``X`` does not have the model's number of features, or a
        ``DimensionalityReducer`` uses kernel PCA or Isomap, whose fitted
        transform is not a linear map.

    Notes
    -----
    Every connection block becomes a dense MatMul over the source neurons it
    reads (a Gather selects them when the block reads only some). Computation
    is in the input's float type, so float32 graphs match ``predict_proba``
    to about 1e-6.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_scann import SCANNClassifier
    >>> from sklearn_scann.onnx import to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SCANNClassifier(n_rounds=1, epochs_per_step=2, random_state=0)
    >>> clf = clf.fit(X, y)
    >>> onx = to_onnx(clf, X[:1].astype(np.float32), options={"zipmap": False})
    >>> [output.name for output in onx.graph.output]
    ['label', 'probabilities']
    """
    check_is_fitted(model)
    for step in _steps(model):
        if isinstance(step, DimensionalityReducer):
            _check_linear(step)
    if X is not None and hasattr(model, "n_features_in_"):
        width = np.shape(X)[1] if np.ndim(X) == 2 else None
        if width != model.n_features_in_:
            raise ValueError(
                f"X has {width} features, but the model expects "
                f"{model.n_features_in_}: the example rows name the graph's input"
            )
    return _skl2onnx_to_onnx(model, X, **kwargs)

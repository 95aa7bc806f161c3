"""Safe model files: numeric arrays in an ``.npz`` plus JSON metadata, never pickle."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import json
import zipfile
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._compact import CompactNetwork

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "load", "save"]

FORMAT_NAME = "sklearn-scann-model"
FORMAT_VERSION = 1
_ARRAY_KEYS = ("layer_sizes", "skip", "src", "dst", "weights", "biases")


def _json_value(value):
    """``value`` if JSON can hold it exactly, else None (e.g. a RandomState)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, list | tuple):
        items = [_json_value(v) for v in value]
        return None if any(i is None for i in items) else items
    return None


def _labels_to_json(classes: np.ndarray):
    kind = classes.dtype.kind
    if kind in "iub":
        return {"kind": "int", "values": [int(c) for c in classes]}
    if kind == "f":
        return {"kind": "float", "values": [float(c) for c in classes]}
    if kind in "UO" and all(isinstance(c, str) for c in classes):
        return {"kind": "str", "values": [str(c) for c in classes]}
    raise TypeError(
        "only integer, float or string class labels can be saved; got "
        f"labels of dtype {classes.dtype}"
    )


def _labels_from_json(spec) -> np.ndarray:
    kinds = {"int": np.int64, "float": np.float64, "str": np.str_}
    if not isinstance(spec, dict) or spec.get("kind") not in kinds:
        raise ValueError("model file has malformed class labels")
    values = spec.get("values")
    if not isinstance(values, list) or len(values) < 2:
        raise ValueError("model file must list at least 2 class labels")
    return np.asarray(values, dtype=kinds[spec["kind"]])


def save(model, path) -> Path:
    """Write a fitted :class:`SCANNClassifier` to ``path`` (an ``.npz`` file).

    The file holds numeric arrays (the topology and its weights) and one
    JSON document (format version, package version, parameters, classes,
    feature names, history). Loading it never runs pickle.
    """
    from . import __version__

    check_is_fitted(model)
    path = Path(path)
    params = {k: _json_value(v) for k, v in model.get_params(deep=False).items()}
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "estimator": type(model).__name__,
        "params": params,
        "classes": _labels_to_json(np.asarray(model.classes_)),
        "n_features_in": int(model.n_features_in_),
        "feature_names_in": (
            [str(f) for f in model.feature_names_in_]
            if hasattr(model, "feature_names_in_")
            else None
        ),
        "baseline_connections": int(model.baseline_connections_),
        "best_step": int(model.best_step_),
        "history": [
            {k: _json_value(v) for k, v in record.items()} for record in model.history_
        ],
    }
    arrays = model.network_.to_arrays()
    # The chosen step's network is the model's own, saved above.
    frontier = getattr(model, "frontier_networks_", {})
    metadata["frontier_steps"] = sorted(
        int(step) for step in frontier if step != model.best_step_
    )
    for step in metadata["frontier_steps"]:
        for key, value in frontier[step].to_arrays().items():
            arrays[f"frontier{step}_{key}"] = value
    arrays["metadata"] = np.frombuffer(
        json.dumps(metadata).encode("utf-8"), dtype=np.uint8
    )
    with path.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    return path


def load(path):
    """Read a model written by ``SCANNClassifier.save``.

    Only numbers and JSON are read: nothing in the file is executed, so a
    model file from elsewhere is safe to load (unlike a pickle).

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file.

    Returns
    -------
    model : SCANNClassifier
        A fitted classifier with the saved parameters, structure, weights
        and history: it predicts, scores and reports its cost. Calling
        ``fit`` on it trains a new network from scratch.

    Raises
    ------
    ValueError
        For a file that is truncated, altered, of another format or of a
        newer format version.

    See Also
    --------
    SCANNClassifier.save : Write the file.
    export_c : Write the network as C source.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_scann import SCANNClassifier, load
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SCANNClassifier(n_rounds=1, epochs_per_step=2, random_state=0)
    >>> clf = clf.fit(X, y)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = clf.save(Path(tmp) / "iris.npz")
    ...     loaded = load(path)
    >>> bool((loaded.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    from ._classifier import SCANNClassifier

    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            contents = {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, ValueError) as exc:
        # ValueError: an object array, which only pickle could read.
        raise ValueError(
            f"{path} is not a readable sklearn-scann model file: {exc}"
        ) from None
    missing = [k for k in (*_ARRAY_KEYS, "metadata") if k not in contents]
    if missing:
        raise ValueError(f"model file {path} lacks {', '.join(missing)}")
    arrays = {k: contents[k] for k in _ARRAY_KEYS}
    raw = contents["metadata"]
    try:
        metadata = json.loads(raw.astype(np.uint8).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} has corrupt metadata: {exc}") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ValueError(f"{path} is not an sklearn-scann model file")
    version = metadata.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise ValueError(
            f"{path} has model format version {version!r}; this sklearn-scann reads "
            f"versions 1 to {FORMAT_VERSION} (written by sklearn-scann "
            f"{metadata.get('package_version')!r})"
        )
    if metadata.get("estimator") != SCANNClassifier.__name__:
        raise ValueError(f"{path} holds a {metadata.get('estimator')!r}, not a model")

    network = CompactNetwork.from_arrays(arrays)
    classes = _labels_from_json(metadata.get("classes"))
    n_features = metadata.get("n_features_in")
    sizes = network.topology.layer_sizes
    # Two classes: one output, or two in files of sklearn-scann 0.1.
    outputs = {1, 2} if classes.size == 2 else {classes.size}
    if n_features != sizes[0] or sizes[-1] not in outputs:
        raise ValueError(
            f"{path} is inconsistent: {n_features} features and {classes.size} "
            f"classes for layers {sizes}"
        )
    params = metadata.get("params")
    if not isinstance(params, dict):
        raise ValueError(f"{path} has malformed parameters")
    known = SCANNClassifier().get_params(deep=False)
    unknown = set(params) - set(known)
    if unknown:
        raise ValueError(f"{path} has unknown parameters {sorted(unknown)}")
    model = SCANNClassifier(**{k: v for k, v in params.items() if v is not None})
    if isinstance(model.hidden_layer_sizes, list):
        model.hidden_layer_sizes = tuple(model.hidden_layer_sizes)
    model._validate_params()
    history = metadata.get("history") or []
    steps = metadata.get("frontier_steps") or []
    if not isinstance(steps, list) or not all(
        isinstance(step, int) and 0 <= step < len(history) for step in steps
    ):
        raise ValueError(f"{path} has malformed frontier steps")
    frontier = {}
    for step in steps:
        keys = {key: f"frontier{step}_{key}" for key in _ARRAY_KEYS}
        if any(name not in contents for name in keys.values()):
            raise ValueError(f"model file {path} lacks frontier network {step}")
        frontier[step] = CompactNetwork.from_arrays(
            {key: contents[name] for key, name in keys.items()}
        )
        loaded = frontier[step].topology.layer_sizes
        if (loaded[0], loaded[-1]) != (sizes[0], sizes[-1]):
            raise ValueError(f"{path} has an inconsistent frontier network {step}")
    model._set_fitted(
        network,
        classes=classes,
        n_features=int(n_features),
        feature_names=metadata.get("feature_names_in"),
        baseline_connections=int(metadata["baseline_connections"]),
        history=history,
        best_step=int(metadata.get("best_step", 0)),
        frontier=frontier,
    )
    return model

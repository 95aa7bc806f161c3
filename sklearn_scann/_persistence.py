"""Safe model files: numeric arrays in an ``.npz`` plus JSON metadata, never pickle."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import json
import math
import os
import reprlib
import secrets
import stat
import sys
from dataclasses import asdict, fields
from numbers import Integral, Real
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._compact import ARRAY_KINDS, CompactNetwork
from ._cost import CostModel, dense_connections
from ._npz import NpzReader, open_npz

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "load", "save"]

FORMAT_NAME = "sklearn-scann-model"
# Version 3 adds regressors: a "task" field and the target scaling. Version 2
# stores tuples, dicts, a CostModel and a RandomState among the parameters
# exactly; version 1 stored only JSON scalars and lists (null for anything
# else). Each estimator is written in the first version that holds it, so
# classifier files stay readable by releases that read version 2.
FORMAT_VERSION = 3
_ARRAY_KEYS = tuple(ARRAY_KINDS)

# What a file may make load() read. A member is refused from its header,
# before any of its data is read, when it asks for more.
# Bounds of the JSON metadata, checked before it is parsed: its bytes and
# its values (numbers, strings, lists and dicts), so that parsing the most
# a file may hold stays well under 100 MB; a model needs far less (a name
# per feature, a label per class, a record per step).
_MAX_METADATA_BYTES = 16 * 2**20
_MAX_METADATA_VALUES = 2**19
_MAX_LAYERS = 256
_MAX_NEURONS = 2**31 - 1
_MAX_CONNECTIONS = 2**31 - 1
_MAX_LABEL_CHARS = 2**24  # labels x longest label, as a numpy string array
# Inputs up to this magnitude must give finite outputs (checked on a bound).
_INPUT_SCALE = 1e6
_MAX_OUTPUT = 1e300
_RANDOM_STATE_KEY_LENGTH = 624  # words of an MT19937 state

_COMMON_FIELDS = {
    "format",
    "format_version",
    "package_version",
    "estimator",
    "params",
    "n_features_in",
    "feature_names_in",
    "baseline_connections",
    "best_step",
    "history",
    "frontier_steps",
}
# May be absent from older files; every other field is required.
_OPTIONAL_FIELDS = {"package_version", "frontier_steps"}


class _Kind(NamedTuple):
    """What a file of one estimator holds beyond the common fields."""

    task: str
    first_version: int  # the first format version that holds it
    fields: frozenset


_KINDS = {
    "SCANNClassifier": _Kind("classification", 1, frozenset({"classes"})),
    "SCANNRegressor": _Kind(
        "regression",
        3,
        frozenset({"target_mean", "target_scale", "single", "output_names"}),
    ),
}
# What load(expect=...) may name, besides the classes themselves.
_EXPECT_NAMES = {"classifier": "SCANNClassifier", "regressor": "SCANNRegressor"}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_count(value) -> bool:
    return _is_int(value) and value >= 0


def _is_non_negative(value) -> bool:
    return _is_real(value) and value >= 0


def _is_bool(value) -> bool:
    return isinstance(value, bool)


def _is_finite_real(value) -> bool:
    """A real that is finite as a float (JSON integers may be of any size)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return _is_int(value) and abs(value) <= sys.float_info.max


# History entries the fitted model reads: (key, check, required).
_HISTORY_FIELDS = (
    ("n_connections", _is_count, True),
    ("epochs", _is_count, True),
    ("validation_score", _is_real, True),
    ("validation_loss", _is_real, False),
    ("macs", _is_count, False),
    ("energy_pj", _is_non_negative, False),
    ("accepted", _is_bool, False),
    ("one_class", _is_bool, False),
)


# -- labels and parameters as JSON --------------------------------------------


# The label dtypes a file records and restores, by kind.
_LABEL_DTYPES = {
    "bool": ("bool",),
    "int": (
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
    ),
    "float": ("float16", "float32", "float64"),
    "str": ("str", "object"),
}


def _labels_to_json(labels: np.ndarray):
    """Labels as JSON with their kind and dtype, so that they load as they were.

    Booleans, integers of every width and sign, floats and strings (a
    numpy string array or an object array of ``str``) are written exactly;
    other labels (bytes, mixed objects) are refused here, not at load.
    """
    kind = labels.dtype.kind
    if kind == "b":
        return {"kind": "bool", "dtype": "bool", "values": [bool(c) for c in labels]}
    if kind in "iu":
        return {"kind": "int", "dtype": labels.dtype.name, "values": labels.tolist()}
    if kind == "f" and labels.dtype.name in _LABEL_DTYPES["float"]:
        return {
            "kind": "float",
            "dtype": labels.dtype.name,
            "values": [float(c) for c in labels],
        }
    if kind in "UO" and all(isinstance(c, str) for c in labels):
        dtype = "str" if kind == "U" else "object"
        return {"kind": "str", "dtype": dtype, "values": [str(c) for c in labels]}
    raise ValueError(
        "only boolean, integer, float or string labels can be saved; got labels "
        f"of dtype {labels.dtype}"
        + (
            " holding " + ", ".join(sorted({type(c).__name__ for c in labels}))
            if kind == "O"
            else ""
        )
    )


def _is_label(kind: str, dtype: str, value) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        limits = np.iinfo(dtype)
        return _is_int(value) and int(limits.min) <= value <= int(limits.max)
    if kind == "float":
        return isinstance(value, float) and math.isfinite(value)
    return isinstance(value, str)


def _labels_from_json(spec) -> np.ndarray:
    if isinstance(spec, dict) and "dtype" not in spec:
        # Files written before labels recorded their dtype.
        kind, values = _entries(spec, "labels", "kind", "values")
        dtype = {"int": "int64", "float": "float64", "str": "str"}.get(kind)
    else:
        kind, dtype, values = _entries(spec, "labels", "kind", "dtype", "values")
    if (
        not isinstance(kind, str)
        or kind not in _LABEL_DTYPES
        or dtype not in _LABEL_DTYPES[kind]
        or not isinstance(values, list)
    ):
        raise ValueError(
            "labels must be a kind (bool, int, float or str), a dtype of that "
            "kind and a list"
        )
    if not all(_is_label(kind, dtype, value) for value in values):
        raise ValueError(f"labels of dtype {dtype} must all be {dtype} values")
    longest = max(map(len, values), default=0) if kind == "str" else 0
    if len(values) * longest > _MAX_LABEL_CHARS:
        raise ValueError("the labels are too many or too long")
    if dtype == "object":
        labels = np.empty(len(values), dtype=object)
        labels[:] = values
        return labels
    return np.asarray(values, dtype=np.str_ if dtype == "str" else dtype)


def _entries(spec, what: str, *names: str) -> list:
    """The entries ``names`` of the JSON object ``spec``, which has no others."""
    if not isinstance(spec, dict) or set(spec) != set(names):
        raise ValueError(f"{what} must have exactly the entries {', '.join(names)}")
    return [spec[name] for name in names]


def _value_to_json(value):
    """JSON for a parameter or history value; tuples, dicts and a CostModel as
    tagged objects."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, list):
        return [_value_to_json(v) for v in value]
    if isinstance(value, tuple):
        return {"kind": "tuple", "values": [_value_to_json(v) for v in value]}
    if isinstance(value, dict):
        # Keys are class labels: JSON object keys would all become strings.
        return {
            "kind": "dict",
            "keys": _labels_to_json(np.asarray(list(value))),
            "values": [_value_to_json(v) for v in value.values()],
        }
    if type(value) is CostModel:
        return {"kind": "CostModel", "fields": asdict(value)}
    raise ValueError(f"a {type(value).__name__} has no JSON form")


def _value_from_json(value):
    """The value :func:`_value_to_json` encoded (a RandomState aside)."""
    if isinstance(value, list):
        return [_value_from_json(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("kind")
    if kind == "tuple":
        (values,) = _entries(value, "a tuple", "kind", "values")[1:]
        if not isinstance(values, list):
            raise ValueError("a tuple must list its values")
        return tuple(_value_from_json(v) for v in values)
    if kind == "dict":
        keys, values = _entries(value, "a dict", "kind", "keys", "values")[1:]
        keys = _labels_from_json(keys).tolist()
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError("a dict must have as many values as keys")
        if len(set(keys)) != len(keys):
            raise ValueError("a dict must not repeat a key")
        return dict(zip(keys, map(_value_from_json, values), strict=True))
    if kind == "CostModel":
        return _cost_model_from_json(value)
    raise ValueError(f"unknown kind of value {reprlib.repr(kind)}")


def _cost_model_from_json(spec) -> CostModel:
    (values,) = _entries(spec, "a CostModel", "kind", "fields")[1:]
    names = [field.name for field in fields(CostModel)]
    values = dict(zip(names, _entries(values, "a CostModel", *names), strict=True))
    if not all(_is_finite_real(v) and v >= 0 for v in values.values()):
        raise ValueError("a CostModel needs finite non-negative energies")
    return CostModel(**values)


def _random_state_to_json(name: str, value, arrays: dict) -> dict:
    state = value.get_state(legacy=False)
    if state["bit_generator"] != "MT19937":
        raise ValueError(
            f"parameter {name} is a RandomState over {state['bit_generator']}; "
            "only an MT19937 one can be saved"
        )
    arrays[f"{name}_key"] = state["state"]["key"]
    return {
        "kind": "RandomState",
        "pos": int(state["state"]["pos"]),
        "has_gauss": int(state["has_gauss"]),
        "gauss": float(state["gauss"]),
    }


def _random_state_from_json(spec, key: np.ndarray) -> np.random.RandomState:
    pos, has_gauss, gauss = _entries(
        spec, "a RandomState", "kind", "pos", "has_gauss", "gauss"
    )[1:]
    if not (
        _is_int(pos)
        and 0 <= pos <= _RANDOM_STATE_KEY_LENGTH
        and _is_int(has_gauss)
        and has_gauss in (0, 1)
        and _is_finite_real(gauss)
    ):
        raise ValueError("a RandomState needs pos, has_gauss (0 or 1) and gauss")
    random_state = np.random.RandomState(0)
    random_state.set_state(
        {
            "bit_generator": "MT19937",
            "state": {"key": key.astype(np.uint32), "pos": pos},
            "has_gauss": has_gauss,
            "gauss": float(gauss),
        }
    )
    return random_state


def _is_random_state(encoded) -> bool:
    return isinstance(encoded, dict) and encoded.get("kind") == "RandomState"


def _same(original, restored) -> bool:
    """Whether ``restored`` is ``original``, containers and scalar kinds included."""
    if isinstance(original, list | tuple):
        return (
            type(restored) is type(original)
            and len(restored) == len(original)
            and all(map(_same, original, restored))
        )
    if isinstance(original, dict):
        return (
            isinstance(restored, dict)
            and len(restored) == len(original)
            and all(
                k in restored and _same(v, restored[k]) for k, v in original.items()
            )
        )
    kinds = (bool, str, type(None), CostModel)
    return all(isinstance(original, k) == isinstance(restored, k) for k in kinds) and (
        bool(original == restored)
    )


def _param_to_json(name: str, value, arrays: dict):
    """JSON for parameter ``name``; a RandomState's key goes into ``arrays``."""
    if type(value) is np.random.RandomState:
        return _random_state_to_json(name, value, arrays)
    try:
        encoded = _value_to_json(value)
        exact = _same(value, _value_from_json(encoded))
    except (TypeError, ValueError):
        exact = False
    if not exact:
        raise ValueError(
            f"parameter {name}={reprlib.repr(value)} cannot be saved exactly: a "
            "model file holds None, booleans, numbers, strings, lists, tuples, "
            "dicts keyed by class labels, a CostModel or a numpy RandomState"
        )
    return encoded


def _targets_to_json(model) -> dict:
    """The metadata fields describing the targets: classes, or target scaling."""
    state = model._target_state()
    if "classes" in state:
        return {"classes": _labels_to_json(np.asarray(state["classes"]))}
    return {
        "task": "regression",
        "target_mean": [float(v) for v in state["target_mean"]],
        "target_scale": [float(v) for v in state["target_scale"]],
        "single": bool(state["single"]),
        "output_names": state["output_names"],
    }


def save(model, path) -> Path:
    """Write a fitted :class:`SCANNClassifier` or :class:`SCANNRegressor` to
    ``path`` (an ``.npz`` file).

    The file holds numeric arrays (the topology and its weights, the key of
    a RandomState parameter) and one JSON document (format version, package
    version, parameters, classes or target scaling, feature names, history).
    Loading it never runs pickle. A classifier is written in format version
    2, a regressor in version 3.

    Raises
    ------
    ValueError
        If a parameter cannot be stored exactly (a callable, say).
    """
    from . import __version__

    check_is_fitted(model)
    path = Path(path)
    arrays = model.network_.to_arrays()
    params = {
        name: _param_to_json(name, value, arrays)
        for name, value in model.get_params(deep=False).items()
    }
    targets = _targets_to_json(model)
    metadata = {
        "format": FORMAT_NAME,
        # The first version with every field written: 2 for a classifier.
        "format_version": 3 if "task" in targets else 2,
        "package_version": __version__,
        "estimator": type(model).__name__,
        "params": params,
        **targets,
        "n_features_in": int(model.n_features_in_),
        "feature_names_in": (
            [str(f) for f in model.feature_names_in_]
            if hasattr(model, "feature_names_in_")
            else None
        ),
        "baseline_connections": int(model.baseline_connections_),
        "best_step": int(model.best_step_),
        "history": [
            {k: _value_to_json(v) for k, v in record.items()}
            for record in model.history_
        ],
    }
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
    _write_atomically(path, lambda handle: np.savez_compressed(handle, **arrays))
    return path


def _write_atomically(path: Path, write) -> None:
    """Call ``write(handle)`` on a new file beside ``path``, then put it in place.

    The file is written in full and flushed to disk under a temporary name
    in the same directory, then renamed over ``path`` in one step: a write
    that fails (a full disk) or is interrupted (Ctrl-C) leaves whatever
    ``path`` held before as it was, and removes its temporary file. A file
    replaced keeps its permissions; a new one gets the usual ones (the
    umask's).
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Flush the directory entry of a rename to disk, where the system allows."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows, where directories cannot be opened
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# -- reading ----------------------------------------------------------------


def _read_metadata(model_file: NpzReader) -> dict:
    raw = model_file.read_bytes("metadata", _MAX_METADATA_BYTES)
    # Parsed, a JSON value takes up to 70 bytes (an empty dict, 3 bytes of
    # JSON): bound their number, which these characters exceed, first.
    if sum(raw.count(c) for c in b",:[{") > _MAX_METADATA_VALUES:
        raise ValueError(f"has metadata of over {_MAX_METADATA_VALUES} values")
    try:
        # json.dumps writes ASCII: one byte per character once decoded, too.
        metadata = json.loads(raw.decode("ascii"))
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"has corrupt metadata: {exc}") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ValueError("is not an sklearn-scann model file")
    version = metadata.get("format_version")
    if not _is_int(version) or not 1 <= version <= FORMAT_VERSION:
        raise ValueError(
            f"has model format version {reprlib.repr(version)}; this "
            f"sklearn-scann reads versions 1 to {FORMAT_VERSION} (written by "
            f"sklearn-scann {reprlib.repr(metadata.get('package_version'))})"
        )
    return metadata


def _estimator_name(metadata: dict, expected: str | None) -> str:
    """The name of the estimator the file holds, one of ``_KINDS``, and
    ``expected`` where that is not None."""
    name = metadata.get("estimator")
    known = isinstance(name, str) and name in _KINDS
    shown = name if known else reprlib.repr(name)
    if expected is not None and name != expected:
        raise ValueError(f"holds a {shown}, not a {expected}")
    if not known:
        raise ValueError(f"holds a {shown}, not a {' or a '.join(_KINDS)}")
    version = metadata["format_version"]
    if version < _KINDS[name].first_version:
        raise ValueError(
            f"holds a {name} in format version {version}, which has none "
            f"(they came in version {_KINDS[name].first_version})"
        )
    return name


def _check_metadata(metadata: dict, estimator) -> None:
    """Check every field's type and range; cross-checks with the arrays come later."""
    kind = _KINDS[estimator.__name__]
    # Version 3 names the task; older files hold classifiers only.
    task = {"task"} if metadata["format_version"] >= 3 else set()
    allowed = _COMMON_FIELDS | kind.fields | task
    missing = allowed - _OPTIONAL_FIELDS - set(metadata)
    unknown = set(metadata) - allowed
    if missing or unknown:
        raise ValueError(
            f"has metadata lacking {sorted(missing)} or with unknown "
            f"{reprlib.repr(sorted(unknown))}"
        )
    if task and metadata["task"] != kind.task:
        raise ValueError(
            f"has task {reprlib.repr(metadata['task'])}; a {estimator.__name__} "
            f"does {kind.task}"
        )
    if not isinstance(metadata.get("package_version", ""), str):
        raise ValueError("has a package version that is not a string")
    if not isinstance(metadata["params"], dict):
        raise ValueError("has malformed parameters")
    unknown = set(metadata["params"]) - set(estimator().get_params(deep=False))
    if unknown:
        raise ValueError(f"has unknown parameters {reprlib.repr(sorted(unknown))}")
    n_features = metadata["n_features_in"]
    if not (_is_int(n_features) and n_features >= 1):
        raise ValueError(f"has n_features_in={reprlib.repr(n_features)}")
    names = metadata["feature_names_in"]
    if names is not None and not (
        isinstance(names, list)
        and len(names) == n_features
        and all(isinstance(name, str) for name in names)
    ):
        raise ValueError(
            f"lacks a string feature name for each of its {n_features} features"
        )
    if not _is_count(metadata["baseline_connections"]):
        raise ValueError("has a baseline_connections that is not a count")
    _check_history(metadata["history"])
    steps = range(len(metadata["history"]))
    if not (_is_int(metadata["best_step"]) and metadata["best_step"] in steps):
        raise ValueError(f"has best_step outside the history's steps {steps}")
    frontier = metadata.get("frontier_steps", [])
    if not (
        isinstance(frontier, list)
        and all(_is_int(step) and step in steps for step in frontier)
        and len(set(frontier)) == len(frontier)
    ):
        raise ValueError("has malformed frontier steps")


def _check_history(history) -> None:
    if not isinstance(history, list) or not history:
        raise ValueError("has no history of steps")
    for index, record in enumerate(history):
        if not isinstance(record, dict):
            raise ValueError(f"has history step {index} that is not a dict")
        if not _is_int(record.get("step")) or record["step"] != index:
            raise ValueError(f"has history step {index} numbered otherwise")
        for key, is_valid, required in _HISTORY_FIELDS:
            if (required or key in record) and not is_valid(record.get(key)):
                raise ValueError(
                    f"has history step {index} with invalid {key} "
                    f"{reprlib.repr(record.get(key))}"
                )


def _classes_from_json(spec) -> np.ndarray:
    classes = _labels_from_json(spec)
    values = classes.tolist()
    if len(values) < 2 or any(a >= b for a, b in zip(values, values[1:])):
        raise ValueError("class labels must be at least 2, unique and sorted")
    return classes


def _classification_targets(metadata: dict) -> tuple[dict, set[int], str]:
    """``_set_fitted``'s target arguments, the output layer sizes they allow,
    and their description."""
    try:
        classes = _classes_from_json(metadata["classes"])
    except ValueError as exc:
        raise ValueError(f"has malformed class labels: {exc}") from None
    # Two classes: one output, or two in files of sklearn-scann 0.1.
    outputs = {1, 2} if classes.size == 2 else {classes.size}
    return {"classes": classes}, outputs, f"{classes.size} classes"


def _regression_targets(metadata: dict) -> tuple[dict, set[int], str]:
    """As :func:`_classification_targets`, for a regressor's target scaling."""
    mean, scale = metadata["target_mean"], metadata["target_scale"]
    if not (isinstance(mean, list) and mean and all(_is_finite_real(v) for v in mean)):
        raise ValueError("has a target_mean that is not a list of finite numbers")
    n_outputs = len(mean)
    if not (
        isinstance(scale, list)
        and len(scale) == n_outputs
        and all(_is_finite_real(v) and v >= 0 for v in scale)
    ):
        raise ValueError(
            f"has a target_scale that is not {n_outputs} finite non-negative numbers "
            "(one per target_mean)"
        )
    single = metadata["single"]
    if not _is_bool(single) or (single and n_outputs != 1):
        raise ValueError(
            f"has single={reprlib.repr(single)} for {n_outputs} targets (a "
            "boolean, true for 1-D targets only)"
        )
    names = metadata["output_names"]
    if names is not None and not (
        isinstance(names, list)
        and len(names) == n_outputs
        and all(isinstance(name, str) for name in names)
    ):
        raise ValueError(f"lacks a string output name for each of its {n_outputs}")
    targets = {
        "target_mean": np.array(mean, dtype=np.float64),
        "target_scale": np.array(scale, dtype=np.float64),
        "single": single,
        "output_names": names,
    }
    return targets, {n_outputs}, f"{n_outputs} targets"


_TARGET_READERS = {
    "SCANNClassifier": _classification_targets,
    "SCANNRegressor": _regression_targets,
}


def _decoded(value, what: str):
    """:func:`_value_from_json` of ``value``; errors name ``what`` it is."""
    try:
        return _value_from_json(value)
    except RecursionError:
        raise ValueError(f"{what}: nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def _params_from_json(params: dict, version: int, model_file: NpzReader) -> dict:
    decoded = {}
    for name, value in params.items():
        if _is_random_state(value):
            key = model_file.read(
                f"{name}_key",
                "u",
                range(_RANDOM_STATE_KEY_LENGTH, _RANDOM_STATE_KEY_LENGTH + 1),
                itemsize=4,
            )
            try:
                decoded[name] = _random_state_from_json(value, key)
            except ValueError as exc:
                raise ValueError(f"has a malformed parameter {name}: {exc}") from None
        else:
            decoded[name] = _decoded(value, f"has a malformed parameter {name}")
    if version == 1:
        # Version 1 wrote null for values JSON could not hold, and lists for
        # tuples.
        decoded = {k: v for k, v in decoded.items() if v is not None}
        if isinstance(decoded.get("hidden_layer_sizes"), list):
            decoded["hidden_layer_sizes"] = tuple(decoded["hidden_layer_sizes"])
    return decoded


def _expected_members(metadata: dict) -> set[str]:
    steps = metadata.get("frontier_steps", [])
    return {
        *_ARRAY_KEYS,
        "metadata",
        *(f"frontier{step}_{key}" for step in steps for key in _ARRAY_KEYS),
        *(
            f"{name}_key"
            for name, value in metadata["params"].items()
            if _is_random_state(value)
        ),
    }


def _read_network(model_file: NpzReader, step=None) -> CompactNetwork:
    """The fitted network, or the frontier's of ``step``, bounded by its layers."""
    prefix = "" if step is None else f"frontier{step}_"
    name = "network" if step is None else f"frontier network {step}"
    read = model_file.read
    layer_sizes = read(prefix + "layer_sizes", "iu", range(2, _MAX_LAYERS + 1))
    skip = read(prefix + "skip", "biu", range(1, 2), ndims=(0, 1))
    sizes = layer_sizes.tolist()
    if min(sizes) < 0 or sum(sizes) > _MAX_NEURONS:
        raise ValueError(f"has a {name} with layer sizes {reprlib.repr(sizes)}")
    n_neurons = sum(sizes)
    n_allowed = min(dense_connections(sizes, skip=bool(skip.item())), _MAX_CONNECTIONS)
    connections = range(n_allowed + 1)
    arrays = {
        "layer_sizes": layer_sizes,
        "skip": skip,
        "src": read(prefix + "src", "iu", connections),
        "dst": read(prefix + "dst", "iu", connections),
        "weights": read(prefix + "weights", "f", connections),
        "biases": read(prefix + "biases", "f", range(n_neurons, n_neurons + 1)),
    }
    try:
        network = CompactNetwork.from_arrays(arrays)
    except ValueError as exc:
        raise ValueError(f"has an invalid {name}: {exc}") from None
    _check_outputs_bounded(network, name)
    return network


def _check_outputs_bounded(network: CompactNetwork, name: str) -> None:
    """Refuse weights that overflow the outputs for inputs of reasonable scale.

    The network with every weight and bias replaced by its magnitude, fed
    ``_INPUT_SCALE`` in every input, bounds the magnitude of every output
    (ReLU only shrinks magnitudes).
    """
    arrays = network.to_arrays()
    magnitudes = CompactNetwork(
        network.topology, np.abs(arrays["weights"]), np.abs(arrays["biases"])
    )
    inputs = np.full((1, network.topology.layer_sizes[0]), _INPUT_SCALE)
    with np.errstate(over="ignore", invalid="ignore"):
        bound = magnitudes.decision_function(inputs)
    if not np.all(bound <= _MAX_OUTPUT):
        raise ValueError(
            f"has a {name} whose outputs overflow for inputs "
            f"of magnitude {_INPUT_SCALE:g}: its weights were not trained"
        )


def _check_shapes(network, outputs, targets, n_features, frontier, history) -> None:
    """Cross-check the networks with the metadata: ``outputs`` are the output
    layer sizes the ``targets`` (described) allow."""
    sizes = network.topology.layer_sizes
    if n_features != sizes[0] or sizes[-1] not in outputs:
        raise ValueError(
            f"is inconsistent: {n_features} features and {targets} for layers {sizes}"
        )
    for step, other in frontier.items():
        loaded = other.topology
        if (loaded.layer_sizes[0], loaded.layer_sizes[-1]) != (sizes[0], sizes[-1]):
            raise ValueError(f"has a frontier network {step} of other inputs/outputs")
        if loaded.n_connections != history[step]["n_connections"]:
            raise ValueError(
                f"has a frontier network {step} whose connections its history "
                "does not count"
            )


def load(path, *, expect=None):
    """Read a model written by ``SCANNClassifier.save`` or ``SCANNRegressor.save``.

    Only numbers and JSON are read: nothing in the file is executed, so a
    model file from elsewhere is safe to load (unlike a pickle). Every
    array's header is checked against the metadata before its data is read,
    so a damaged or forged file is refused without reading more than it
    holds or allocating memory for sizes it merely claims.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file.
    expect : {"classifier", "regressor"}, estimator class or None, default=None
        The kind of model the file must hold, by name or as the class
        (:class:`SCANNClassifier` or :class:`SCANNRegressor`); a file holding
        the other kind is refused before its arrays are read. None loads
        either kind.

    Returns
    -------
    model : SCANNClassifier or SCANNRegressor
        The fitted estimator the file holds, with the saved parameters,
        structure, weights (frontier networks included) and history: it
        predicts exactly as the saved one did, scores, reports its cost and
        selects from its frontier. Calling ``fit`` on it trains a new
        network from scratch.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path`` (other operating-system errors on
        opening it are raised as they are).
    ValueError
        If ``expect`` is not one of its allowed values, or the file holds
        another kind of model than ``expect`` names (the message says
        which, e.g. "holds a SCANNRegressor, not a SCANNClassifier"). For
        any content that is not a model this version can read: a file
        that is not an ``.npz`` archive (a single ``.npy`` array, say), a
        truncated or damaged one, one of a newer format version, an array
        missing, unexpected, of the wrong dtype or shape or larger than
        its network allows, metadata that is corrupt or inconsistent with
        the arrays or of the wrong type or range (a field, a parameter, a
        history step, a target scale that is not finite and non-negative for
        each output), or weights that are not finite or not of a trained
        network.

    See Also
    --------
    SCANNClassifier.save : Write the file.
    SCANNRegressor.save : Write the file of a regressor.
    export_c : Write the network as C source.

    Notes
    -----
    Format version 3 added regressors; classifiers are still written in
    version 2. Files of versions 1 to 3 are read.

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
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = clf.save(Path(tmp) / "iris.npz")
    ...     load(path, expect="regressor")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...iris.npz holds a SCANNClassifier, not a SCANNRegressor
    """
    expected = _expected_name(expect)
    path = Path(path)
    with path.open("rb") as handle:
        try:
            return _read_model(handle, expected)
        except ValueError as exc:
            raise ValueError(f"{path} {exc}") from None


def _expected_name(expect) -> str | None:
    """The estimator name ``load(expect=...)`` asks for (None: any)."""
    from ._classifier import SCANNClassifier
    from ._regressor import SCANNRegressor

    if expect is None:
        return None
    if isinstance(expect, str) and expect in _EXPECT_NAMES:
        return _EXPECT_NAMES[expect]
    for estimator in (SCANNClassifier, SCANNRegressor):
        if expect is estimator:
            return estimator.__name__
    raise ValueError(
        "expect must be None, 'classifier', 'regressor', SCANNClassifier or "
        f"SCANNRegressor, got {reprlib.repr(expect)}"
    )


def _read_model(handle, expected: str | None):
    """The model in an open file; a ValueError says what the file "is" or "has"."""
    from ._classifier import SCANNClassifier
    from ._regressor import SCANNRegressor

    estimators = {"SCANNClassifier": SCANNClassifier, "SCANNRegressor": SCANNRegressor}
    with open_npz(handle) as archive:
        model_file = NpzReader(archive)
        metadata = _read_metadata(model_file)
        estimator = estimators[_estimator_name(metadata, expected)]
        _check_metadata(metadata, estimator)
        return _model_from(model_file, metadata, estimator)


def _model_from(model_file: NpzReader, metadata: dict, estimator):
    """The fitted estimator from checked metadata and the arrays it names."""
    expected = _expected_members(metadata)
    missing = sorted(expected - set(model_file.members))
    if missing:
        raise ValueError(f"lacks {', '.join(missing)}")
    unexpected = sorted(set(model_file.members) - expected)
    if unexpected:
        raise ValueError(f"has unexpected arrays {reprlib.repr(unexpected)}")
    targets, outputs, described = _TARGET_READERS[estimator.__name__](metadata)
    version = metadata["format_version"]
    params = _params_from_json(metadata["params"], version, model_file)
    model = estimator(**params)
    try:
        model._validate_params()
    except ValueError as exc:
        raise ValueError(f"has an invalid parameter: {exc}") from None

    history = [
        {
            key: _decoded(value, f"has a malformed history step {step} {key}")
            for key, value in record.items()
        }
        for step, record in enumerate(metadata["history"])
    ]
    network = _read_network(model_file)
    frontier = {
        step: _read_network(model_file, step)
        for step in metadata.get("frontier_steps", [])
    }
    n_features = metadata["n_features_in"]
    _check_shapes(network, outputs, described, n_features, frontier, history)
    model._set_fitted(
        network,
        **targets,
        n_features=n_features,
        feature_names=metadata["feature_names_in"],
        baseline_connections=metadata["baseline_connections"],
        history=history,
        best_step=metadata["best_step"],
        frontier=frontier,
    )
    return model

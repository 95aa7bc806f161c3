"""load() on damaged, forged and inconsistent files: a ValueError, bounded memory."""

# SPDX-License-Identifier: BSD-3-Clause

import copy
import io
import json
import math
import re
import tracemalloc
import warnings
import zipfile
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.datasets import load_iris

from sklearn_scann import CostModel, SCANNClassifier, Topology, load
from sklearn_scann._compact import CompactNetwork
from sklearn_scann._persistence import (
    FORMAT_VERSION,
    _param_to_json,
    _value_from_json,
)

# Peak memory load() may trace on any file these tests write.
MEMORY_BOUND = 64 * 2**20
NETWORK_KEYS = ("layer_sizes", "skip", "src", "dst", "weights", "biases")

# Derandomized for reproducible CI; no example database left behind.
FUZZ = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class Original(SimpleNamespace):
    def __repr__(self):  # short in hypothesis's falsifying examples
        return "original"


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """One small fitted model, its file, the file's members and predictions."""
    X, y = load_iris(return_X_y=True)
    model = SCANNClassifier(n_rounds=1, epochs_per_step=1, random_state=0).fit(X, y)
    folder = tmp_path_factory.mktemp("hardening")
    path = model.save(folder / "model.npz")
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    return Original(
        model=model,
        X=X,
        proba=model.predict_proba(X),
        folder=folder,
        data=path.read_bytes(),
        members=members,
        arrays=arrays,
        metadata=json.loads(arrays["metadata"].tobytes()),
    )


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=True)
    return buffer.getvalue()


def npy_claiming(shape, dtype="<f8", data=b"\0" * 64) -> bytes:
    """An .npy member whose header claims ``shape``, followed by ``data`` only."""
    buffer = io.BytesIO()
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + data


def zip_bytes(members: dict) -> bytes:
    """A zip of ``members`` (name: .npy bytes or array), as np.savez_compressed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(
                name, content if isinstance(content, bytes) else npy(content)
            )
    return buffer.getvalue()


def with_metadata(original, metadata) -> dict:
    encoded = np.frombuffer(json.dumps(metadata).encode(), np.uint8)
    return {**original.members, "metadata.npy": npy(encoded)}


def load_traced(path):
    """``load(path)`` or its ValueError, and the peak memory traced meanwhile."""
    tracemalloc.start()
    try:
        result = load(path)
    except ValueError as exc:
        result = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, peak


def assert_refused_or_intact(original, data: bytes, *, network_changed=False):
    """A ValueError, or the original model's predictions (any valid ones when
    the mutation replaced the fitted network's own arrays); bounded memory."""
    path = original.folder / "mutant.npz"
    path.write_bytes(data)
    result, peak = load_traced(path)
    assert peak < MEMORY_BOUND
    if isinstance(result, ValueError):
        assert "pickle" not in str(result)
        return
    proba = result.predict_proba(original.X)
    if network_changed:
        assert proba.shape == original.proba.shape
        assert np.all(np.isfinite(proba))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    else:
        assert np.array_equal(proba, original.proba)


def refused(original, data: bytes, match: str) -> ValueError:
    path = original.folder / "refused.npz"
    path.write_bytes(data)
    result, peak = load_traced(path)
    assert isinstance(result, ValueError), "the file was loaded"
    assert peak < MEMORY_BOUND
    assert "pickle" not in str(result)
    with pytest.raises(ValueError, match=match):
        raise result
    return result


# -- files that are not model files -------------------------------------------


def test_plain_npy_file_is_not_a_model_file(original, tmp_path):
    path = tmp_path / "plain.npy"
    np.save(path, np.arange(10))
    with pytest.raises(ValueError, match="not an sklearn-scann model file"):
        load(path)


def test_random_bytes_are_not_a_model_file_and_get_no_pickle_advice(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).bytes(2000))
    with pytest.raises(ValueError, match="not an sklearn-scann model file") as info:
        load(path)
    assert "pickle" not in str(info.value)


@settings(FUZZ, max_examples=100)
@given(
    prefix=st.sampled_from([b"", b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY\x01\x00"]),
    noise=st.binary(max_size=600),
)
def test_random_bytes_are_refused(original, prefix, noise):
    # Also after the first bytes of a real model file (a valid zip prefix).
    for data in (prefix + noise, original.data[:120] + noise):
        path = original.folder / "noise.npz"
        path.write_bytes(data)
        result, peak = load_traced(path)
        assert isinstance(result, ValueError)
        assert "pickle" not in str(result)
        assert peak < MEMORY_BOUND


# -- sizes claimed in headers -------------------------------------------------


def test_header_claiming_a_huge_array_is_refused_before_reading(original):
    # 10**12 float64 weights would be 7.28 TiB; the file is about 2 kB.
    data = zip_bytes({**original.members, "weights.npy": npy_claiming((10**12,))})
    assert len(data) < 10_000
    refused(original, data, "invalid weights.*shape \\(1000000000000,\\)")


def test_python2_npy_header_is_refused_without_a_warning(original):
    # numpy would warn, repair the header ("3L") and read it.
    header = "{'descr': '<i8', 'fortran_order': False, 'shape': (3L,), }"
    header = header.ljust(64 - 11) + "\n"
    member = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little")
    member += header.encode() + np.arange(3).tobytes()
    members = {**original.members, "layer_sizes.npy": member}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        refused(original, zip_bytes(members), "layer_sizes with a malformed .npy")


def test_metadata_header_beyond_the_metadata_cap_is_refused(original):
    members = {**original.members, "metadata.npy": npy_claiming((2**40,), "|u1")}
    refused(original, zip_bytes(members), "invalid metadata")


def _bomb(original, name, shape, dtype="<f8", *, declared=None, fill=b"\0") -> bytes:
    """A model file whose member ``name`` holds ``shape`` items of repeated
    ``fill`` bytes (deflated), its header claiming ``declared`` (or ``shape``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in original.members.items():
            if member != name:
                archive.writestr(member, content)
        with archive.open(name, "w", force_zip64=True) as handle:
            handle.write(npy_claiming(declared or shape, dtype, data=b""))
            chunk = fill * (2**20 // len(fill))
            left = int(np.prod(shape)) * np.dtype(dtype).itemsize
            while left > 0:
                handle.write(chunk[:left])
                left -= len(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name, shape, dtype, match",
    [
        ("src.npy", (10**7,), "<i8", "invalid src"),
        ("biases.npy", (10**7,), "<f8", "invalid biases"),
        ("metadata.npy", (100 * 2**20,), "|u1", "invalid metadata"),
    ],
)
def test_decompression_bomb_is_refused_from_its_header(
    original, name, shape, dtype, match
):
    # 80 MB (100 MiB for the metadata) of zeros deflate to about 100 kB.
    data = _bomb(original, name, shape, dtype)
    assert len(data) < 300_000
    refused(original, data, match)


def test_metadata_of_too_many_json_values_is_refused_before_parsing(original):
    # 40 MiB of "[]," (40 kB deflated) would parse into 20 times that.
    data = _bomb(original, "metadata.npy", (40 * 2**20,), "|u1", fill=b"[],")
    assert len(data) < 100_000
    refused(original, data, "invalid metadata")


def test_metadata_of_too_many_json_values_is_refused_within_its_byte_cap(original):
    # 10 MiB of "[]," (10 kB deflated), under the byte cap, would parse into
    # 20 times that: refused on the count of values alone.
    data = _bomb(original, "metadata.npy", (10 * 2**20,), "|u1", fill=b"[],")
    assert len(data) < 100_000
    refused(original, data, "metadata of over 524288 values")


def test_metadata_of_two_million_short_strings_is_refused_in_bounded_memory(
    original,
):
    # The hostile case of issue 26: a file well under 1 MB whose JSON holds
    # two million short strings (63 MB).
    names = [f"{i:x}"[-3:] for i in range(2_000_000)]
    metadata = {**original.metadata, "feature_names_in": names}
    data = zip_bytes(with_metadata(original, metadata))
    assert len(data) < 1_000_000
    path = original.folder / "strings.npz"
    path.write_bytes(data)
    result, peak = load_traced(path)
    assert isinstance(result, ValueError)
    assert re.search("invalid metadata|metadata of over", str(result))
    assert peak < 40 * 2**20  # the raw bytes, not their parse


def test_metadata_at_its_caps_parses_under_100_mb(original):
    # Just under both caps: as many short strings as the value cap allows.
    n = 2**19 - 2_000
    metadata = {**original.metadata, "feature_names_in": ["abcdefghijklmn"] * n}
    data = zip_bytes(with_metadata(original, metadata))
    assert len(data) < 1_000_000
    path = original.folder / "at_caps.npz"
    path.write_bytes(data)
    result, peak = load_traced(path)
    assert isinstance(result, ValueError)  # parsed, then refused: wrong count
    assert "invalid metadata" not in str(result)
    assert "over 524288 values" not in str(result)
    assert peak < 100 * 2**20


def test_metadata_must_be_ascii_json(original):
    text = json.dumps(original.metadata, ensure_ascii=False).replace("B", "\u0392")
    encoded = np.frombuffer(text.encode(), np.uint8)
    members = {**original.members, "metadata.npy": npy(encoded)}
    refused(original, zip_bytes(members), "corrupt metadata")


def test_member_longer_than_its_header_is_refused_with_bounded_memory(original):
    # The header says 268 weights; 80 MB of zeros follow.
    data = _bomb(original, "weights.npy", (10**7,), declared=(268,))
    refused(original, data, "weights longer than its header says")


def test_total_size_of_the_members_is_bounded(original, monkeypatch):
    import sklearn_scann._npz as npz

    monkeypatch.setattr(npz, "_MAX_ARCHIVE_BYTES", 1000)
    refused(original, original.data, "holds more than 1000 bytes")


# -- arrays of the wrong kind ---------------------------------------------------


@pytest.mark.parametrize(
    "name, value, match",
    [
        ("skip.npy", np.array([True, False, True]), "invalid skip"),
        ("skip.npy", np.array(3), "skip must be one boolean"),
        ("src.npy", "float src", "invalid src: dtype float64"),
        ("layer_sizes.npy", np.array([4.0, 43.5, 3.0]), "invalid layer_sizes"),
        ("layer_sizes.npy", np.array([4, -43, 3]), "layer sizes"),
        ("layer_sizes.npy", np.array([4, 10**9, 3]), "invalid biases"),
        ("weights.npy", np.array([object()] * 268, dtype=object), "Python objects"),
        ("weights.npy", "weights 2-d", "invalid weights"),
    ],
)
def test_arrays_of_the_wrong_kind_are_refused(original, name, value, match):
    if isinstance(value, str):  # derived from the original array
        key, change = name.removesuffix(".npy"), value.split()[1]
        array = original.arrays[key]
        value = array + 0.5 if change == "src" else array.reshape(2, -1)
    members = {**original.members, name: npy(value)}
    refused(original, zip_bytes(members), match)


@pytest.mark.parametrize(
    "bad",
    [np.nan, np.inf, -np.inf, 1e308, 3.5e38],
    ids=["nan", "inf", "-inf", "1e308", "3.5e38"],
)
@pytest.mark.parametrize("key", ["weights", "biases"])
def test_weights_that_were_not_trained_in_float32_are_refused(original, key, bad):
    array = original.arrays[key].copy()
    array[-1] = bad
    members = {**original.members, f"{key}.npy": npy(array)}
    refused(original, zip_bytes(members), "finite and within the float32 range")


def test_weights_whose_outputs_overflow_are_refused(original, tmp_path):
    # Ten layers of float32-sized weights: finite each, but the product
    # overflows, so predict_proba would return NaN.
    model = copy.deepcopy(original.model)
    top = Topology.dense([4, *[2] * 9, 3], skip=False)
    network = CompactNetwork(top, np.full(top.n_connections, 1e38), np.zeros(25))
    model._set_fitted(
        network,
        classes=model.classes_,
        n_features=4,
        feature_names=None,
        baseline_connections=top.n_connections,
        history=model.history_,
        best_step=model.best_step_,
    )
    with pytest.raises(ValueError, match="outputs overflow"):
        load(model.save(tmp_path / "overflow.npz"))


def test_accepted_weights_give_finite_probabilities(original, tmp_path):
    # The largest weights the float32 check lets through, on a shallow net.
    array = original.arrays["weights"].copy()
    array[:] = np.finfo(np.float32).max
    members = {**original.members, "weights.npy": npy(array)}
    path = tmp_path / "large.npz"
    path.write_bytes(zip_bytes(members))
    proba = load(path).predict_proba(original.X * 1000)
    assert np.all(np.isfinite(proba))


def test_missing_and_unexpected_members_are_refused(original):
    members = dict(original.members)
    del members["frontier1_weights.npy"]
    refused(original, zip_bytes(members), "lacks frontier1_weights")
    members = {**original.members, "extra.npy": npy(np.zeros(3))}
    refused(original, zip_bytes(members), "unexpected arrays.*extra")


# -- metadata -------------------------------------------------------------------


def _edited(metadata, edit):
    metadata = copy.deepcopy(metadata)
    edit(metadata)
    return metadata


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda m: m.update(format_version=True), "format version True"),
        (
            lambda m: m.update(format_version=FORMAT_VERSION + 1),
            f"format version {FORMAT_VERSION + 1}",
        ),
        (lambda m: m.update(estimator="MLPClassifier"), "not a SCANNClassifier"),
        (lambda m: m.update(feature_names_in=["a", "b"]), "feature name for each"),
        (lambda m: m.update(feature_names_in=["a", "b", "c", 4]), "feature name"),
        (lambda m: m.update(n_features_in=5), "5 features"),
        (lambda m: m.update(n_features_in=True), "n_features_in=True"),
        (lambda m: m["classes"].update(values=[0, 1, 1]), "unique"),
        (lambda m: m["classes"].update(values=[0, 1]), "2 classes"),
        (lambda m: m["classes"].update(values=[0, 1.5, 2]), "must all be int64"),
        (lambda m: m["classes"].update(values=[0, 1, 2**70]), "must all be int64"),
        (lambda m: m["classes"].update(dtype="int8", values=[0, 1, 300]), "int8"),
        (lambda m: m["classes"].update(kind="str", values=["a", "b"]), "of that kind"),
        (
            lambda m: m["classes"].update(kind="str", dtype="str", values=["a"] * 2),
            "unique",
        ),
        (lambda m: m["classes"].update(kind="object"), "class labels"),
        (lambda m: m.update(baseline_connections=-1), "baseline_connections"),
        (lambda m: m.update(best_step=7), "best_step outside"),
        (lambda m: m.update(best_step=1.0), "best_step outside"),
        (lambda m: m.update(history={}), "no history"),
        (lambda m: m["history"][1].update(step=5), "step 1 numbered otherwise"),
        (lambda m: m["history"][1].pop("n_connections"), "invalid n_connections"),
        (lambda m: m["history"][0].update(validation_score="high"), "validation"),
        (lambda m: m["history"][0].update(accepted=1), "invalid accepted"),
        (lambda m: m["history"][0].update(macs=-3), "invalid macs"),
        (lambda m: m["history"][1].update(n_connections=5), "connections its hist"),
        (lambda m: m.update(frontier_steps=[9]), "frontier steps"),
        (lambda m: m.update(frontier_steps=[1, 1]), "frontier steps"),
        (lambda m: m.update(frontier_steps=[]), "unexpected arrays"),
        (lambda m: m.update(extra=1), "unknown \\['extra'\\]"),
        (lambda m: m.pop("history"), "lacking \\['history'\\]"),
        (lambda m: m["params"].update(max_depth=3), "unknown parameters"),
        (lambda m: m["params"].update(prune_ratio=7.0), "prune_ratio"),
        (lambda m: m["params"].update(cost_model={"kind": "CostModel"}), "CostModel"),
        (lambda m: m["params"].update(alpha={"kind": "lambda"}), "unknown kind"),
        (lambda m: m["params"].update(random_state={"kind": "RandomState"}), "lacks"),
    ],
)
def test_inconsistent_metadata_is_refused(original, edit, match):
    members = with_metadata(original, _edited(original.metadata, edit))
    refused(original, zip_bytes(members), match)


def test_deeply_nested_metadata_is_refused(original):
    metadata = _edited(original.metadata, lambda m: None)
    text = json.dumps(metadata).replace('"params": {', '"params": {"x": ' + "[" * 5000)
    encoded = np.frombuffer(text.encode(), np.uint8)
    members = {**original.members, "metadata.npy": npy(encoded)}
    refused(original, zip_bytes(members), "corrupt metadata")


def test_string_labels_too_long_for_memory_are_refused(original):
    # One long and many short labels: as a numpy string array, every label
    # takes the longest one's room (here 10**5 x 10**5 x 4 bytes).
    values = ["x" * 100_000, *(f"{i:05d}" for i in range(100_000))]
    edit = _edited(original.metadata, lambda m: m.update(classes={"kind": "str"}))
    edit["classes"]["values"] = sorted(values)
    refused(original, zip_bytes(with_metadata(original, edit)), "too many or too long")


# -- parameters survive exactly ----------------------------------------------------


def test_cost_model_round_trips(original, tmp_path):
    model = copy.deepcopy(original.model)
    cost = CostModel(
        multiply_pj=1.25, add_pj=0.5, sram_read_pj=20, reads_per_connection=3
    )
    model.set_params(cost_model=cost)
    model._set_fitted(
        model.network_,
        classes=model.classes_,
        n_features=model.n_features_in_,
        feature_names=None,
        baseline_connections=model.baseline_connections_,
        history=model.history_,
        best_step=model.best_step_,
        frontier=model.frontier_networks_,
    )
    loaded = load(model.save(tmp_path / "cost.npz"))
    assert loaded.get_params()["cost_model"] == cost
    assert loaded.energy_pj_ == model.energy_pj_ != original.model.energy_pj_


def test_random_state_round_trips(original, tmp_path):
    model = copy.deepcopy(original.model)
    random_state = np.random.RandomState(42)
    random_state.standard_normal()  # a cached Gaussian is part of the state
    random_state.standard_normal(3)
    model.set_params(random_state=random_state)
    expected = random_state.get_state()
    loaded = load(model.save(tmp_path / "rs.npz"))
    restored = loaded.get_params()["random_state"]
    assert isinstance(restored, np.random.RandomState)
    state = restored.get_state()
    assert state[0] == expected[0]
    np.testing.assert_array_equal(state[1], expected[1])
    assert state[2:] == expected[2:]
    assert restored.randint(10**9) == random_state.randint(10**9)


def test_tuples_and_lists_come_back_as_they_were(original, tmp_path):
    for sizes in [(16, 8), [16, 8]]:
        model = copy.deepcopy(original.model).set_params(hidden_layer_sizes=sizes)
        loaded = load(model.save(tmp_path / "sizes.npz"))
        assert type(loaded.hidden_layer_sizes) is type(sizes)
        assert loaded.get_params() == model.get_params()


@pytest.mark.parametrize(
    "value", [lambda: 0, Fraction(1, 3), np.float64("nan"), {1: 2, "a": 3}, object()]
)
def test_parameters_that_cannot_be_stored_exactly_stop_save(original, tmp_path, value):
    model = copy.deepcopy(original.model)
    model.noise_std = value  # not validated: save must still refuse it
    with pytest.raises(ValueError, match="parameter noise_std=.* cannot be saved"):
        model.save(tmp_path / "never.npz")
    assert not (tmp_path / "never.npz").exists()


@pytest.mark.parametrize(
    "value",
    [
        None,
        "balanced",
        {0: 1.0, 1: 2.5, 2: 0.5},
        {"setosa": 1.0, "virginica": 3},
        {0.5: 1.0, 1.5: 2.0},
        {},
        (1, "a", 2.5, None, True, [1, (2,)]),
    ],
)
def test_encoded_parameter_values_round_trip(value):
    # class_weight-like values: dicts keyed by class labels of any kind.
    arrays = {}
    restored = _value_from_json(
        json.loads(json.dumps(_param_to_json("v", value, arrays)))
    )
    assert restored == value and type(restored) is type(value)
    if isinstance(value, dict):
        assert [type(k) for k in restored] == [type(k) for k in value]
    assert arrays == {}


@pytest.mark.parametrize(
    "value", [{1: 1.0, "1": 2.0}, {(0, 1): 1.0}, print, {1: print}]
)
def test_encoding_refuses_what_it_cannot_restore(value):
    with pytest.raises(ValueError, match="parameter v=.* cannot be saved exactly"):
        _param_to_json("v", value, {})


def test_class_weight_scoring_and_max_memory_round_trip(original, tmp_path):
    model = copy.deepcopy(original.model).set_params(
        class_weight={0: 1.0, 1: 2.5, 2: 1},
        scoring="balanced_accuracy",
        max_memory=None,
    )
    loaded = load(model.save(tmp_path / "cw.npz"))
    assert loaded.get_params() == model.get_params()
    assert [type(k) for k in loaded.class_weight] == [int] * 3
    model.set_params(class_weight="balanced", max_memory=2.5e9)
    assert load(model.save(tmp_path / "cw.npz")).get_params() == model.get_params()
    model.set_params(scoring=lambda estimator, X, y: 0.0)
    with pytest.raises(ValueError, match="parameter scoring=.* cannot be saved"):
        model.save(tmp_path / "scoring.npz")


def test_version_1_files_still_load(original, tmp_path):
    # Version 1 wrote tuples as lists, and null for a RandomState.
    metadata = _edited(original.metadata, lambda m: m.update(format_version=1))
    metadata["params"].update(hidden_layer_sizes=[16, 8], random_state=None)
    path = tmp_path / "v1.npz"
    path.write_bytes(zip_bytes(with_metadata(original, metadata)))
    loaded = load(path)
    assert loaded.hidden_layer_sizes == (16, 8)
    assert loaded.random_state is None
    assert np.array_equal(loaded.predict_proba(original.X), original.proba)


# -- fuzzing ---------------------------------------------------------------------

positions = st.integers(0, 2**20)
byte_edits = st.tuples(
    st.sampled_from(["flip", "overwrite", "insert", "delete", "truncate"]),
    positions,
    st.binary(min_size=1, max_size=8),
)


def apply_edits(data: bytes, edits) -> bytes:
    data = bytearray(data)
    for kind, position, payload in edits:
        if not data and kind != "insert":
            continue
        at = position % max(len(data), 1)
        if kind == "flip":
            data[at] ^= 1 << (payload[0] % 8)
        elif kind == "overwrite":
            data[at : at + len(payload)] = payload
        elif kind == "insert":
            data[at:at] = payload
        elif kind == "delete":
            del data[at : at + len(payload)]
        else:
            del data[at:]
    return bytes(data)


@settings(FUZZ, max_examples=200)
@given(edits=st.lists(byte_edits, min_size=1, max_size=3))
def test_byte_mutations_of_the_file(original, edits):
    assert_refused_or_intact(original, apply_edits(original.data, edits))


@settings(FUZZ, max_examples=150)
@given(member=positions, edits=st.lists(byte_edits, min_size=1, max_size=3))
def test_byte_mutations_of_a_member(original, member, edits):
    # Inside a member, under a correct CRC: headers and data as numpy sees them.
    names = sorted(original.members)
    name = names[member % len(names)]
    members = {**original.members, name: apply_edits(original.members[name], edits)}
    changed = name.removesuffix(".npy") in NETWORK_KEYS
    assert_refused_or_intact(original, zip_bytes(members), network_changed=changed)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=8,
)


def json_paths(value, prefix=()):
    """Every path to a value inside the JSON document ``value``."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_paths(item, (*prefix, index))


def nearby(value):
    """Values close to ``value`` that a careless check might let through."""
    if isinstance(value, bool):
        return st.sampled_from([not value, int(value), None])
    if isinstance(value, int):
        return st.sampled_from([value + 1, value - 1, -value, float(value), True, 0])
    if isinstance(value, float):
        whole = int(value) if math.isfinite(value) else 0
        return st.sampled_from([-value, float("nan"), float("inf"), 1e308, whole])
    if isinstance(value, list):
        return st.sampled_from([value[:-1], value + value[-1:], value[::-1], []])
    if isinstance(value, str):
        return st.sampled_from(["", value + "x", value.upper()])
    return json_values


@settings(FUZZ, max_examples=200)
@given(data=st.data())
def test_structured_metadata_mutations(original, data):
    metadata = copy.deepcopy(original.metadata)
    paths = sorted((path for path in json_paths(metadata) if path), key=repr)
    path = data.draw(st.sampled_from(paths))
    parent = metadata
    for key in path[:-1]:
        parent = parent[key]
    action = data.draw(st.sampled_from(["replace", "nearby", "delete"]))
    if action == "delete":
        del parent[path[-1]]
    else:
        values = json_values if action == "replace" else nearby(parent[path[-1]])
        parent[path[-1]] = data.draw(values)
    assert_refused_or_intact(original, zip_bytes(with_metadata(original, metadata)))


dtypes = st.sampled_from(
    ["bool", "int8", "uint8", "int64", "uint64", ">i8", "float16", "float32"]
    + ["float64", ">f8", "complex128", "U3", "S2", "uint32"]
)
random_arrays = hnp.arrays(
    dtypes,
    hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=6),
    elements=None,
)
huge_shapes = st.sampled_from(
    [(10**12,), (2**62,), (2**31,), (10**6, 10**6), (268 * 1000,), (-5,)]
)
special_values = st.sampled_from(
    [np.nan, np.inf, -np.inf, 1e308, -1e308, 3.5e38, -1.0, 0.5, 2.0**63, 50.0]
)


@settings(FUZZ, max_examples=200)
@given(
    data=st.data(),
    action=st.sampled_from(
        ["random", "same shape", "special", "huge", "object", "drop", "add"]
    ),
)
def test_structured_array_mutations(original, data, action):
    if action == "add":
        extra = ["extra.npy", "frontier2_weights.npy", "random_state_key.npy"]
        name = data.draw(st.sampled_from(extra))
    else:
        name = data.draw(st.sampled_from(sorted(original.members)))
    key = name.removesuffix(".npy")
    members = dict(original.members)
    if action == "drop":
        del members[name]
    elif action in ("add", "random"):
        members[name] = npy(data.draw(random_arrays))
    elif action == "same shape":
        array = original.arrays[key]
        elements = st.integers(-1, 60) if array.dtype.kind == "i" else None
        shaped = hnp.arrays(array.dtype, array.shape, elements=elements)
        members[name] = npy(data.draw(shaped))
    elif action == "huge":
        dtype = data.draw(st.sampled_from(["<f8", "<i8", "|u1", "|b1"]))
        members[name] = npy_claiming(data.draw(huge_shapes), dtype)
    elif action == "object":
        members[name] = npy(np.array([None, 1, "a"], dtype=object))
    else:  # one entry of the original array set to a special value
        array = original.arrays[key].astype(np.float64)
        if array.size:
            index = data.draw(st.integers(0, array.size - 1))
            array.ravel()[index] = data.draw(special_values)
        dtype = original.arrays[key].dtype
        if dtype.kind in "iub" and data.draw(st.booleans()):
            with np.errstate(invalid="ignore", over="ignore"):
                array = array.astype(dtype)  # the same numbers, where they fit
        members[name] = npy(array)
    changed = key in NETWORK_KEYS and action not in ("drop", "add")
    assert_refused_or_intact(original, zip_bytes(members), network_changed=changed)

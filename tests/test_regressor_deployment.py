"""A fitted SCANNRegressor saved, loaded, exported to C, summarised and plotted."""

# SPDX-License-Identifier: BSD-3-Clause

import copy
import io
import json
import zipfile

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.datasets import load_diabetes, load_iris, make_regression  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from test_export import compile_and_run, needs_cc  # noqa: E402

from sklearn_scann import (  # noqa: E402
    CostModel,
    SCANNClassifier,
    SCANNRegressor,
    export_c,
    load,
    plot_frontier,
    plot_history,
    plot_topology,
)

TINY = {"n_rounds": 1, "epochs_per_step": 2, "random_state": 0}
N_TRAIN = 150  # rows fitted; the rest are held out


def fitted(X, y, **params):
    return SCANNRegressor(**{**TINY, **params}).fit(X[:N_TRAIN], y[:N_TRAIN])


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y, fitted(X, y)


@pytest.fixture(scope="module")
def three_targets():
    X, y = make_regression(
        n_samples=200, n_features=6, n_targets=3, noise=5.0, random_state=0
    )
    return X, y, fitted(X, y)


@pytest.fixture(scope="module", params=["single", "multi"])
def problem(request, diabetes, three_targets):
    return diabetes if request.param == "single" else three_targets


@pytest.fixture(scope="module")
def classifier():
    X, y = load_iris(return_X_y=True)
    return SCANNClassifier(n_rounds=1, epochs_per_step=1, random_state=0).fit(X, y)


def members_of(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def metadata_of(path) -> dict:
    with np.load(path, allow_pickle=False) as archive:
        return json.loads(archive["metadata"].tobytes())


def with_metadata(path, metadata, out):
    """A copy of the model file ``path`` at ``out`` holding ``metadata``."""
    buffer = io.BytesIO()
    np.lib.format.write_array(
        buffer, np.frombuffer(json.dumps(metadata).encode(), np.uint8)
    )
    members = {**members_of(path), "metadata.npy": buffer.getvalue()}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out


# -- save and load ---------------------------------------------------------------


def test_round_trip_predicts_exactly(problem, tmp_path):
    X, y, model = problem
    loaded = load(model.save(tmp_path / "model.npz"))
    assert type(loaded) is SCANNRegressor
    prediction = loaded.predict(X)
    assert prediction.shape == model.predict(X).shape == y.shape
    assert np.array_equal(prediction, model.predict(X))
    assert np.array_equal(loaded.target_mean_, model.target_mean_)
    assert np.array_equal(loaded.target_scale_, model.target_scale_)
    assert loaded.n_outputs_ == model.n_outputs_ == (1 if y.ndim == 1 else 3)
    assert loaded.get_params() == model.get_params()
    assert loaded.history_ == model.history_
    assert loaded.best_step_ == model.best_step_
    assert loaded.score(X, y) == model.score(X, y)


def test_file_holds_the_task_and_target_scaling(problem, tmp_path):
    _, y, model = problem
    metadata = metadata_of(model.save(tmp_path / "model.npz"))
    assert metadata["format_version"] == 3
    assert metadata["estimator"] == "SCANNRegressor"
    assert metadata["task"] == "regression"
    assert metadata["target_mean"] == model.target_mean_.tolist()
    assert metadata["target_scale"] == model.target_scale_.tolist()
    assert metadata["single"] is (y.ndim == 1)
    assert metadata["output_names"] is None
    assert "classes" not in metadata


def test_frontier_networks_survive_and_select_works(problem, tmp_path):
    X, _, model = problem
    assert len(model.frontier_networks_) > 1
    loaded = load(model.save(tmp_path / "model.npz"))
    assert loaded.frontier_ == model.frontier_
    assert set(loaded.frontier_networks_) == set(model.frontier_networks_)
    for step, network in model.frontier_networks_.items():
        assert np.array_equal(
            loaded.frontier_networks_[step].decision_function(X),
            network.decision_function(X),
        )
    budget = model.frontier_[0]["n_connections"]
    chosen = loaded.select(max_connections=budget)
    assert chosen.best_step_ == model.frontier_[0]["step"]
    assert np.array_equal(
        chosen.predict(X), model.select(max_connections=budget).predict(X)
    )


def test_pandas_feature_names_round_trip(tmp_path):
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = fitted(X, y)
    loaded = load(model.save(tmp_path / "frame.npz"))
    assert list(loaded.feature_names_in_) == list(X.columns)
    assert np.array_equal(loaded.predict(X), model.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(X.rename(columns={"age": "AGE"}))


def test_classifier_files_are_written_as_before(classifier, tmp_path):
    path = classifier.save(tmp_path / "iris.npz")
    metadata = metadata_of(path)
    assert metadata["format_version"] == 2
    assert "classes" in metadata
    assert not {"task", "target_mean", "target_scale", "single"} & set(metadata)
    X, _ = load_iris(return_X_y=True)
    loaded = load(path, expect="classifier")
    assert np.array_equal(loaded.predict_proba(X), classifier.predict_proba(X))


def test_version_3_classifier_file_names_its_task(classifier, tmp_path):
    path = classifier.save(tmp_path / "iris.npz")
    metadata = {**metadata_of(path), "format_version": 3}
    with pytest.raises(ValueError, match=r"lacking \['task'\]"):
        load(with_metadata(path, metadata, tmp_path / "no_task.npz"))
    metadata["task"] = "classification"
    loaded = load(with_metadata(path, metadata, tmp_path / "task.npz"))
    assert type(loaded) is SCANNClassifier


# -- the kind of model ------------------------------------------------------------


@pytest.mark.parametrize("expect", ["classifier", SCANNClassifier])
def test_regressor_file_is_refused_where_a_classifier_is_expected(
    diabetes, tmp_path, expect
):
    path = diabetes[2].save(tmp_path / "model.npz")
    with pytest.raises(ValueError, match="holds a SCANNRegressor, not a SCANNClass"):
        load(path, expect=expect)
    assert type(load(path, expect="regressor")) is SCANNRegressor
    assert type(load(path, expect=SCANNRegressor)) is SCANNRegressor


@pytest.mark.parametrize("expect", ["regressor", SCANNRegressor])
def test_classifier_file_is_refused_where_a_regressor_is_expected(
    classifier, tmp_path, expect
):
    path = classifier.save(tmp_path / "iris.npz")
    with pytest.raises(ValueError, match="holds a SCANNClassifier, not a SCANNRegr"):
        load(path, expect=expect)
    assert type(load(path, expect=SCANNClassifier)) is SCANNClassifier


@pytest.mark.parametrize("expect", ["Regressor", "SCANNRegressor", object, 1])
def test_bad_expect_is_refused(diabetes, tmp_path, expect):
    path = diabetes[2].save(tmp_path / "model.npz")
    with pytest.raises(ValueError, match="expect must be None, 'classifier'"):
        load(path, expect=expect)


def test_unknown_estimator_names_both_kinds(diabetes, tmp_path):
    path = diabetes[2].save(tmp_path / "model.npz")
    metadata = {**metadata_of(path), "estimator": "MLPRegressor"}
    forged = with_metadata(path, metadata, tmp_path / "forged.npz")
    with pytest.raises(ValueError, match="not a SCANNClassifier or a SCANNRegressor"):
        load(forged)
    with pytest.raises(ValueError, match="'MLPRegressor', not a SCANNRegressor"):
        load(forged, expect="regressor")


# -- forged regressor files ---------------------------------------------------------


def _set(**fields):
    return lambda metadata, n_outputs: metadata.update(fields)


@pytest.mark.parametrize(
    "edit, match",
    [
        (_set(target_scale=[-1.0]), "target_scale"),
        (_set(target_scale=[float("nan")]), "target_scale"),
        (_set(target_scale=[float("inf")]), "target_scale"),
        (_set(target_scale=[10**400]), "target_scale"),
        (_set(target_scale=["1"]), "target_scale"),
        (_set(target_scale=1.0), "target_scale"),
        (_set(target_scale=[1.0, 1.0]), "target_scale"),
        (_set(target_mean=[]), "target_mean"),
        (_set(target_mean=[float("nan")]), "target_mean"),
        (_set(target_mean=[10**400]), "target_mean"),
        (_set(target_mean=None), "target_mean"),
        (
            _set(target_mean=[0.0, 0.0], target_scale=[1.0, 1.0], single=False),
            "inconsistent: 10 features and 2 targets",
        ),
        (_set(single=1), "single=1"),
        (_set(single=None), "single=None"),
        (_set(output_names=["a", "b"]), "output name"),
        (_set(output_names="y"), "output name"),
        (_set(task="classification"), "task 'classification'"),
        (_set(task=None), "task None"),
        (_set(format_version=2), "SCANNRegressor in format version 2"),
        (_set(classes={"kind": "int", "values": [0, 1]}), "unknown.*classes"),
        (lambda m, n: m.pop("target_scale"), r"lacking \['target_scale'\]"),
        (lambda m, n: m.pop("output_names"), r"lacking \['output_names'\]"),
        (lambda m, n: m.pop("task"), r"lacking \['task'\]"),
        (_set(estimator="SCANNClassifier"), "lacking"),
        (_set(estimator=["SCANNRegressor"]), "holds a \\['SCANNRegressor'\\]"),
    ],
)
def test_forged_single_output_file_is_refused(diabetes, tmp_path, edit, match):
    path = diabetes[2].save(tmp_path / "model.npz")
    metadata = metadata_of(path)
    edit(metadata, 1)
    with pytest.raises(ValueError, match=match):
        load(with_metadata(path, metadata, tmp_path / "forged.npz"))


@pytest.mark.parametrize(
    "edit, match",
    [
        (_set(single=True), "single=True for 3 targets"),
        (_set(target_scale=[1.0, -2.0, 1.0]), "target_scale"),
        (_set(target_scale=[1.0, 1.0]), "not 3 finite non-negative"),
        (
            _set(target_mean=[0.0] * 4, target_scale=[1.0] * 4),
            "inconsistent: 6 features and 4 targets",
        ),
        (_set(output_names=["a", "b", 3]), "output name"),
    ],
)
def test_forged_multi_output_file_is_refused(three_targets, tmp_path, edit, match):
    path = three_targets[2].save(tmp_path / "model.npz")
    metadata = metadata_of(path)
    edit(metadata, 3)
    with pytest.raises(ValueError, match=match):
        load(with_metadata(path, metadata, tmp_path / "forged.npz"))


def test_output_names_are_kept_saved_and_forgotten_on_refit(three_targets, tmp_path):
    pd = pytest.importorskip("pandas")
    X, y, _ = three_targets
    Y = pd.DataFrame(y, columns=["north", "south", "east"])
    model = fitted(X, Y)
    assert model.output_names_.tolist() == ["north", "south", "east"]
    assert metadata_of(model.save(tmp_path / "named.npz"))["output_names"] == [
        "north",
        "south",
        "east",
    ]
    loaded = load(tmp_path / "named.npz")
    assert loaded.output_names_.tolist() == ["north", "south", "east"]
    assert np.array_equal(loaded.predict(X), model.predict(X))
    frontier_step = min(model.frontier_networks_)
    budget = model.history_[frontier_step]["n_connections"]
    assert model.select(max_connections=budget).output_names_.tolist() == [
        "north",
        "south",
        "east",
    ]
    series = fitted(X, pd.Series(y[:, 0], name="price"))
    assert series.output_names_.tolist() == ["price"]
    # Unnamed (or not all string) targets have no names; a refit forgets them.
    model.fit(X[:N_TRAIN], y[:N_TRAIN])
    assert not hasattr(model, "output_names_")
    assert not hasattr(fitted(X, pd.DataFrame(y)), "output_names_")
    assert metadata_of(model.save(tmp_path / "plain.npz"))["output_names"] is None


def test_output_names_are_accepted_when_well_formed(three_targets, tmp_path):
    X, _, model = three_targets
    path = model.save(tmp_path / "model.npz")
    metadata = {**metadata_of(path), "output_names": ["a", "b", "c"]}
    loaded = load(with_metadata(path, metadata, tmp_path / "named.npz"))
    assert np.array_equal(loaded.predict(X), model.predict(X))
    assert loaded.output_names_.tolist() == ["a", "b", "c"]


@pytest.mark.parametrize(
    "param, value",
    [
        ("cost_model", {"kind": "CostModel", "fields": {"multiply_pj": 10**400}}),
        ("random_state", {"kind": "RandomState", "pos": 0, "has_gauss": 0}),
    ],
)
def test_huge_json_integers_are_a_value_error(diabetes, tmp_path, param, value):
    # 10**400 parses as a Python int that no float holds: math.isfinite on it
    # raises OverflowError, which load() must not let out.
    model = copy.deepcopy(diabetes[2]).set_params(
        cost_model=CostModel(), random_state=np.random.RandomState(0)
    )
    path = model.save(tmp_path / "model.npz")
    metadata = metadata_of(path)
    encoded = metadata["params"][param]
    if param == "cost_model":
        encoded["fields"]["multiply_pj"] = 10**400
    else:
        encoded["gauss"] = 10**400
    with pytest.raises(ValueError, match=param):
        load(with_metadata(path, metadata, tmp_path / "huge.npz"))


# -- C export ------------------------------------------------------------------------

HARNESS = """\
#include <stdio.h>
#include "{name}.h"

int main(void)
{{
    {T} x[{NAME}_N_FEATURES], y[{NAME}_N_OUTPUTS];
    int j;

    while (scanf("{scan}", &x[0]) == 1) {{
        for (j = 1; j < {NAME}_N_FEATURES; ++j)
            if (scanf("{scan}", &x[j]) != 1)
                return 1;
        {name}_predict(x, y);
        for (j = 0; j < {NAME}_N_OUTPUTS; ++j)
            printf(" %.{digits}g", (double)y[j]);
        printf("\\n");
    }}
    return 0;
}}
"""


def c_predictions(directory, name, dtype, X) -> np.ndarray:
    """The exported ``<name>_predict`` of every row of ``X``, compiled and run."""
    harness = HARNESS.format(
        name=name,
        NAME=name.upper(),
        T=dtype,
        scan="%f" if dtype == "float" else "%lf",
        digits=9 if dtype == "float" else 17,
    )
    rows = "\n".join(" ".join(repr(float(v)) for v in row) for row in X)
    # No -lm: a regressor's code calls no math function.
    printed = compile_and_run(directory, name, harness, rows, link_math=False)
    return np.loadtxt(printed.splitlines(), ndmin=2)


@needs_cc
@pytest.mark.parametrize("dtype, rtol", [("float", 1e-4), ("double", 1e-12)])
def test_compiled_regressor_matches_predict(problem, dtype, rtol, tmp_path):
    X, _, model = problem
    held_out = X[N_TRAIN:]
    header, _ = model.export_c(tmp_path, name="reg_net", dtype=dtype)
    predicted = model.predict(held_out).reshape(len(held_out), -1)
    from_c = c_predictions(tmp_path, "reg_net", dtype, held_out)
    assert from_c.shape == predicted.shape == (len(held_out), model.n_outputs_)
    # Relative to the targets' spread: float rounding scales with the terms.
    np.testing.assert_allclose(
        from_c, predicted, rtol=rtol, atol=rtol * model.target_scale_.max()
    )


def test_regressor_header_has_outputs_not_classes(three_targets, tmp_path):
    model = three_targets[2]
    header, source = export_c(model, tmp_path, name="reg_net")
    text = header.read_text()
    assert "#define REG_NET_N_OUTPUTS 3" in text
    assert "void reg_net_predict(const float *x, float *y);" in text
    assert "3 outputs" in text
    code = text + source.read_text()
    for absent in ("CLASSES", "classes", "logits", "proba", "exp(", "math.h"):
        assert absent not in code


def test_single_output_header_says_one_output(diabetes, tmp_path):
    header, _ = export_c(diabetes[2], tmp_path, name="reg_net")
    assert "#define REG_NET_N_OUTPUTS 1" in header.read_text()
    assert "10 input features, 1 output," in header.read_text()


def test_export_checks_the_regressor(three_targets, tmp_path):
    model = copy.copy(three_targets[2])
    model.n_outputs_ = 2
    with pytest.raises(ValueError, match="n_outputs_=2 does not match the 3"):
        export_c(model, tmp_path)
    with pytest.raises(NotFittedError):
        export_c(SCANNRegressor(), tmp_path)
    assert not list(tmp_path.iterdir())


# -- summary and plots ----------------------------------------------------------------


def test_summary(problem, capsys):
    model = problem[2]
    table = model.summary()
    assert capsys.readouterr().out.strip() == table
    assert table.startswith(f"SCANNRegressor (scheme {model.scheme})")
    assert f"{model.n_connections_:,d}" in table


def saved_png(ax, path) -> bytes:
    ax.figure.savefig(path)
    plt.close(ax.figure)
    return path.read_bytes()[:8]


PNG = b"\x89PNG\r\n\x1a\n"


def test_plot_history(problem, tmp_path):
    model = problem[2]
    ax = plot_history(model)
    assert ax.right_ax.get_ylabel() == "validation R²"
    scores = list(ax.right_ax.get_lines()[0].get_ydata())
    assert scores == [h["validation_score"] for h in model.history_]
    assert saved_png(ax, tmp_path / "history.png") == PNG


def test_plot_frontier(problem, tmp_path):
    model = problem[2]
    ax = plot_frontier(model)
    assert ax.get_ylabel() == "validation R²"
    assert "R² against size" in ax.get_title()
    assert "accuracy" not in ax.get_title()
    assert saved_png(ax, tmp_path / "frontier.png") == PNG


def test_plot_topology(problem, tmp_path):
    model = problem[2]
    ax = plot_topology(model)
    segments = sum(len(c.get_segments()) for c in ax.collections[:2])
    assert segments == model.n_connections_
    assert saved_png(ax, tmp_path / "topology.png") == PNG


def test_score_axis_names_another_scorer_plainly(diabetes):
    model = copy.copy(diabetes[2]).set_params(scoring="neg_mean_absolute_error")
    ax = plot_history(model)
    assert ax.right_ax.get_ylabel() == "validation score"
    plt.close(ax.figure)
    ax = plot_frontier(model)
    assert ax.get_ylabel() == "validation score"
    assert "score against size" in ax.get_title()
    plt.close(ax.figure)


def test_classifier_plots_keep_their_labels(classifier):
    ax = plot_frontier(classifier)
    assert ax.get_ylabel() == "validation score"
    assert "accuracy against size" in ax.get_title()
    plt.close(ax.figure)
    ax = plot_history(classifier)
    assert ax.right_ax.get_ylabel() == "validation score"
    plt.close(ax.figure)


def test_plot_topology_without_skip_connections(blobs, fast, tmp_path):
    # Scheme C has none: the empty group still gets its legend entry.
    X, y = blobs
    model = SCANNClassifier("C", random_state=0, **fast).fit(X, y)
    assert model.n_skip_connections_ == 0
    ax = plot_topology(model)
    labels = [t.get_label() for t in ax.collections[:2]]
    assert labels == [f"adjacent ({model.n_connections_})", "skip (0)"]
    assert saved_png(ax, tmp_path / "topology.png") == PNG


def test_constant_target_round_trips_exactly(tmp_path):
    X = np.random.default_rng(0).normal(size=(60, 3))
    model = SCANNRegressor(n_rounds=1, epochs_per_step=2, random_state=0)
    model.fit(X, np.full(60, 4.25))
    loaded = load(model.save(tmp_path / "constant.npz"))
    assert np.all(loaded.predict(X) == 4.25)
    assert loaded.target_scale_.tolist() == [0.0]

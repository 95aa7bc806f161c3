"""export_c: the generated C99 compiles and agrees with the Python model."""

# SPDX-License-Identifier: BSD-3-Clause

import copy
import shutil
import subprocess

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNClassifier, Topology
from sklearn_scann._compact import CompactNetwork
from sklearn_scann._export import _Literals, export_c

C_COMPILER = shutil.which("cc") or shutil.which("gcc")
CXX_COMPILER = shutil.which("c++") or shutil.which("g++")
needs_cc = pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None,
    reason="needs a C compiler (cc or gcc)",
)
# Stricter than the brief asks: -pedantic for plain C99, -Wdouble-promotion so
# that float code cannot drift into double arithmetic unnoticed.
C_FLAGS = [
    "-std=c99",
    "-pedantic",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Wdouble-promotion",
    "-Werror",
]
N_SAMPLES = 200
# Probability tolerance and printf precision per C type.
TOLERANCE = {"float": 1e-5, "double": 1e-12}
DIGITS = {"float": 9, "double": 17}

PREDICTION_HARNESS = """\
#include <stdio.h>
#include "{name}.h"

int main(void)
{{
    {T} x[{NAME}_N_FEATURES], proba[{NAME}_N_CLASSES], logits[{NAME}_N_CLASSES];
    int j;

    while (scanf("{scan}", &x[0]) == 1) {{
        for (j = 1; j < {NAME}_N_FEATURES; ++j)
            if (scanf("{scan}", &x[j]) != 1)
                return 1;
        printf("%d", {name}_predict(x));
        {name}_predict_proba(x, proba);
        for (j = 0; j < {NAME}_N_CLASSES; ++j)
            printf(" %.{digits}g", (double)proba[j]);
        {name}_logits(x, logits);
        for (j = 0; j < {NAME}_N_CLASSES; ++j)
            printf(" %.{digits}g", (double)logits[j]);
        printf("\\n");
    }}
    return 0;
}}
"""

LABEL_HARNESS = """\
#include <stdio.h>
#include "{name}.h"

int main(void)
{{
    int j;

    for (j = 0; j < {NAME}_N_CLASSES; ++j)
        printf("{fmt}\\n", {name}_classes[j]);
    return 0;
}}
"""


def compile_and_run(directory, name, harness, stdin="", *, link_math=True):
    """Compile ``main.c`` with the exported ``<name>.c`` and return its stdout.

    ``link_math=False`` links without ``-lm``: the code must call no math
    function.
    """
    (directory / "main.c").write_text(harness)
    program = directory / "main"
    libraries = ["-lm"] if link_math else []
    build = subprocess.run(
        [C_COMPILER, *C_FLAGS, "main.c", f"{name}.c", "-o", str(program), *libraries],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if build.returncode != 0:
        pytest.fail(f"the exported C does not compile:\n{build.stderr}")
    result = subprocess.run(
        [str(program)],
        input=stdin.encode("ascii"),
        check=True,
        capture_output=True,
        timeout=60,
    )
    return result.stdout.decode("utf-8")


def run_predictions(directory, name, dtype, X):
    """Class index, probabilities and logits of every row of ``X``, from C."""
    harness = PREDICTION_HARNESS.format(
        name=name,
        NAME=name.upper(),
        T=dtype,
        scan="%f" if dtype == "float" else "%lf",
        digits=DIGITS[dtype],
    )
    stdin = "\n".join(" ".join(repr(float(v)) for v in row) for row in X)
    output = np.loadtxt(
        compile_and_run(directory, name, harness, stdin).splitlines(), ndmin=2
    )
    assert output.shape[0] == X.shape[0]
    n_classes = (output.shape[1] - 1) // 2
    return (
        output[:, 0].astype(int),
        output[:, 1 : 1 + n_classes],
        output[:, 1 + n_classes :],
    )


# -- fitted models ------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return X[:900], y[:900]


@pytest.fixture(scope="module", params=["A", "B", "C"])
def digits_model(request, digits):
    # Two hidden layers for B, so that skips of several lengths are exported.
    hidden = {"hidden_layer_sizes": (24, 12)} if request.param == "B" else {}
    model = SCANNClassifier(
        request.param,
        n_rounds=1,
        epochs_per_step=3,
        initial_epochs=15,
        learning_rate=3e-2,
        random_state=0,
        **hidden,
    )
    return model.fit(*digits)


@pytest.fixture(scope="module")
def iris_model():
    X, y = load_iris(return_X_y=True)
    model = SCANNClassifier(n_rounds=1, epochs_per_step=2, random_state=0)
    return model.fit(X, y)


# -- compiled against the Python model ------------------------------------------


@needs_cc
@pytest.mark.parametrize("dtype", ["float", "double"])
def test_compiled_model_matches_predict_proba(digits_model, digits, dtype, tmp_path):
    X = digits[0][:N_SAMPLES]
    export_c(digits_model, tmp_path, name="digits_net", dtype=dtype)
    predicted, proba, logits = run_predictions(tmp_path, "digits_net", dtype, X)
    expected = digits_model.predict_proba(X)
    np.testing.assert_array_equal(predicted, np.argmax(expected, axis=1))
    np.testing.assert_allclose(proba, expected, rtol=0, atol=TOLERANCE[dtype])
    tolerance = 10 * TOLERANCE[dtype]
    np.testing.assert_allclose(
        logits,
        digits_model.network_.decision_function(X),
        rtol=tolerance,
        atol=tolerance,
    )


@needs_cc
def test_binary_model_exports_its_single_logit(tmp_path):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = SCANNClassifier(
        n_rounds=1, epochs_per_step=3, initial_epochs=15, random_state=0
    ).fit(X, y)
    assert model.topology_.layer_sizes[-1] == 1  # one logit for two classes
    header, _ = export_c(model, tmp_path, name="cancer_net", dtype="double")
    assert "#define CANCER_NET_N_CLASSES 2" in header.read_text()
    predicted, proba, logits = run_predictions(tmp_path, "cancer_net", "double", X[:40])
    expected = model.predict_proba(X[:40])
    np.testing.assert_array_equal(predicted, np.argmax(expected, axis=1))
    np.testing.assert_allclose(proba, expected, rtol=0, atol=TOLERANCE["double"])
    np.testing.assert_array_equal(logits[:, 0], 0.0)
    np.testing.assert_allclose(
        logits[:, 1], model.network_.decision_function(X[:40])[:, 0], atol=1e-9
    )


def test_skip_connections_are_exported(digits_model, tmp_path):
    topology = digits_model.topology_
    src, dst = topology.edges()
    skips = topology.layer_of[dst] - topology.layer_of[src] > 1
    # Scheme C joins adjacent layers only; A and B also skip layers.
    assert skips.any() == (digits_model.scheme != "C")
    _, source = export_c(digits_model, tmp_path, name="net")
    text = source.read_text()
    skip_blocks = [
        (target, source)
        for target, entries in digits_model.network_.blocks.items()
        for source, _ in entries
        if source < target - 1
    ]
    assert bool(skip_blocks) == skips.any()
    for target, source in skip_blocks:
        assert f"static const float net_w{target}_{source}[" in text
        assert f"net_w{target}_{source}[k] * " in text


def test_generated_code_allocates_nothing(digits_model, tmp_path):
    header, source = export_c(digits_model, tmp_path, name="net")
    text = source.read_text()
    for allocation in ("malloc", "calloc", "realloc", "free("):
        assert allocation not in text
    # Every file-scope array is constant; buffers are on the stack.
    assert all(
        line.startswith("static const ")
        for line in text.splitlines()
        if line.startswith("static")
    )
    assert "#include <math.h>" in text
    assert not [
        line
        for line in (header.read_text() + text).splitlines()
        if line.startswith("#include <") and line != "#include <math.h>"
    ]


# -- networks built by hand ---------------------------------------------------------


def empty_hidden_layer(rng):
    """Inputs feed the output directly; the hidden layer has no neurons."""
    topology = Topology.from_edges([3, 0, 2], [0, 0, 1, 2], [3, 4, 4, 3])
    return topology, rng.normal(size=4), rng.normal(size=5)


def hidden_layer_without_outputs(rng):
    """A hidden layer with inputs but no path to the output: left out of the C."""
    topology = Topology.from_edges(
        [3, 2, 2], [0, 1, 0, 1, 2], [3, 3, 5, 6, 5], skip=True
    )
    return topology, rng.normal(size=5), rng.normal(size=7)


def hidden_neuron_fed_by_bias_only(rng):
    """A hidden neuron without inputs still passes ReLU(bias) on."""
    topology = Topology.from_edges([2, 1, 2], [0, 1, 2], [3, 3, 4])
    biases = np.array([0.0, 0.0, 0.7, -0.2, 0.3])
    return topology, rng.normal(size=3), biases


def no_connections(rng):
    """The output is its biases alone."""
    topology = Topology.from_edges([2, 3], [], [])
    return topology, np.zeros(0), rng.normal(size=5)


def several_empty_layers(rng):
    """Empty layers around a non-empty one, and skips over all of them."""
    topology = Topology.from_edges([2, 0, 2, 0, 3], [0, 1, 0, 2, 3], [2, 3, 6, 4, 5])
    return topology, rng.normal(size=5), rng.normal(size=7)


@needs_cc
@pytest.mark.parametrize("dtype", ["float", "double"])
@pytest.mark.parametrize(
    "build",
    [
        empty_hidden_layer,
        hidden_layer_without_outputs,
        hidden_neuron_fed_by_bias_only,
        no_connections,
        several_empty_layers,
    ],
)
def test_hand_built_network_matches_decision_function(build, dtype, tmp_path, rng):
    network = CompactNetwork(*build(rng))
    X = rng.normal(size=(20, network.topology.layer_sizes[0]))
    export_c(network, tmp_path, name="tiny", dtype=dtype)
    predicted, proba, logits = run_predictions(tmp_path, "tiny", dtype, X)
    expected = network.decision_function(X)
    tolerance = TOLERANCE[dtype]
    np.testing.assert_allclose(logits, expected, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(proba, softmax(expected, axis=1), atol=tolerance)
    np.testing.assert_array_equal(predicted, np.argmax(expected, axis=1))


@needs_cc
def test_first_maximum_wins_ties(tmp_path):
    # No connections: the logits are the biases, three of them tied for the max.
    topology = Topology.from_edges([2, 4], [], [])
    network = CompactNetwork(topology, [], [0.0, 0.0, -1.0, 2.0, 2.0, 2.0])
    export_c(network, tmp_path, name="tied")
    predicted, proba, _ = run_predictions(tmp_path, "tied", "float", np.ones((1, 2)))
    np.testing.assert_array_equal(predicted, [1])
    np.testing.assert_allclose(proba, softmax([[-1.0, 2.0, 2.0, 2.0]], axis=1))


@needs_cc
@pytest.mark.parametrize("dtype", ["float", "double"])
def test_softmax_does_not_overflow(dtype, tmp_path):
    # exp(1000) overflows both types; subtracting the largest logit avoids it.
    topology = Topology.from_edges([1, 3], [], [])
    network = CompactNetwork(topology, [], [0.0, 1000.0, 1001.0, -1000.0])
    export_c(network, tmp_path, name="huge", dtype=dtype)
    predicted, proba, _ = run_predictions(tmp_path, "huge", dtype, np.ones((1, 1)))
    np.testing.assert_array_equal(predicted, [1])
    expected = softmax([[1000.0, 1001.0, -1000.0]], axis=1)
    np.testing.assert_allclose(proba, expected, atol=TOLERANCE[dtype])


# -- class labels -----------------------------------------------------------------


@needs_cc
@pytest.mark.parametrize(
    "classes, ctype, fmt",
    [
        (np.array([3, -7, 12]), "const int", "%d"),
        (np.array([-(2**63), 0, 2**40]), "const long long", "%lld"),
        (np.array([70_000, 1, 2]), "const long", "%ld"),
        (
            np.array(['say "hi"', "??= trigraph\\", "caf\u00e9 \u2603"], dtype=object),
            "const char *const",
            "%s",
        ),
    ],
)
def test_class_labels_are_exported(iris_model, classes, ctype, fmt, tmp_path):
    model = copy.copy(iris_model)
    model.classes_ = classes
    header, _ = export_c(model, tmp_path, name="iris_net")
    assert f"extern {ctype} iris_net_classes[IRIS_NET_N_CLASSES];" in (
        header.read_text()
    )
    harness = LABEL_HARNESS.format(name="iris_net", NAME="IRIS_NET", fmt=fmt)
    printed = compile_and_run(tmp_path, "iris_net", harness).splitlines()
    assert printed == [str(c) for c in classes]


@needs_cc
def test_other_labels_are_listed_in_a_comment(iris_model, tmp_path):
    model = copy.copy(iris_model)
    model.classes_ = np.array([0.5, 1.5, 2.5])
    header, source = export_c(model, tmp_path, name="iris_net")
    assert "0.5, 1.5, 2.5" in header.read_text()
    assert "iris_net_classes" not in header.read_text() + source.read_text()
    predicted, _, _ = run_predictions(tmp_path, "iris_net", "float", np.ones((1, 4)))
    assert predicted.shape == (1,)


def test_bare_network_is_labelled_by_index(iris_model, tmp_path):
    header, _ = export_c(iris_model.network_, tmp_path, name="net")
    assert "extern const int net_classes[NET_N_CLASSES];" in header.read_text()


@needs_cc
@pytest.mark.skipif(CXX_COMPILER is None, reason="needs a C++ compiler")
def test_header_is_valid_cxx(iris_model, tmp_path):
    model = copy.copy(iris_model)
    model.classes_ = np.array(["a", "b", "c"])
    export_c(model, tmp_path, name="iris_net")
    (tmp_path / "use.cpp").write_text(
        '#include "iris_net.h"\n'
        "int main() { float x[IRIS_NET_N_FEATURES] = {0}; "
        "return iris_net_classes[iris_net_predict(x)][0] == 0; }\n"
    )
    subprocess.run(
        [CXX_COMPILER, "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "use.cpp"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )


# -- files, literals and errors ---------------------------------------------------


def test_writes_header_and_source_into_a_new_directory(iris_model, tmp_path):
    directory = tmp_path / "out" / "c"
    paths = export_c(iris_model, str(directory), name="iris_net", dtype="double")
    assert paths == (directory / "iris_net.h", directory / "iris_net.c")
    header, source = (path.read_text() for path in paths)
    assert header.startswith("/* iris_net.h:")
    for line in (
        "#ifndef IRIS_NET_H",
        "#define IRIS_NET_N_FEATURES 4",
        "#define IRIS_NET_N_CLASSES 3",
        'extern "C" {',
        "int iris_net_predict(const double *x);",
        "void iris_net_predict_proba(const double *x, double *proba);",
        "void iris_net_logits(const double *x, double *logits);",
    ):
        assert line in header.splitlines()
    assert '#include "iris_net.h"' in source
    assert "exp(" in source and "expf(" not in source


@pytest.mark.parametrize("dtype", ["float", "double"])
def test_float_literals_round_trip(dtype, rng):
    values = np.concatenate(
        [
            rng.normal(size=200) * 10.0 ** rng.integers(-30, 30, size=200),
            [0.0, -0.0, 1.0, -2.0, 0.1, 1e-38, 3e38, 1 / 3],
        ]
    )
    literals = _Literals(dtype)
    texts = literals.format(values, "weights")
    numpy_type = np.float32 if dtype == "float" else np.float64
    for value, text in zip(values, texts, strict=True):
        assert text.endswith("f") == (dtype == "float")
        body = text.removesuffix("f")
        assert "." in body or "e" in body
        assert numpy_type(body) == numpy_type(value)


@pytest.mark.parametrize("value", [np.inf, np.nan, 1e39])
def test_non_finite_weights_raise(value, tmp_path):
    topology = Topology.from_edges([1, 1], [0], [1])
    network = CompactNetwork(topology, [value], [0.0, 0.0])
    with pytest.raises(ValueError, match="not finite as a C float"):
        export_c(network, tmp_path)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "name", ["", "3d_model", "my-model", "model.v2", "mod\u00e8le"]
)
def test_bad_name_raises(iris_model, name, tmp_path):
    with pytest.raises(ValueError, match="name must be a valid C identifier"):
        export_c(iris_model, tmp_path, name=name)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("dtype", ["float32", "int", "long double", None])
def test_bad_dtype_raises(iris_model, dtype, tmp_path):
    with pytest.raises(ValueError, match="dtype must be 'float' or 'double'"):
        export_c(iris_model, tmp_path, dtype=dtype)


def test_unfitted_classifier_raises(tmp_path):
    with pytest.raises(NotFittedError):
        export_c(SCANNClassifier(), tmp_path)
    assert not list(tmp_path.iterdir())

"""Export a fitted network as dependency-free C99 source for embedded inference."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import re
import textwrap
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.base import is_regressor
from sklearn.utils.validation import check_is_fitted

from ._compact import CompactNetwork
from ._quantize import QMAX, quantize_network

__all__ = ["export_c"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DTYPES = {"float": np.float32, "double": np.float64}
_WIDTH = 79

# The smallest standard unsigned type for a largest value; C99 guarantees these
# ranges without <stdint.h> (unsigned long holds at least 32 bits).
_INDEX_TYPES = (
    (255, "unsigned char", 1),
    (65_535, "unsigned short", 2),
    (4_294_967_295, "unsigned long", 4),
)
# Signed types of an integer export's biases, by largest magnitude (the
# symmetric ranges C99 guarantees); int32_t, from <stdint.h>, since long takes
# 8 bytes on most 64-bit systems.
_BIAS_TYPES = (
    (127, "signed char", 1),
    (32_767, "short", 2),
    (2_147_483_647, "int32_t", 4),
    (2**63 - 1, "long long", 8),
)


def export_c(
    model, directory, *, name="scann_model", dtype="float", X_calibration=None
):
    """Write a fitted network as a C99 header and source file.

    The generated code depends on nothing but ``<math.h>`` (a regressor's,
    on nothing at all): the sparse weights are ``static const`` arrays and
    the forward pass allocates no memory, so it suits microcontrollers and
    other embedded targets.

    Parameters
    ----------
    model : SCANNClassifier, SCANNRegressor or CompactNetwork
        A fitted classifier or regressor, or a bare network, exported as a
        classifier whose outputs are labelled ``0 .. n_outputs - 1``.
    directory : str or path-like
        Where to write the files; created if it does not exist. Files of the
        same names are overwritten.
    name : str, default="scann_model"
        Base name of the files and prefix of every C symbol: the header is
        ``<name>.h``, the functions are ``<name>_predict`` and so on, the
        macros ``<NAME>_N_FEATURES`` and ``<NAME>_N_CLASSES`` (a
        regressor's: ``<NAME>_N_OUTPUTS``). Must be an ASCII C identifier.
    dtype : {"float", "double", "int8", "int16"}, default="float"
        C type of the inputs, weights, arithmetic and outputs; or, for
        ``"int8"`` and ``"int16"``, of the quantized weights and activations
        of integer-only arithmetic (see Notes).
    X_calibration : array-like of shape (n_samples, n_features), default=None
        Rows of inputs, preprocessed as for ``predict`` (the training data,
        say), that set the scale of each layer's activations. Required for
        an integer ``dtype``; unused for ``"float"`` and ``"double"``.

    Returns
    -------
    header : pathlib.Path
        Path of ``<name>.h``.
    source : pathlib.Path
        Path of ``<name>.c``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``model`` is an estimator that has not been fitted.
    ValueError
        If ``name`` is not a C identifier, ``dtype`` is not supported, an
        integer ``dtype`` comes without ``X_calibration`` (or with one of
        the wrong width), a weight or bias is not finite in ``dtype``, or
        the model's
        ``n_features_in_``, classes or ``n_outputs_`` do not match its
        network.

    Notes
    -----
    For a classifier, the header declares three functions, each for one
    sample given as ``<NAME>_N_FEATURES`` values in the column order seen in
    ``fit``:

    - ``void <name>_logits(const T *x, T *logits)`` writes the output layer,
      like ``model.network_.decision_function``;
    - ``void <name>_predict_proba(const T *x, T *proba)`` writes the softmax
      of the logits (the largest logit is subtracted before ``exp``), like
      ``predict_proba``;
    - ``int <name>_predict(const T *x)`` returns the index of the largest
      logit, the first one on ties, like ``argmax`` of ``predict_proba``.

    ``T`` is ``dtype``. Integer and string class labels are also exported,
    as ``<name>_classes`` (``int``, ``long`` or ``long long`` by range, or
    ``const char *`` holding UTF-8 with non-ASCII bytes escaped), so that
    ``<name>_classes[<name>_predict(x)]`` matches ``model.predict``; other
    labels are listed in a comment of the header. The code covers the
    network only: preprocessing done before it in Python (scaling, encoding)
    must be redone by the caller. In C, with ``name="iris_net"``:

    .. code-block:: c

        #include "iris_net.h"

        float x[IRIS_NET_N_FEATURES] = {5.1f, 3.5f, 1.4f, 0.2f};
        int k = iris_net_predict(x);  /* label: iris_net_classes[k] */

    For a regressor, the header declares one function instead,
    ``void <name>_predict(const T *x, T *y)``, which writes the
    ``<NAME>_N_OUTPUTS`` predicted targets, in the targets' own units, to
    ``y``: ``y[i]`` is column ``i`` of ``model.predict`` (its only value
    when ``y`` was 1-D at fit). These are the network's outputs, since the
    regressor folds its target scaling into the output layer; there is no
    softmax, argmax or label array. In C, with ``name="diabetes_net"``:

    .. code-block:: c

        #include "diabetes_net.h"

        float y[DIABETES_NET_N_OUTPUTS];
        diabetes_net_predict(x, y);  /* y[0]: the predicted target */

    Memory layout (``"float"``, ``"double"``): each pair of layers (source,
    target) joined by at least one connection is a CSR block of three
    read-only arrays, row pointers (one per target neuron, plus one), column
    indices and weights (one per connection); indices use the smallest
    sufficient of ``unsigned char``, ``unsigned short`` and ``unsigned
    long``. Biases are one array per layer. All of it is ``static const``,
    so it can stay in flash memory.
    Hidden activations live in fixed-size arrays on the stack, sized at
    export time; no state is static or heap-allocated, so the functions are
    reentrant and thread-safe.

    Cost per sample: a multiply and an add per connection (``flops_``), an
    add per bias and a comparison per hidden neuron (ReLU);
    ``<name>_predict_proba`` of a classifier adds one ``exp`` and one
    division per class.
    Hidden layers with no path to the output are left out, since they
    cannot change it.

    With ``dtype="float"`` the results differ from the float64 Python model
    by rounding only (about 1e-6 relative); near-ties of two logits can then
    be broken differently. A regressor's rounding error is relative to the
    size of the terms summed, so it grows with the targets' scale. Weights
    are written with enough digits to round-trip exactly in ``dtype``.

    Integer export (``dtype="int8"`` or ``"int16"``): weights and
    activations are symmetric integers in ``[-QMAX, QMAX]`` (127 or 32767;
    hidden activations, after ReLU, in ``[0, QMAX]``). The inputs and each
    hidden layer have one activation scale, from ``X_calibration`` (int8:
    the 99.9th percentile of the layer's absolute activations, so that rare
    outliers saturate instead of coarsening everything; int16: the
    maximum). Each target layer has one accumulator scale shared by all the
    blocks (skip connections included) feeding it, so that every product
    adds up in one integer accumulator; a (source, target) block's weight
    scale is that scale divided by the source's activation scale. Biases
    are integers in accumulator units. A hidden neuron's accumulator is
    rescaled once, with a 64-bit integer multiply, a rounding add and a
    right shift, then clamped (ReLU). Accumulators are ``long`` (32 bits
    guaranteed) when no input can overflow 32 bits, else ``long long``
    (typically for int16, whose products alone take 31 bits). The header
    declares:

    - ``void <name>_quantize(const float *x, T *xq)``: ``xq[j]`` is
      ``x[j] / <NAME>_INPUT_SCALE`` rounded half away from zero, clamped
      (the only float arithmetic, besides a regressor's final scaling);
    - classifier: ``void <name>_logits_quantized(const T *xq, A *logits)``
      (logits in units of ``<NAME>_OUTPUT_SCALE``), ``int
      <name>_predict_quantized(const T *xq)`` and ``int <name>_predict(const
      float *x)``, which quantizes ``x`` first; no ``predict_proba``;
    - regressor: ``void <name>_predict_quantized(const T *xq, A *y)`` and
      ``void <name>_predict(const float *x, float *y)``, which returns
      ``(float)y_quantized[i] * <NAME>_OUTPUT_SCALE``.

    ``T`` is ``signed char`` or ``short``, ``A`` the accumulator type.
    Measured on held-out rows: digits classifiers keep their accuracy
    within a row or two with int8 (labels agree on 99.6-100% of rows) and
    exactly with int16; a diabetes regressor's int16 predictions are within
    2e-4 of the targets' standard deviation of ``predict``, its int8 R²
    0.459 against 0.463. The C results equal those of the numpy simulation
    behind :func:`quantization_report`, which also measures the loss of
    accuracy and the bytes saved.

    Integer memory layout: each (source, target) block is stored in
    whichever of these takes the fewest bytes: dense (every weight, zeros
    included, and nothing else), a bitmask (one bit per pair of target and
    source neurons, set where a weight is stored) or CSR (row pointers and
    one source index per weight, of the smallest sufficient unsigned type);
    a dense or bitmask block may cover only the source neurons it reads,
    named by a bitmask over the source layer. A bitmask block's loop tests
    every pair, so it trades time for flash. The weights of all the blocks
    feeding a layer share one array, in the order the forward pass reads
    them. Biases take the smallest of ``signed char``, ``short``,
    ``int32_t`` and ``long long`` that holds them; ``<stdint.h>`` is
    included only for ``int32_t``, and no other header, not even
    ``<math.h>``.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_scann import SCANNClassifier
    >>> from sklearn_scann import export_c
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SCANNClassifier(n_rounds=1, epochs_per_step=2, random_state=0)
    >>> clf = clf.fit(X, y)
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     header, source = export_c(clf, directory, name="iris_net")
    ...     print(header.name, source.name)
    iris_net.h iris_net.c
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     header, source = export_c(
    ...         clf, directory, name="iris_q", dtype="int8", X_calibration=X
    ...     )
    ...     print("int iris_q_predict(const float *x);" in header.read_text())
    True
    """
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise ValueError(
            "name must be a valid C identifier (ASCII letters, digits and "
            f"underscores, not starting with a digit), got {name!r}"
        )
    if not isinstance(dtype, str) or dtype not in (*_DTYPES, *QMAX):
        raise ValueError(
            "dtype must be 'float' or 'double', or 'int8' or 'int16' (quantized), "
            f"got {dtype!r}"
        )
    if dtype in QMAX and X_calibration is None:
        raise ValueError(
            f"dtype={dtype!r} needs X_calibration: rows of inputs (the training "
            "data, say) that set the scale of each layer's activations"
        )
    network, outputs = _network_and_outputs(model, name)
    if dtype in QMAX:
        quantized = quantize_network(network, X_calibration, dtype)
        header_text = _quantized_header_text(quantized, outputs, name)
        source_text = _quantized_source_text(quantized, outputs, name)
    else:
        header_text = _header_text(network, outputs, name, dtype)
        source_text = _source_text(network, outputs, name, _Literals(dtype))
    # Only now that both texts exist, so that errors leave no files behind.
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    header = directory / f"{name}.h"
    source = directory / f"{name}.c"
    header.write_text(header_text, encoding="ascii", newline="\n")
    source.write_text(source_text, encoding="ascii", newline="\n")
    return header, source


# -- inputs -----------------------------------------------------------------------


def _network_and_outputs(model, name: str):
    """The CompactNetwork to export and the C interface of its outputs."""
    if isinstance(model, CompactNetwork):
        network = model
        classes = np.arange(_n_classes(network))
    else:
        regression = is_regressor(model)
        target = "n_outputs_" if regression else "classes_"
        check_is_fitted(model, ["network_", target, "n_features_in_"])
        network = model.network_
        if model.n_features_in_ != network.topology.layer_sizes[0]:
            raise ValueError(
                f"model.n_features_in_={model.n_features_in_} does not match the "
                f"{network.topology.layer_sizes[0]} inputs of model.network_"
            )
        if regression:
            return network, _RegressionOutputs(network, model.n_outputs_, name)
        classes = np.asarray(model.classes_)
    outputs = network.topology.layer_sizes[-1]
    # A binary network has one output (or two, saved by sklearn-scann 0.1).
    if classes.ndim != 1 or _n_classes(network) != classes.size:
        raise ValueError(
            f"{classes.size} classes do not match the {outputs} outputs of the network"
        )
    return network, _ClassOutputs(network, classes, name)


def _n_classes(network: CompactNetwork) -> int:
    """Classes of a network: its outputs, or 2 for a one-output (binary) one."""
    outputs = network.topology.layer_sizes[-1]
    return 2 if outputs == 1 else outputs


def _needed_layers(network: CompactNetwork) -> set[int]:
    """Layers on some path to the output (the output and input included)."""
    last = network.topology.n_layers - 1
    needed = {last}
    # Blocks only go forward, so one backward sweep reaches every ancestor.
    for target in range(last, 0, -1):
        if target in needed:
            needed.update(source for source, block in network.blocks[target])
    return needed | {0}


def _index_type(largest: int) -> tuple[str, int]:
    """Smallest standard unsigned C type holding ``largest``, and its size."""
    return _smallest_type(largest, _INDEX_TYPES, "an index")


def _smallest_type(largest: int, types, what: str) -> tuple[str, int]:
    """The first ``(ctype, size)`` of ``types`` whose limit holds ``largest``."""
    for limit, ctype, size in types:
        if largest <= limit:
            return ctype, size
    raise ValueError(f"{what} of {largest} does not fit in {8 * size} bits")


class _Literals:
    """C literals of one scalar type that read back to the exact same value."""

    def __init__(self, dtype: str):
        self.ctype = dtype
        self.numpy_type = _DTYPES[dtype]
        self.size = np.dtype(self.numpy_type).itemsize
        self.zero = self.format_one(0.0)

    def format_one(self, value) -> str:
        if self.ctype == "double":
            text = repr(float(value))
        else:
            # Shortest of 6 to 9 significant digits; 9 always round-trips a float.
            for digits in range(6, 10):
                text = f"{float(value):.{digits}g}"
                if np.float32(text) == value:
                    break
        if "." not in text and "e" not in text:
            text += ".0"
        return text + ("f" if self.ctype == "float" else "")

    def format(self, values, what: str) -> list[str]:
        values = np.asarray(values, dtype=np.float64)
        with np.errstate(over="ignore"):
            cast = values.astype(self.numpy_type)
        if not np.all(np.isfinite(cast)):
            raise ValueError(
                f"the network has {what} that are not finite as a C "
                f"{self.ctype}: {values[~np.isfinite(cast)][:3].tolist()}"
            )
        return [self.format_one(value) for value in cast]


class _ClassLabels:
    """How the class labels appear in C: an int or string array, or a comment."""

    def __init__(self, classes: np.ndarray, name: str):
        self.symbol = f"{name}_classes"
        self.length = f"{name.upper()}_N_CLASSES"
        self.values = [c.item() if isinstance(c, np.generic) else c for c in classes]
        self.ctype = None
        self.items = []
        if all(isinstance(c, Integral) for c in self.values):
            values = [int(c) for c in self.values]
            low, high = min(values), max(values)
            if -32_767 <= low and high <= 32_767:
                self.ctype = "int"
            elif -2_147_483_647 <= low and high <= 2_147_483_647:
                self.ctype = "long"
            elif -(2**63) <= low and high < 2**63:
                self.ctype = "long long"
            # C has no negative literals; -2**63 must be written as an expression.
            self.items = [
                "(-9223372036854775807LL - 1)" if v == -(2**63) else str(v)
                for v in values
            ]
        elif all(isinstance(c, str) for c in self.values):
            self.ctype = "char *"
            self.items = [_c_string(c) for c in self.values]

    @property
    def declaration(self) -> str:
        const = "const char *const" if self.ctype == "char *" else f"const {self.ctype}"
        return f"{const} {self.symbol}[{self.length}]"


def _c_string(text: str) -> str:
    """A C string literal of ``text`` in UTF-8, using only printable ASCII."""
    pieces = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        # "?" is escaped so that no trigraph can form.
        if char in '"\\?':
            pieces.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            pieces.append(char)
        else:
            # Octal escapes stop after three digits; hex ones would run on.
            pieces.append(f"\\{byte:03o}")
    return '"' + "".join(pieces) + '"'


def _comment_text(value) -> str:
    """The ASCII repr of ``value``, safe inside a C block comment."""
    return ascii(value).replace("*/", "* /").replace("??", "?\\?")


# -- generated text -----------------------------------------------------------------


def _summary(network: CompactNetwork, outputs) -> str:
    topology = network.topology
    hidden = ", ".join(str(size) for size in topology.hidden_layer_sizes) or "none"
    return (
        f"{topology.layer_sizes[0]} input features, {outputs.described}, hidden "
        f"layer sizes ({hidden}), {topology.n_connections} connections."
    )


def _wrapped_comment(text: str, indent: str = "") -> list[str]:
    lines = textwrap.wrap(
        text,
        width=_WIDTH,
        initial_indent=indent + "/* ",
        subsequent_indent=indent + " * ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    if len(lines[-1]) + 3 <= _WIDTH:
        lines[-1] += " */"
    else:
        lines.append(indent + " */")
    return lines


def _array(declaration: str, items: list[str], *, one_per_line=False) -> list[str]:
    """A C array definition, its items wrapped to the line width.

    String literals, which may hold spaces, need ``one_per_line``.
    """
    if one_per_line:
        lines = [f"    {item}," for item in items]
        lines[-1] = lines[-1][:-1]
    else:
        lines = textwrap.wrap(
            ", ".join(items),
            width=_WIDTH,
            initial_indent="    ",
            subsequent_indent="    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    return [f"{declaration} = {{", *lines, "};"]


class _ClassOutputs:
    """A classifier's C interface: logits, probabilities, class index, labels.

    The forward pass writes the logits, ``<name>_predict_proba`` and
    ``<name>_predict`` are built on it.
    """

    def __init__(self, network: CompactNetwork, classes: np.ndarray, name: str):
        self.name = name
        self.labels = _ClassLabels(classes, name)
        self.count = f"{name.upper()}_N_CLASSES"
        self.n_values = _n_classes(network)
        # The output layer's size, as the header has always said ("1 classes"
        # for a binary network): a classifier's files do not change.
        self.described = f"{network.topology.layer_sizes[-1]} classes"
        self.forward, self.array = f"{name}_logits", "logits"
        # A binary network's single output is the second class's logit.
        self.binary = network.topology.layer_sizes[-1] == 1
        self.store = "logits[i + 1]" if self.binary else "logits[i]"
        self.uses_math = True
        self.stack_note = f"; {name}_predict adds {self.count} more"

    def label_declarations(self) -> list[str]:
        labels = self.labels
        if labels.ctype is None:
            listed = ", ".join(_comment_text(value) for value in labels.values)
            return _wrapped_comment(f"Output i stands for class i of: {listed}.")
        lines = _wrapped_comment(f"Output i stands for class {labels.symbol}[i].")
        lines.append(f"extern {labels.declaration};")
        return lines

    def declarations(self, dtype: str, x_doc: str) -> list[str]:
        name, n_classes = self.name, self.count
        return [
            *self.label_declarations(),
            "",
            *_wrapped_comment(
                f"Output layer of the network (logits, before softmax). {x_doc} "
                f"logits receives {n_classes} values."
            ),
            f"void {name}_logits(const {dtype} *x, {dtype} *logits);",
            "",
            *_wrapped_comment(
                f"Class probabilities: the softmax of the logits. {x_doc} proba "
                f"receives {n_classes} values that sum to 1."
            ),
            f"void {name}_predict_proba(const {dtype} *x, {dtype} *proba);",
            "",
            *_wrapped_comment(
                f"Index in [0, {n_classes}) of the most probable class (the first "
                f"one on ties). {x_doc}"
            ),
            f"int {name}_predict(const {dtype} *x);",
        ]

    def data(self) -> list[str]:
        labels = self.labels
        if labels.ctype is None:
            return []
        return [
            "",
            *_array(
                labels.declaration,
                labels.items,
                one_per_line=labels.ctype == "char *",
            ),
        ]

    def forward_start(self, zero: str) -> list[str]:
        if not self.binary:
            return []
        return [
            "",
            "    /* Binary: the first class's logit is 0. */",
            f"    logits[0] = {zero};",
        ]

    def functions(self, ctype: str, zero: str) -> list[str]:
        name, n_classes = self.name, self.count
        exp = "expf" if ctype == "float" else "exp"
        return [
            f"void {name}_predict_proba(const {ctype} *x, {ctype} *proba)",
            "{",
            f"    {ctype} largest, total = {zero};",
            "    int i;",
            "",
            f"    {name}_logits(x, proba);",
            "    /* Subtracting the largest logit keeps exp from overflowing. */",
            "    largest = proba[0];",
            f"    for (i = 1; i < {n_classes}; ++i)",
            "        if (proba[i] > largest)",
            "            largest = proba[i];",
            f"    for (i = 0; i < {n_classes}; ++i) {{",
            f"        proba[i] = {exp}(proba[i] - largest);",
            "        total += proba[i];",
            "    }",
            f"    for (i = 0; i < {n_classes}; ++i)",
            "        proba[i] /= total;",
            "}",
            "",
            f"int {name}_predict(const {ctype} *x)",
            "{",
            f"    {ctype} logits[{n_classes}];",
            "    int i, best = 0;",
            "",
            f"    {name}_logits(x, logits);",
            f"    for (i = 1; i < {n_classes}; ++i)",
            "        if (logits[i] > logits[best])",
            "            best = i;",
            "    return best;",
            "}",
            "",
        ]


class _RegressionOutputs:
    """A regressor's C interface: the forward pass is ``<name>_predict``.

    The network's outputs are the predictions, in the targets' units (the
    regressor folds its target scaling into the output layer).
    """

    def __init__(self, network: CompactNetwork, n_outputs: int, name: str):
        outputs = network.topology.layer_sizes[-1]
        if n_outputs != outputs:
            raise ValueError(
                f"model.n_outputs_={n_outputs} does not match the {outputs} "
                "outputs of model.network_"
            )
        self.name = name
        self.count = f"{name.upper()}_N_OUTPUTS"
        self.n_values = outputs
        self.described = f"{outputs} output{'s' if outputs > 1 else ''}"
        self.forward, self.array = f"{name}_predict", "y"
        self.store = "y[i]"
        self.uses_math = False
        self.stack_note = ""

    def declarations(self, dtype: str, x_doc: str) -> list[str]:
        return [
            *_wrapped_comment(
                f"Predicted targets, in the units of the training targets: y[i] "
                f"is target i, like column i of model.predict (its only value "
                f"for 1-D targets). {x_doc} y receives {self.count} values."
            ),
            f"void {self.name}_predict(const {dtype} *x, {dtype} *y);",
        ]

    def data(self) -> list[str]:
        return []

    def forward_start(self, zero: str) -> list[str]:
        return []

    def functions(self, ctype: str, zero: str) -> list[str]:
        return []


def _x_doc(macro: str) -> str:
    return (
        f"x holds {macro}_N_FEATURES features, in the order and preprocessing of "
        "the training data."
    )


def _header_file(
    network, outputs, name: str, summary: str, library: str, defines, declarations
) -> str:
    """A header: banner, include guard, sizes and ``defines``, then
    ``declarations`` inside ``extern "C"`` for C++."""
    from . import __version__

    macro = name.upper()
    lines = [
        f"/* {name}.h: a neural network exported by sklearn_scann {__version__}.",
        *(" * " + line for line in textwrap.wrap(summary, width=_WIDTH - 3)),
        f" * Generated code: do not edit. C99{library}.",
        " */",
        f"#ifndef {macro}_H",
        f"#define {macro}_H",
        "",
        f"#define {macro}_N_FEATURES {network.topology.layer_sizes[0]}",
        f"#define {outputs.count} {outputs.n_values}",
        *defines,
        "",
        "#ifdef __cplusplus",
        'extern "C" {',
        "#endif",
        "",
        *declarations,
        "",
        "#ifdef __cplusplus",
        "}",
        "#endif",
        "",
        f"#endif /* {macro}_H */",
        "",
    ]
    return "\n".join(lines)


def _header_text(network, outputs, name: str, dtype: str) -> str:
    libm = "; link with the math library (-lm)" if outputs.uses_math else ""
    return _header_file(
        network,
        outputs,
        name,
        _summary(network, outputs),
        libm,
        defines=[],
        declarations=outputs.declarations(dtype, _x_doc(name.upper())),
    )


def _layer_code(network, target: int, name: str, literals: _Literals, store: str):
    """Constant arrays and forward-pass loop of one target layer; the output
    layer's neuron ``i`` is written to ``store``.

    Returns the lines of data, the lines of the loop, and the number of
    scalar values and of index bytes in the data.
    """
    topology = network.topology
    size = topology.layer_sizes[target]
    is_output = target == topology.n_layers - 1
    role = "output" if is_output else "hidden"
    blocks = [(s, b) for s, b in network.blocks[target] if b.nnz > 0]
    sources = ", ".join(str(s) for s, _ in blocks) or "none"
    ctype, zero = literals.ctype, literals.zero
    data = [
        "",
        f"/* Layer {target} ({role}, {size} neurons): biases. */",
        *_array(
            f"static const {ctype} {name}_b{target}[{size}]",
            literals.format(network.biases[target], "biases"),
        ),
    ]
    loop = [
        "",
        f"    /* Layer {target} ({role}); source layers: {sources}. */",
        f"    for (i = 0; i < {size}; ++i) {{",
        f"        {ctype} z = {name}_b{target}[i];",
    ]
    n_values, n_index_bytes = size, 0
    for source, block in blocks:
        # A canonical copy: the model's own blocks stay untouched.
        block = block.tocsr(copy=True)
        block.sum_duplicates()
        block.sort_indices()
        rows, cols, weights = (
            f"{name}_{kind}{target}_{source}" for kind in ("p", "c", "w")
        )
        row_type, row_size = _index_type(int(block.indptr[-1]))
        col_type, col_size = _index_type(topology.layer_sizes[source] - 1)
        data += [
            f"/* Layer {source} -> layer {target}: {block.nnz} connections, CSR "
            "(row pointers, column indices, weights). */",
            *_array(
                f"static const {row_type} {rows}[{size + 1}]",
                [str(v) for v in block.indptr],
            ),
            *_array(
                f"static const {col_type} {cols}[{block.nnz}]",
                [str(v) for v in block.indices],
            ),
            *_array(
                f"static const {ctype} {weights}[{block.nnz}]",
                literals.format(block.data, "weights"),
            ),
        ]
        inputs = "x" if source == 0 else f"h{source}"
        loop += [
            f"        for (k = {rows}[i]; k < {rows}[i + 1]; ++k)",
            f"            z += {weights}[k] * {inputs}[{cols}[k]];",
        ]
        n_values += block.nnz
        n_index_bytes += (size + 1) * row_size + block.nnz * col_size
    if is_output:
        loop.append(f"        {store} = z;")
    else:
        loop.append(f"        h{target}[i] = z > {zero} ? z : {zero};")
    loop.append("    }")
    return data, loop, n_values, n_index_bytes


def _computed_layers(network: CompactNetwork) -> list[int]:
    """Layers the forward pass computes, in order, the output layer last.

    Empty hidden layers and those with no path to the output get no code.
    """
    sizes = network.topology.layer_sizes
    return [t for t in sorted(_needed_layers(network) - {0}) if sizes[t]]


def _source_opening(name: str, summary: str, header: str | None) -> list[str]:
    """A ``.c`` file's first lines: its comment, its own header, ``header``."""
    return [
        f"/* {name}.c: forward pass of the network declared in {name}.h.",
        " *",
        *(
            " * " + line
            for line in textwrap.wrap(summary, width=_WIDTH - 3, break_on_hyphens=False)
        ),
        " */",
        f'#include "{name}.h"',
        *(["", f"#include <{header}>"] if header else []),
    ]


def _source_text(network, outputs, name: str, literals) -> str:
    topology = network.topology
    ctype, zero = literals.ctype, literals.zero
    computed = _computed_layers(network)
    hidden = computed[:-1]
    data, loops, n_values, n_index_bytes = [], [], 0, 0
    for target in computed:
        layer_data, layer_loop, layer_values, layer_bytes = _layer_code(
            network, target, name, literals, outputs.store
        )
        data += layer_data
        loops += layer_loop
        n_values += layer_values
        n_index_bytes += layer_bytes
    n_hidden = sum(topology.layer_sizes[t] for t in hidden)
    sources = {s for t in computed for s, block in network.blocks[t] if block.nnz}
    counters = "i, k" if sources else "i"
    # Without connections from the inputs, x is unused; say so to the compiler.
    ignore_inputs = [] if 0 in sources else ["    (void)x;"]
    wide = (
        " (more where unsigned long is wider than 4 bytes)"
        if any(line.startswith("static const unsigned long") for line in data)
        else ""
    )
    summary = (
        f"Constant data: {n_values} {ctype} values (weights and biases) and "
        f"{n_index_bytes} bytes of CSR indices{wide}. Per sample: "
        f"{2 * topology.n_connections} floating-point operations, and "
        f"{n_hidden * literals.size} bytes of stack for the hidden activations "
        f"({n_hidden} {ctype}s{outputs.stack_note}). No state is static or "
        "heap-allocated, so every function is reentrant."
    )
    lines = [
        *_source_opening(name, summary, "math.h" if outputs.uses_math else None),
        *outputs.data(),
        *data,
        "",
        f"void {outputs.forward}(const {ctype} *x, {ctype} *{outputs.array})",
        "{",
        *(f"    {ctype} h{t}[{topology.layer_sizes[t]}];" for t in hidden),
        f"    unsigned long {counters};",
        *ignore_inputs,
        *outputs.forward_start(zero),
        *loops,
        "}",
        "",
        *outputs.functions(ctype, zero),
    ]
    return "\n".join(lines)


# -- integer (quantized) export ---------------------------------------------------


def _float_literal(value) -> str:
    return _Literals("float").format([value], "scales")[0]


def _quantized_types(quantized):
    """C types of activations and accumulators, and the accumulator's suffix."""
    wide = quantized.accumulator_bits == 64
    return quantized.ctype, ("long long" if wide else "long"), ("LL" if wide else "L")


def _quantized_header_text(quantized, outputs, name: str) -> str:
    network = quantized.network
    macro = name.upper()
    T, A, _ = _quantized_types(quantized)
    n_features, count = f"{macro}_N_FEATURES", outputs.count
    summary = (
        _summary(network, outputs)
        + f" Quantized to {quantized.dtype} ({T}) weights and activations with "
        f"{quantized.accumulator_bits}-bit ({A}) accumulators."
    )
    x_doc = _x_doc(macro)
    xq_doc = f"xq holds {n_features} inputs quantized by {name}_quantize."
    if isinstance(outputs, _ClassOutputs):
        interface = [
            *outputs.label_declarations(),
            "",
            *_wrapped_comment(
                f"Output layer as integers: logits[i] * {macro}_OUTPUT_SCALE "
                f"approximates logit i. {xq_doc} logits receives {count} values."
            ),
            f"void {name}_logits_quantized(const {T} *xq, {A} *logits);",
            "",
            *_wrapped_comment(
                f"Index in [0, {count}) of the largest logit (the first one on "
                f"ties); integer arithmetic only. {xq_doc}"
            ),
            f"int {name}_predict_quantized(const {T} *xq);",
            "",
            *_wrapped_comment(f"{name}_predict_quantized of the quantized x. {x_doc}"),
            f"int {name}_predict(const float *x);",
        ]
    else:
        interface = [
            *_wrapped_comment(
                f"Predictions as integers: y[i] * {macro}_OUTPUT_SCALE "
                f"approximates target i; integer arithmetic only. {xq_doc} y "
                f"receives {count} values."
            ),
            f"void {name}_predict_quantized(const {T} *xq, {A} *y);",
            "",
            *_wrapped_comment(
                "Predicted targets, in the units of the training targets: y[i] is "
                "target i, like column i of model.predict (its only value for 1-D "
                f"targets). {x_doc} y receives {count} values."
            ),
            f"void {name}_predict(const float *x, float *y);",
        ]
    return _header_file(
        network,
        outputs,
        name,
        summary,
        ", no library needed",
        defines=[
            "",
            *_wrapped_comment(
                f"Quantized values lie in [-{macro}_QMAX, {macro}_QMAX]: input j "
                f"is round(x[j] / {macro}_INPUT_SCALE), clamped."
            ),
            f"#define {macro}_QMAX {quantized.qmax}",
            f"#define {macro}_INPUT_SCALE {_float_literal(quantized.input_scale)}",
            f"#define {macro}_OUTPUT_SCALE {_float_literal(quantized.output_scale)}",
        ],
        declarations=[
            *_wrapped_comment(
                f"Quantizes x for the *_quantized functions. {x_doc} xq receives "
                f"{n_features} values."
            ),
            f"void {name}_quantize(const float *x, {T} *xq);",
            "",
            *interface,
        ],
    )


class _StoredBlock:
    """An integer (target x source) CSR block in the cheapest of its layouts.

    Layouts (``layout``): ``"dense"``, every weight, zeros included, and
    nothing else; ``"bitmask"``, one bit per (target, source) neuron pair,
    set where a weight is stored, row by row and least significant bit
    first; ``"indices"``, CSR row pointers and one source index per weight.
    A dense or bitmask block can be ``filtered``: it then covers only the
    source neurons the block reads, which a bitmask over the source layer
    names. Equal costs go to the first of these, unfiltered first.
    ``rows[i]`` holds the weights stored for target neuron ``i``.
    """

    def __init__(self, source: int, block, weight_size: int):
        self.source, self.block = source, block
        n_rows, n_inputs = block.shape
        present = np.zeros(block.shape, dtype=bool)
        present[np.repeat(np.arange(n_rows), np.diff(block.indptr)), block.indices] = (
            True
        )
        self.read = present.any(axis=0)
        costs = {}
        for filtered, n_columns, filter_bytes in (
            (False, n_inputs, 0),
            (True, int(self.read.sum()), _n_bytes(n_inputs)),
        ):
            costs["dense", filtered] = filter_bytes + n_rows * n_columns * weight_size
            costs["bitmask", filtered] = (
                filter_bytes + _n_bytes(n_rows * n_columns) + block.nnz * weight_size
            )
        costs["indices", False] = (n_rows + 1) * _index_type(block.nnz)[1] + (
            block.nnz * (_index_type(n_inputs - 1)[1] + weight_size)
        )
        self.layout, self.filtered = min(costs, key=costs.get)
        self.present = present[:, self.read] if self.filtered else present
        if self.layout == "dense":
            dense = block.toarray()
            self.rows = list(dense[:, self.read] if self.filtered else dense)
        else:
            self.rows = np.split(block.data, block.indptr[1:-1])
        self.n_weights = sum(row.size for row in self.rows)

    def code(self, name: str, target: int, product: str):
        """Lines of data, lines of the inner loop, its counters, data bytes.

        ``product`` is the C statement's start that the source neuron's
        index completes: ``<product>[j];``.
        """
        source, block = self.source, self.block
        n_rows, n_inputs = block.shape
        symbol = f"{name}_%s{target}_{source}"
        heading = f"Layer {source} -> layer {target}: {block.nnz} connections"
        if self.layout == "indices":
            pointers, indices = symbol % "p", symbol % "c"
            row_type, row_size = _index_type(block.nnz)
            col_type, col_size = _index_type(n_inputs - 1)
            data = [
                *_wrapped_comment(f"{heading}, row pointers and input indices."),
                *_array(
                    f"static const {row_type} {pointers}[{n_rows + 1}]",
                    [str(v) for v in block.indptr],
                ),
                *_array(
                    f"static const {col_type} {indices}[{block.nnz}]",
                    [str(v) for v in block.indices],
                ),
            ]
            loop = [
                f"for (q = {pointers}[i]; q < {pointers}[i + 1]; ++q)",
                f"    {product}[{indices}[q]];",
            ]
            n_bytes = (n_rows + 1) * row_size + block.nnz * col_size
            return data, loop, {"q"}, n_bytes
        data, counters, n_bytes = [], {"j"}, 0
        body, start, step = [f"{product}[j];"], "j = 0", "++j"
        if self.filtered:
            read = symbol % "u"
            data += _byte_array(
                f"{heading}; bit j of {read} is set where input j is read.",
                read,
                self.read,
            )
            n_bytes += _n_bytes(n_inputs)
        if self.layout == "dense":
            over = " over the inputs read" if self.filtered else ""
            data += _wrapped_comment(f"{heading}: dense{over}, zeros included.")
        else:
            mask = symbol % "m"
            n_columns = self.present.shape[1]
            which = "jth input read" if self.filtered else "input j"
            data += _byte_array(
                f"{heading}: bit i * {n_columns} + j of {mask} is set where neuron "
                f"i has a weight from the {which}.",
                mask,
                self.present,
            )
            n_bytes += _n_bytes(self.present.size)
            body = [f"if {_bit_test(mask, 'bit')}", f"    {body[0]}"]
            start += f", bit = i * {n_columns}"
            counters.add("bit")
            if self.filtered:
                body.append("++bit;")
            else:
                step += ", ++bit"
        if self.filtered:
            braces = len(body) > 1
            body = [
                f"if {_bit_test(read, 'j')}{' {' if braces else ''}",
                *(f"    {line}" for line in body),
                *(["}"] if braces else []),
            ]
        loop = [f"for ({start}; j < {n_inputs}; {step})", *(f"    {b}" for b in body)]
        return data, loop, counters, n_bytes


def _n_bytes(n_bits: int) -> int:
    return -(-n_bits // 8)


def _bit_test(array: str, index: str) -> str:
    """A C condition: bit ``index`` of the bytes of ``array``, LSB first."""
    return f"(({array}[{index} >> 3] >> ({index} & 7)) & 1)"


def _byte_array(comment: str, symbol: str, bits) -> list[str]:
    """A comment and the unsigned char array of ``bits`` packed row by row."""
    packed = np.packbits(bits, axis=None, bitorder="little")
    return [
        *_wrapped_comment(comment),
        *_array(
            f"static const unsigned char {symbol}[{packed.size}]",
            [str(v) for v in packed],
        ),
    ]


def _quantized_layer_code(quantized, target: int, name: str, store: str):
    """Constant arrays and loop of one target layer of an integer export.

    Each block with connections is a :class:`_StoredBlock`; the weights of
    all of them share one array, neuron by neuron and, within a neuron,
    block by block, read by one running counter. Returns the lines of data
    and of the loop, the counters the loop uses, and the bytes of weights,
    of biases and of the rest (bitmasks, indices).
    """
    network = quantized.network
    layer = quantized.layers[target]
    T, A, _ = _quantized_types(quantized)
    size = network.topology.layer_sizes[target]
    is_output = target == network.topology.n_layers - 1
    role = "output" if is_output else "hidden"
    blocks = [
        _StoredBlock(source, block, quantized.weight_size)
        for source, block in layer.blocks
        if block.nnz > 0
    ]
    sources = (
        ", ".join(
            f"{b.source} ({b.layout}{', inputs read' if b.filtered else ''})"
            for b in blocks
        )
        or "none"
    )
    bias_type, bias_size = _bias_type(layer.bias)
    suffix = "LL" if bias_type == "long long" else ""
    weights = f"{name}_w{target}"
    data = [
        "",
        f"/* Layer {target} ({role}, {size} neurons): biases, in units of "
        f"{layer.accumulator_scale!r}. */",
        *_array(
            f"static const {bias_type} {name}_b{target}[{size}]",
            [f"{v}{suffix}" for v in layer.bias],
        ),
    ]
    loop = [
        "",
        f"    /* Layer {target} ({role}); source layers: {sources}. */",
        f"    for (i = 0{', k = 0' if blocks else ''}; i < {size}; ++i) {{",
        f"        acc = {name}_b{target}[i];",
    ]
    counters, n_bytes = {"i", "k"} if blocks else {"i"}, 0
    for block in blocks:
        inputs = "xq" if block.source == 0 else f"h{block.source}"
        block_data, block_loop, block_counters, block_bytes = block.code(
            name, target, f"acc += ({A}){weights}[k++] * {inputs}"
        )
        data += block_data
        loop += [f"        {line}" for line in block_loop]
        counters |= block_counters
        n_bytes += block_bytes
    n_weights = sum(block.n_weights for block in blocks)
    if blocks:
        # Neuron by neuron, and within a neuron block by block.
        values = [v for rows in zip(*(b.rows for b in blocks)) for r in rows for v in r]
        data += [
            f"/* Layer {target}: weights, in the order the loop below reads them. */",
            *_array(
                f"static const {T} {weights}[{n_weights}]", [str(v) for v in values]
            ),
        ]
    if is_output:
        loop.append(f"        {store} = acc;")
    else:
        ratio = layer.multiplier / 2**layer.shift
        loop += [
            f"        /* ReLU, then times {ratio!r} ({layer.multiplier} / 2^"
            f"{layer.shift}), rounded. */",
            "        if (acc <= 0) {",
            f"            h{target}[i] = 0;",
            "        } else {",
            f"            r = ((long long)acc * {layer.multiplier}LL + "
            f"{1 << (layer.shift - 1)}LL) >> {layer.shift};",
            f"            h{target}[i] = ({T})(r < {quantized.qmax} ? r : "
            f"{quantized.qmax});",
            "        }",
        ]
    loop.append("    }")
    sizes = (n_weights * quantized.weight_size, size * bias_size, n_bytes)
    return data, loop, counters, sizes


def _bias_type(bias) -> tuple[str, int]:
    """Smallest signed C type of ``_BIAS_TYPES`` holding every bias."""
    largest = int(np.max(np.abs(bias), initial=0))
    return _smallest_type(largest, _BIAS_TYPES, "a bias")


def _quantized_source_text(quantized, outputs, name: str) -> str:
    network = quantized.network
    topology = network.topology
    macro = name.upper()
    T, A, _ = _quantized_types(quantized)
    computed = _computed_layers(network)
    hidden = computed[:-1]
    data, loops, counters, sizes = [], [], set(), np.zeros(3, dtype=int)
    for target in computed:
        layer_data, layer_loop, layer_counters, layer_sizes = _quantized_layer_code(
            quantized, target, name, outputs.store
        )
        data += layer_data
        loops += layer_loop
        counters |= layer_counters
        sizes += layer_sizes
    sources = {
        s for t in computed for s, block in quantized.layers[t].blocks if block.nnz
    }
    classifier = isinstance(outputs, _ClassOutputs)
    forward = f"{name}_logits_quantized" if classifier else f"{name}_predict_quantized"
    array = "logits" if classifier else "y"
    qmax = f"{quantized.qmax}.0f"
    multiplier = _float_literal(quantized.input_multiplier)
    summary = (
        f"Integer arithmetic: {quantized.dtype} weights and activations, "
        f"{quantized.accumulator_bits}-bit accumulators, and one rescale per "
        "hidden neuron (a 64-bit multiply and a shift). Only "
        f"{name}_quantize{'' if classifier else f' and {name}_predict'} use "
        "float. No state is static or heap-allocated, so every function is "
        f"reentrant. Constant data: {sizes[0]} bytes of weights, {sizes[1]} of "
        f"biases and {sizes[2]} of bitmasks and indices."
    )
    quantize = [
        f"void {name}_quantize(const float *x, {T} *xq)",
        "{",
        "    unsigned long j;",
        "    float v;",
        "",
        f"    for (j = 0; j < {macro}_N_FEATURES; ++j) {{",
        f"        v = x[j] * {multiplier};",
        "        /* Rounded half away from zero; NaN and overflow saturate. */",
        "        if (v >= 0.0f)",
        f"            xq[j] = ({T})(v < {qmax} ? v + 0.5f : {qmax});",
        "        else",
        f"            xq[j] = -({T})(v > -{qmax} ? 0.5f - v : {qmax});",
        "    }",
        "}",
        "",
    ]
    if classifier:
        tail = [
            f"int {name}_predict_quantized(const {T} *xq)",
            "{",
            f"    {A} logits[{outputs.count}];",
            "    int i, best = 0;",
            "",
            f"    {name}_logits_quantized(xq, logits);",
            f"    for (i = 1; i < {outputs.count}; ++i)",
            "        if (logits[i] > logits[best])",
            "            best = i;",
            "    return best;",
            "}",
            "",
            f"int {name}_predict(const float *x)",
            "{",
            f"    {T} xq[{macro}_N_FEATURES];",
            "",
            f"    {name}_quantize(x, xq);",
            f"    return {name}_predict_quantized(xq);",
            "}",
            "",
        ]
    else:
        tail = [
            f"void {name}_predict(const float *x, float *y)",
            "{",
            f"    {T} xq[{macro}_N_FEATURES];",
            f"    {A} acc[{outputs.count}];",
            "    int i;",
            "",
            f"    {name}_quantize(x, xq);",
            f"    {name}_predict_quantized(xq, acc);",
            f"    for (i = 0; i < {outputs.count}; ++i)",
            f"        y[i] = (float)acc[i] * {macro}_OUTPUT_SCALE;",
            "}",
            "",
        ]
    binary = (
        ["", "    /* Binary: the first class's logit is 0. */", "    logits[0] = 0;"]
        if classifier and outputs.binary
        else []
    )
    # int32_t, the one type that needs a header, is only ever a bias type.
    wide_bias = any(
        _bias_type(quantized.layers[t].bias)[0] == "int32_t" for t in computed
    )
    lines = [
        *_source_opening(name, summary, "stdint.h" if wide_bias else None),
        *outputs.data(),
        *data,
        "",
        *quantize,
        f"void {forward}(const {T} *xq, {A} *{array})",
        "{",
        *(f"    {T} h{t}[{topology.layer_sizes[t]}];" for t in hidden),
        f"    {A} acc;",
        *(["    long long r;"] if hidden else []),
        "    unsigned long "
        + ", ".join(c for c in ("i", "j", "k", "q", "bit") if c in counters)
        + ";",
        *([] if 0 in sources else ["    (void)xq;"]),
        *binary,
        *loops,
        "}",
        "",
        *tail,
    ]
    return "\n".join(lines)

"""Integer quantization of a network for export_c, and a numpy model of its C code."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import is_regressor
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.validation import check_array, check_is_fitted

from ._compact import CompactNetwork, class_logits

__all__ = ["QuantizedNetwork", "quantization_report", "quantize_network"]

# Largest magnitude of a quantized weight or activation; symmetric, so -128
# and -32768 are never used and negation cannot overflow.
QMAX = {"int8": 127, "int16": 32_767}
CTYPES = {"int8": "signed char", "int16": "short"}
# Beyond this bound an accumulator needs long long instead of a 32-bit long;
# beyond the second, a rescale product would overflow long long.
_INT32_MAX = 2**31 - 1
_INT62 = 2**62
# Activation ranges are set by this percentile of |activation| over the
# calibration rows: for int8, not the maximum, since a few outliers (a rare
# pixel of a standardized image) would take most of the 255 levels; int16 has
# levels to spare, so nothing seen in calibration saturates.
CALIBRATION_PERCENTILE = {"int8": 99.9, "int16": 100.0}


@dataclass
class QuantizedLayer:
    """One target layer: integer CSR blocks, integer biases and its rescale.

    The accumulator of neuron ``i`` is ``bias[i] + sum(weight * source
    activation)``, in units of ``accumulator_scale``. A hidden layer's
    activation is ``min((acc * multiplier + 2**(shift - 1)) >> shift, qmax)``
    for ``acc > 0``, else 0 (ReLU and one rescale per neuron, integers only).
    """

    blocks: list  # (source layer, CSR with integer data)
    bias: np.ndarray  # int64
    accumulator_scale: float
    activation_scale: float  # hidden layers; the output layer's is unused
    multiplier: int
    shift: int
    bound: int  # largest |accumulator| any input can produce


@dataclass
class QuantizedNetwork:
    """A network with symmetric integer weights and activations.

    Scales: the inputs' and each hidden layer's activations have one scale
    per layer, from calibration data. Every block feeding a target layer
    shares that layer's accumulator scale ``S_t``, so that all products add
    up in one integer accumulator; a block's weight scale is therefore
    ``S_t / activation_scale[source]`` (one per (source, target) block), and
    ``S_t`` is the smallest for which the largest weight times its source
    scale still fits in ``qmax``.
    """

    network: CompactNetwork
    dtype: str
    qmax: int
    input_scale: float
    layers: dict  # target layer -> QuantizedLayer

    @property
    def ctype(self) -> str:
        return CTYPES[self.dtype]

    @property
    def accumulator_bits(self) -> int:
        """32 when every accumulator provably fits in 32 bits, else 64."""
        bound = max((layer.bound for layer in self.layers.values()), default=0)
        return 32 if bound <= _INT32_MAX else 64

    @property
    def weight_size(self) -> int:
        """Bytes of one quantized weight or activation."""
        return 1 if self.dtype == "int8" else 2

    @property
    def output_scale(self) -> float:
        return self.layers[self.network.topology.n_layers - 1].accumulator_scale

    @property
    def input_multiplier(self) -> np.float32:
        """The float32 factor that C multiplies each input by before rounding."""
        return np.float32(1.0 / self.input_scale)

    def quantize_inputs(self, X) -> np.ndarray:
        """Inputs rounded as the C code does it, in float32 arithmetic."""
        v = np.asarray(X, dtype=np.float32) * self.input_multiplier
        qmax = np.float32(self.qmax)
        half = np.float32(0.5)
        with np.errstate(invalid="ignore"):
            positive = np.trunc(np.where(v < qmax, v + half, qmax))
            negative = -np.trunc(np.where(v > -qmax, half - v, qmax))
            q = np.where(v >= 0, positive, negative)
        return q.astype(np.int64)

    def accumulators(self, Xq) -> np.ndarray:
        """Output-layer accumulators (int64) for quantized inputs, as C computes."""
        Xq = np.asarray(Xq, dtype=np.int64)
        last = self.network.topology.n_layers - 1
        hidden = {0: Xq.T}
        for target in range(1, last + 1):
            layer = self.layers[target]
            acc = np.repeat(layer.bias[:, None], Xq.shape[0], axis=1)
            for source, block in layer.blocks:
                acc = acc + np.asarray(block @ hidden[source], dtype=np.int64)
            if target == last:
                return np.ascontiguousarray(acc.T)
            # Python integers would be exact too; int64 is, since the bound
            # checked at quantization keeps acc * multiplier below 2**62.
            rounded = (acc * layer.multiplier + (1 << (layer.shift - 1))) >> layer.shift
            hidden[target] = np.where(acc > 0, np.minimum(rounded, self.qmax), 0)
        raise AssertionError("unreachable")  # pragma: no cover

    def class_indices(self, X) -> np.ndarray:
        """The C classifier's ``<name>_predict`` for each row of ``X`` (float)."""
        logits = class_logits(self.accumulators(self.quantize_inputs(X)))
        return np.argmax(logits, axis=1)

    def regression_outputs(self, X) -> np.ndarray:
        """The C regressor's ``<name>_predict``: float32 accumulators times scale."""
        acc = self.accumulators(self.quantize_inputs(X))
        return acc.astype(np.float32) * np.float32(self.output_scale)

    def weight_bytes(self, layers) -> int:
        """Bytes of weights and biases of ``layers`` in the quantized export.

        Weights as stored: the zeros of a block stored dense count too.
        """
        from ._export import _bias_type, _StoredBlock

        return sum(
            self.layers[t].bias.size * _bias_type(self.layers[t].bias)[1]
            + self.weight_size
            * sum(
                _StoredBlock(source, block, self.weight_size).n_weights
                for source, block in self.layers[t].blocks
                if block.nnz
            )
            for t in layers
        )


def float_activations(network: CompactNetwork, X) -> dict:
    """Every layer's float64 activations (samples x neurons), ReLU on hidden."""
    last = network.topology.n_layers - 1
    activations = {0: np.asarray(X, dtype=np.float64)}
    for target in range(1, last + 1):
        z = np.repeat(network.biases[target][None, :], X.shape[0], axis=0)
        for source, block in network.blocks[target]:
            z = z + np.asarray(block @ activations[source].T).T
        activations[target] = z if target == last else np.maximum(z, 0.0)
    return activations


def _scale(largest: float, qmax: int) -> float:
    """The scale mapping ``largest`` to ``qmax``; 1 for an all-zero range."""
    return float(largest) / qmax if largest > 0 and np.isfinite(largest) else 1.0


def _rescale(ratio: float, qmax: int, bound: int) -> tuple[int, int]:
    """``(multiplier, shift)`` with ``multiplier / 2**shift`` close to ``ratio``.

    The multiplier keeps as many bits as ``bound * multiplier < 2**62``
    allows (at most 31). A ratio above ``qmax + 1`` saturates every positive
    accumulator either way, so it is capped there.
    """
    ratio = min(ratio, qmax + 1.0)
    bits = min(31, 62 - max(int(bound), 1).bit_length())
    if bits < 2:
        raise ValueError(
            f"an accumulator bound of {bound} leaves no room for the rescale; the "
            "network's weights or biases are too large for integer export"
        )
    shift = bits - 1 - int(np.floor(np.log2(ratio)))
    shift = min(max(shift, 1), 62)
    multiplier = round(ratio * 2.0**shift)
    while multiplier >= 2**bits and shift > 1:
        shift -= 1
        multiplier = round(ratio * 2.0**shift)
    return int(multiplier), int(shift)


def _check_calibration_spread(X, network: CompactNetwork) -> None:
    """Warn when calibration rows leave inputs the network reads constant.

    The activation scales are set from these rows alone: an input that does
    not vary across them (all-zero rows, a single row repeated) gives scales
    that saturate or waste the integer range on real data.
    """
    blocks = network.blocks
    read = np.zeros(X.shape[1], dtype=bool)
    for target in range(1, network.topology.n_layers):
        for source, block in blocks[target]:
            if source == 0:
                read |= np.asarray(abs(block).sum(axis=0)).ravel() > 0
    constant = read & (np.ptp(X, axis=0) == 0) if X.shape[0] else read
    if constant.any():
        warnings.warn(
            f"X_calibration has {int(constant.sum())} of the {int(read.sum())} "
            "inputs the network reads constant across its rows (e.g. feature "
            f"{int(np.flatnonzero(constant)[0])}): the integer scales are set "
            "from these rows alone, so calibrate on rows that span the data, "
            "such as the training rows",
            UserWarning,
            stacklevel=3,
        )


def quantize_network(network: CompactNetwork, X_calibration, dtype: str):
    """Quantize ``network`` to ``dtype`` ("int8" or "int16").

    Activation scales come from the ``CALIBRATION_PERCENTILE[dtype]`` percentile of
    each layer's absolute activations over ``X_calibration`` (rows of inputs,
    as for ``predict``); larger activations saturate.
    """
    if dtype not in QMAX:
        raise ValueError(f"dtype must be 'int8' or 'int16', got {dtype!r}")
    X = check_array(X_calibration, dtype=np.float64)
    if X.shape[1] != network.topology.layer_sizes[0]:
        raise ValueError(
            f"X_calibration has {X.shape[1]} features; the network expects "
            f"{network.topology.layer_sizes[0]}"
        )
    _check_calibration_spread(X, network)
    qmax = QMAX[dtype]
    activations = float_activations(network, X)
    last = network.topology.n_layers - 1
    act_scale = {
        t: _scale(
            np.percentile(np.abs(a), CALIBRATION_PERCENTILE[dtype]) if a.size else 0.0,
            qmax,
        )
        for t, a in activations.items()
        if t != last
    }
    layers = {}
    for target in range(1, last + 1):
        blocks = []
        for source, block in network.blocks[target]:
            block = block.tocsr(copy=True)
            block.sum_duplicates()
            block.sort_indices()
            blocks.append((source, block))
        reach = max(
            (np.max(np.abs(b.data), initial=0.0) * act_scale[s] for s, b in blocks),
            default=0.0,
        )
        bias = network.biases[target]
        if reach > 0:
            acc_scale = reach / qmax
        else:  # bias only: let the largest bias use the activation range
            acc_scale = _scale(np.max(np.abs(bias), initial=0.0), qmax)
        q_blocks, bound = [], np.abs(np.round(bias / acc_scale)).astype(np.int64)
        for source, block in blocks:
            q = block.copy()
            q.data = np.round(block.data * act_scale[source] / acc_scale)
            q.data = np.clip(q.data, -qmax, qmax).astype(np.int64)
            q_blocks.append((source, q))
            bound = bound + np.asarray(abs(q).sum(axis=1)).ravel() * qmax
        bound = int(np.max(bound, initial=0))
        if bound >= _INT62:
            raise ValueError(
                f"layer {target}'s accumulators could reach {bound}, beyond 64 bits"
            )
        q_bias = np.round(bias / acc_scale).astype(np.int64)
        if target == last:
            multiplier, shift, a_scale = 1, 1, 1.0
        else:
            a_scale = act_scale[target]
            multiplier, shift = _rescale(acc_scale / a_scale, qmax, bound)
        layers[target] = QuantizedLayer(
            q_blocks, q_bias, acc_scale, a_scale, multiplier, shift, bound
        )
    return QuantizedNetwork(network, dtype, qmax, act_scale[0], layers)


def quantization_report(model, X, y, *, dtype="int8", X_calibration=None):
    """Accuracy and size of a model exported to C with integer weights.

    Simulates, in numpy, the exact integer arithmetic of the C code that
    ``export_c(model, directory, dtype=dtype, X_calibration=X_calibration)``
    writes, and compares it with the float model on ``(X, y)``.

    Parameters
    ----------
    model : SCANNClassifier or SCANNRegressor
        A fitted estimator.
    X : array-like of shape (n_samples, n_features)
        Rows to evaluate on, preprocessed as for ``model.predict``.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Their true labels or targets.
    dtype : {"int8", "int16"}, default="int8"
        Integer type of the weights and activations.
    X_calibration : array-like of shape (n_calibration, n_features), default=None
        Rows that set the activation scales, as in :func:`export_c`; pass
        the training data. ``None`` uses ``X``, which flatters the result.

    Returns
    -------
    report : dict
        ``"metric"``: ``"accuracy"`` (classifier) or ``"r2"`` (regressor);
        ``"score_quantized"`` and ``"score_float"``: that metric of the
        integer C code and of ``model.predict`` on ``(X, y)``;
        ``"agreement"``: the fraction of rows where both predict the same
        label (classifier) or the R² of the quantized predictions against
        ``model.predict`` (regressor); ``"max_abs_difference"``: the largest
        absolute difference of the two predictions (regressor; ``nan`` for
        a classifier); ``"weight_bytes_quantized"`` and
        ``"weight_bytes_float"``: bytes of weights and biases in the integer
        export (weights as stored: a block stored dense counts its zeros;
        biases in the smallest type that holds them) and in the
        ``dtype="float"`` one; bitmasks and index arrays are not counted;
        ``"accumulator_bits"``: 32, or 64 where a 32-bit accumulator could
        overflow for some input.

    See Also
    --------
    export_c : Write the model as C99, float or integer.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_scann import SCANNClassifier, quantization_report
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SCANNClassifier(n_rounds=1, epochs_per_step=2, random_state=0)
    >>> clf = clf.fit(X, y)
    >>> report = quantization_report(clf, X, y, dtype="int8", X_calibration=X)
    >>> report["metric"], report["accumulator_bits"]
    ('accuracy', 32)
    >>> report["weight_bytes_quantized"] < report["weight_bytes_float"]
    True
    """
    from ._export import _computed_layers

    regression = is_regressor(model)
    check_is_fitted(model, ["network_", "n_features_in_"])
    X = check_array(X, dtype=np.float64)
    y = np.asarray(y)
    network = model.network_
    quantized = quantize_network(
        network, X if X_calibration is None else X_calibration, dtype
    )
    predicted = model.predict(X)
    if regression:
        outputs = quantized.regression_outputs(X).astype(np.float64)
        outputs = outputs.reshape(predicted.shape)
        metric = "r2"
        score_q, score_f = r2_score(y, outputs), r2_score(y, predicted)
        agreement = r2_score(predicted, outputs)
        difference = float(np.max(np.abs(outputs - predicted), initial=0.0))
    else:
        labels = np.asarray(model.classes_)[quantized.class_indices(X)]
        metric = "accuracy"
        score_q, score_f = accuracy_score(y, labels), accuracy_score(y, predicted)
        agreement = float(np.mean(labels == predicted))
        difference = float("nan")
    sizes = network.topology.layer_sizes
    computed = _computed_layers(network)
    float_bytes = 4 * sum(
        sizes[t] + sum(block.nnz for _, block in network.blocks[t]) for t in computed
    )
    return {
        "metric": metric,
        "score_quantized": float(score_q),
        "score_float": float(score_f),
        "agreement": float(agreement),
        "max_abs_difference": difference,
        "weight_bytes_quantized": quantized.weight_bytes(computed),
        "weight_bytes_float": float_bytes,
        "accumulator_bits": quantized.accumulator_bits,
    }

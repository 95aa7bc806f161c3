"""The memory a fit will need, estimated before anything is allocated."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import scipy.sparse as sp

from ._cost import dense_connections

__all__ = ["check_training_memory", "training_memory"]

# Bytes per *allowed* connection of the starting network while it trains:
# the enumeration of the allowed set (growth candidates), the 0/1 masks and
# the weights of every target layer in float64 while the module is built,
# then float32 weights, masks, gradients and two Adam moments. Measured as
# the slope of peak RSS against allowed connections (1 to 4 million, 500
# features, 300 rows): 155 (B), 129 (A) and 140 (C) bytes.
_BYTES_PER_ALLOWED = 160
# Bytes per *active* connection for the checkpoints of the synthesis steps
# (weights in float64 and the sparse adjacency); later steps are smaller.
_BYTES_PER_ACTIVE = 48
# Bytes per stored value of a sparse X (the float32 CSR copy training reads).
_BYTES_PER_SPARSE_VALUE = 8
#: Most values (rows x features) of a dataset training keeps gathered as one
#: float32 batch (16 MiB; see ``BatchDataset.whole_batch``).
KEPT_BATCH_VALUES = 2**22
#: Most batches per epoch of a dataset whose epochs are sliced from one
#: reordered copy of it (``ShuffledBatches``); larger ones gather each batch.
SLICED_BATCHES = 8


def training_memory(
    layer_sizes, *, skip: bool, density: float, batch_size: int, X=None
) -> int:
    """Estimated peak bytes a fit of this starting network allocates.

    Counts the starting network (``layer_sizes``, with skip connections or
    not, ``density`` of the allowed connections active), its checkpoints and
    the copy of the data training makes (a sparse X is copied as float32
    CSR; a dense X on the CPU is read in place), plus one densified batch;
    an X of at most ``SLICED_BATCHES`` batches and ``KEPT_BATCH_VALUES``
    values is also kept as one float32 batch, and reordered once per
    epoch.
    An estimate within a factor of about 1.5 of the measured peak, not a
    bound.
    """
    allowed = dense_connections(layer_sizes, skip=skip)
    active = density * allowed
    total = _BYTES_PER_ALLOWED * allowed + _BYTES_PER_ACTIVE * active
    n_features = layer_sizes[0]
    total += 3 * 4 * batch_size * sum(layer_sizes)  # a batch through the layers
    if sp.issparse(X):
        total += _BYTES_PER_SPARSE_VALUE * X.nnz + 4 * batch_size * n_features
    if X is not None and keeps_data_copy(X.shape[0], n_features, batch_size):
        total += 2 * 4 * X.shape[0] * n_features  # kept, and one epoch's order
    return int(total)


def keeps_data_copy(
    n_rows: int, n_features: int, batch_size: int, max_values=KEPT_BATCH_VALUES
) -> bool:
    """Whether training keeps the data as one gathered float32 batch.

    It does for at most ``SLICED_BATCHES`` batches and ``max_values``
    values: an epoch is then sliced from one reordered copy of it
    (``ShuffledBatches``), where larger data gathers each batch.
    """
    return n_rows <= SLICED_BATCHES * batch_size and n_rows * n_features <= max_values


def _format_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def check_training_memory(
    layer_sizes, *, skip, density, batch_size, X, max_memory, scheme
) -> int:
    """Raise a ValueError naming what to change when a fit would exceed ``max_memory``.

    Returns the estimate in bytes. ``max_memory=None`` checks nothing.
    """
    estimate = training_memory(
        layer_sizes, skip=skip, density=density, batch_size=batch_size, X=X
    )
    if max_memory is None or estimate <= max_memory:
        return estimate
    allowed = dense_connections(layer_sizes, skip=skip)
    raise ValueError(
        f"SCANNClassifier(scheme={scheme!r}) would need about "
        f"{_format_bytes(estimate)} to train a starting network with layers "
        f"{tuple(layer_sizes)} ({allowed:,} allowed connections), more than "
        f"max_memory={_format_bytes(max_memory)}. Use fewer hidden units "
        "(hidden_layer_sizes), fewer features (a DimensionalityReducer in "
        "front, see make_dr_scann) or scheme 'C' (no skip connections); or "
        "raise max_memory (None disables the check)."
    )

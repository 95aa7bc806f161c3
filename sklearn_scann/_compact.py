"""The frozen fitted network as scipy CSR blocks, evaluated with numpy alone."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from ._topology import Topology

__all__ = ["ARRAY_KINDS", "CompactNetwork", "class_logits"]

# The dtype kinds (numpy's one-letter codes) each array of to_arrays may have.
ARRAY_KINDS = {
    "layer_sizes": "iu",
    "skip": "biu",
    "src": "iu",
    "dst": "iu",
    "weights": "f",
    "biases": "f",
}
_KIND_NAMES = {
    "b": "booleans",
    "i": "signed integers",
    "u": "unsigned integers",
    "f": "floats",
}
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def class_logits(outputs: np.ndarray) -> np.ndarray:
    """One logit per class from a network's outputs.

    A binary classifier's network has a single output ``z``, the logit of
    the second class against the first (as ``MLPClassifier`` has); the
    class logits are then ``[0, z]``, whose softmax is ``[1 - s, s]`` with
    ``s`` the logistic function of ``z``. Other outputs are the class logits
    already.
    """
    if outputs.shape[1] != 1:
        return outputs
    return np.hstack([np.zeros_like(outputs), outputs])


def class_probabilities(outputs: np.ndarray) -> np.ndarray:
    """Class probabilities, one row per sample, from outputs by neuron.

    ``outputs`` holds one row per output neuron (as
    :meth:`CompactNetwork.outputs_by_neuron` gives them) and is overwritten.
    The softmax of :func:`class_logits`: for a single output ``z``, that of
    ``[0, z]``, which is ``[expit(-z), expit(z)]``. The reductions run over
    the classes of each sample in this layout, where numpy vectorises over
    samples.
    """
    if outputs.shape[0] == 1:
        proba = np.empty((outputs.shape[1], 2), dtype=outputs.dtype)
        expit(-outputs[0], out=proba[:, 0])
        expit(outputs[0], out=proba[:, 1])
        return proba
    outputs -= outputs.max(axis=0)
    np.exp(outputs, out=outputs)
    outputs /= outputs.sum(axis=0)
    return np.ascontiguousarray(outputs.T)


def class_codes(outputs: np.ndarray) -> np.ndarray:
    """The index of each sample's largest class logit, from outputs by neuron.

    For a single output ``z`` (logits ``[0, z]``): 1 where ``z > 0``, the
    first class on a tie as ``argmax`` has it.
    """
    if outputs.shape[0] == 1:
        return (outputs[0] > 0).astype(np.intp)
    return outputs.argmax(axis=0)


class CompactNetwork:
    """A trained network stored as one CSR matrix per (source, target) layer block.

    Only active connections are stored, so the object's size follows the
    number of connections, not the dense size of the starting network.
    Evaluation uses numpy and scipy only, in float64 (float32 for float32
    input). Each block is applied as a dense array over all its source
    neurons, over just those it reads, or as a sparse product, by the
    expected cost for the batch (expanded from its CSR form on first use
    and never pickled): BLAS beats a sparse product, whose cost per stored
    weight is several times higher, unless the block is very sparse.

    Parameters
    ----------
    topology : Topology
    weights : ndarray of shape (n_connections,)
        Aligned with ``topology.edges()``.
    biases : ndarray of shape (n_neurons,)
    """

    def __init__(self, topology: Topology, weights, biases):
        self.topology = topology
        weights = np.asarray(weights, dtype=np.float64)
        src, dst = topology.edges()
        layer = topology.layer_of
        offsets = topology.offsets
        n = topology.n_neurons
        matrix = sp.csr_array((weights, (dst, src)), shape=(n, n))
        # blocks[t] = list of (source layer, CSR of shape (n_t, n_s)) with connections.
        self.blocks = {}
        for target in range(1, topology.n_layers):
            rows = slice(offsets[target], offsets[target + 1])
            entries = []
            for source in topology.source_layers(target):
                cols = slice(offsets[source], offsets[source + 1])
                here = (layer[src] == source) & (layer[dst] == target)
                if here.any():
                    entries.append((source, sp.csr_array(matrix[rows, cols])))
            self.blocks[target] = entries
        self.biases = [
            np.asarray(biases, dtype=np.float64)[topology.layer_neurons(t)]
            for t in range(topology.n_layers)
        ]
        self._kernels = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_kernels"] = None  # derived from the CSR blocks; not stored
        return state

    def _block_kernels(self, n_samples: int = 1, dtype=np.float64):
        """Per target layer: ``(source layer, kind, weight, columns)`` to apply.

        ``kind`` is ``"dense"`` (a dense array over all source neurons),
        ``"gathered"`` (a dense array over just the source neurons the block
        reads, ``columns``) or ``"csr"`` (the CSR block itself), whichever
        :meth:`_kernel_kind` expects to be cheapest for a batch of
        ``n_samples`` rows; weights are in ``dtype``.
        """
        return self._plan(n_samples, dtype)[0]

    def _plan(self, n_samples: int, dtype):
        """``(kernels, multiplies_every_input)`` for a batch's size class and dtype.

        Built on first use for each size class and float type, never
        pickled.
        """
        large = n_samples > self.SMALL_BATCH
        dtype = np.float32 if dtype == np.float32 else np.float64
        if self._kernels is None:
            self._kernels = {}
        if (large, dtype) not in self._kernels:
            kernels = {}
            for target, entries in self.blocks.items():
                kernels[target] = []
                for source, block in entries:
                    columns = np.unique(block.indices)
                    kind = self._kernel_kind(source, block, columns, large)
                    if kind == "dense":
                        weight, columns = block.toarray().astype(dtype), None
                    elif kind == "gathered":
                        weight = block[:, columns].toarray().astype(dtype)
                    else:
                        weight, columns = block.astype(dtype), None
                    kernels[target].append((source, kind, weight, columns))
            reaching = self._layers_reaching_outputs()
            dense_input = any(
                source == 0 and kind == "dense" and target in reaching
                for target, entries in kernels.items()
                for source, kind, _, _ in entries
            )
            self._kernels[(large, dtype)] = (kernels, dense_input)
        return self._kernels[(large, dtype)]

    #: Up to this many rows a batch is evaluated for latency: numpy's fixed
    #: cost per operation dominates, so blocks stay dense (one BLAS call
    #: each, no scipy product).
    SMALL_BATCH = 64
    # Cost per sample of the ways to apply a block, in picoseconds (numpy's
    # BLAS and scipy on 200,000 rows, two cores): a dense multiply-add, a
    # CSR multiply-add, gathering one column of a row-major input (strided),
    # gathering one hidden neuron's row (contiguous) and transposing one
    # input column for a CSR product.
    _COST_DENSE = 45.0
    _COST_CSR = 330.0
    _COST_GATHER_INPUT = 2500.0
    _COST_GATHER_HIDDEN = 300.0
    _COST_TRANSPOSE_INPUT = 2000.0
    #: A dense block larger than this many weights is gathered even in a
    #: small batch.
    _LARGEST_SMALL_DENSE = 2**16

    def _kernel_kind(self, source, block, columns, large: bool) -> str:
        """The cheapest way to apply ``block`` from layer ``source``."""
        n_target, n_source = block.shape
        if not large:
            dense = n_target * n_source <= self._LARGEST_SMALL_DENSE
            return "dense" if dense else "gathered"
        gather = self._COST_GATHER_INPUT if source == 0 else self._COST_GATHER_HIDDEN
        costs = {
            "dense": n_target * n_source * self._COST_DENSE,
            "gathered": columns.size * (n_target * self._COST_DENSE + gather),
            "csr": block.nnz * self._COST_CSR
            + (n_source * self._COST_TRANSPOSE_INPUT if source == 0 else 0.0),
        }
        return min(costs, key=costs.get)

    @property
    def nbytes(self) -> int:
        """Bytes of the weight blocks (values, indices, row pointers) and biases."""
        total = sum(b.nbytes for b in self.biases[1:])
        for entries in self.blocks.values():
            for _, block in entries:
                total += block.data.nbytes + block.indices.nbytes + block.indptr.nbytes
        return int(total)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain numeric arrays that describe the network completely.

        ``layer_sizes``, ``src``, ``dst`` (connections in row-major order),
        ``weights`` aligned with them and ``biases`` of every neuron.
        """
        src, dst = self.topology.edges()
        n = self.topology.n_neurons
        offsets = self.topology.offsets
        weights = np.zeros(src.size)
        keys = src * n + dst
        for target, entries in self.blocks.items():
            for source, block in entries:
                coo = block.tocoo()
                block_keys = (coo.col + offsets[source]) * n + (
                    coo.row + offsets[target]
                )
                weights[np.searchsorted(keys, block_keys)] = coo.data
        return {
            "layer_sizes": np.asarray(self.topology.layer_sizes, dtype=np.int64),
            "skip": np.asarray(self.topology.skip),
            "src": src,
            "dst": dst,
            "weights": weights,
            "biases": np.concatenate(self.biases),
        }

    @classmethod
    def from_arrays(cls, arrays) -> CompactNetwork:
        """Rebuild from :meth:`to_arrays` output, checking types, shapes and edge rules.

        Raises
        ------
        ValueError
            If an array has the wrong kind of dtype or shape, ``skip`` is not
            one boolean, a connection is invalid or listed twice, or a weight
            or bias is not finite or beyond the float32 range it was trained
            in.
        """
        arrays = {key: np.asarray(arrays[key]) for key in ARRAY_KINDS}
        for key, kinds in ARRAY_KINDS.items():
            if arrays[key].dtype.kind not in kinds:
                raise ValueError(
                    f"{key} has dtype {arrays[key].dtype}; expected "
                    + " or ".join(_KIND_NAMES[kind] for kind in kinds)
                )
        skip = arrays.pop("skip")
        if skip.size != 1 or skip.item() not in (0, 1):
            raise ValueError(f"skip must be one boolean, got {skip!r}")
        if any(array.ndim != 1 for array in arrays.values()):
            raise ValueError("network arrays must be one-dimensional")
        sizes = [int(s) for s in arrays["layer_sizes"]]
        src, dst = arrays["src"], arrays["dst"]
        weights = arrays["weights"].astype(np.float64)
        biases = arrays["biases"].astype(np.float64)
        if not (src.shape == dst.shape == weights.shape):
            raise ValueError(
                f"src, dst and weights disagree in length: {src.shape[0]}, "
                f"{dst.shape[0]}, {weights.shape[0]}"
            )
        if biases.shape[0] != sum(sizes):
            raise ValueError(
                f"{biases.shape[0]} biases for {sum(sizes)} neurons in layers {sizes}"
            )
        if src.size and (
            min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= sum(sizes)
        ):
            raise ValueError("a connection refers to a neuron that does not exist")
        for name, values in (("weights", weights), ("biases", biases)):
            # Trained in float32: anything beyond its range was not trained.
            if not np.all(np.abs(values) <= _FLOAT32_MAX):
                raise ValueError(
                    f"network {name} must be finite and within the float32 range"
                )
        topology = Topology.from_edges(
            sizes, src.astype(np.int64), dst.astype(np.int64), skip=bool(skip.item())
        )
        if topology.n_connections != src.size:
            raise ValueError("the network lists a connection twice")
        order = np.lexsort((dst, src))
        return cls(topology, weights[order], biases)

    def multiplies_every_input(self, n_samples: int, dtype=np.float64) -> bool:
        """Whether a batch of ``n_samples`` rows multiplies every input column.

        True when some block from the inputs is applied densely over all of
        them into a layer with a path to the outputs: a NaN or an infinity
        anywhere in ``X`` then makes every sum of that layer NaN, and the
        path carries it (NaN times any stored weight, even 0, is NaN, and
        the ReLU keeps it) into an output. A caller may then check the
        outputs instead of all of ``X``.
        """
        return self._plan(n_samples, dtype)[1]

    def _layers_reaching_outputs(self) -> set[int]:
        """Layers with at least one neuron on a path of connections to an output."""
        topology = self.topology
        src, dst = topology.edges()
        reaching = np.zeros(topology.n_neurons, dtype=bool)
        reaching[topology.layer_neurons(topology.n_layers - 1)] = True
        # Connections only go forward: one sweep from the last layer back.
        layer_of = topology.layer_of
        for layer in range(topology.n_layers - 2, 0, -1):
            leaving = layer_of[src] == layer
            reaching[src[leaving][reaching[dst[leaving]]]] = True
        return {int(layer) for layer in np.unique(layer_of[reaching])}

    def decision_function(self, X) -> np.ndarray:
        """Output-layer logits for ``X`` (dense array or scipy sparse).

        One row per sample; :meth:`outputs_by_neuron` transposed.
        """
        return np.ascontiguousarray(self.outputs_by_neuron(X).T)

    def outputs_by_neuron(self, X) -> np.ndarray:
        """Output-layer logits for ``X``, one C-ordered row per output neuron.

        Computed in float32 for float32 ``X`` (the precision the network was
        trained in), else in float64. Activations are kept transposed
        (neurons x samples); each block is applied the way
        :meth:`_kernel_kind` expects to be cheapest for the batch: a BLAS
        product over all its source neurons or just those it reads, or a
        sparse product.
        """
        n_samples = X.shape[0]
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        last = self.topology.n_layers - 1
        kernels = self._block_kernels(n_samples, dtype)
        hidden = {0: X.T}
        contiguous_input = None
        for target in range(1, last + 1):
            z = None
            for source, kind, weight, columns in kernels[target]:
                h = hidden[source]
                if kind == "gathered":
                    h = (X[:, columns].T) if source == 0 else h[columns]
                elif source == 0 and kind == "csr" and not sp.issparse(X):
                    if contiguous_input is None:
                        contiguous_input = np.ascontiguousarray(X.T)
                    h = contiguous_input
                product = weight @ h
                if sp.issparse(product):
                    product = product.toarray()
                # Every product is a new array: the first is the sum.
                z = product if z is None else z.__iadd__(product)
            bias = self.biases[target].astype(dtype, copy=False)[:, None]
            if z is None:
                z = np.repeat(bias, n_samples, axis=1)
            else:
                z += bias
            hidden[target] = z if target == last else np.maximum(z, 0, out=z)
        return hidden[last]

"""The torch module built from a Topology: masked dense weights, skip inputs."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ._topology import Topology

__all__ = ["MaskedNetwork", "build_network", "gather_edge_values", "read_parameters"]


def _layer_columns(topology: Topology, target: int) -> np.ndarray:
    """Column of each neuron in ``target``'s weight matrix (-1 if not a source).

    A layer's weight matrix concatenates the blocks of all its source
    layers side by side: one matrix multiply per layer instead of one per
    (source, target) block.
    """
    columns = np.full(topology.n_neurons, -1, dtype=np.int64)
    start = 0
    for source in topology.source_layers(target):
        neurons = topology.layer_neurons(source)
        columns[neurons] = np.arange(start, start + neurons.size)
        start += neurons.size
    return columns


def _edge_coordinates(topology: Topology):
    """Per connection: target layer, row and column in that layer's weight."""
    src, dst = topology.edges()
    target_layer = topology.layer_of[dst]
    rows = dst - topology.offsets[target_layer]
    cols = np.empty_like(src)
    for target in range(1, topology.n_layers):
        here = target_layer == target
        cols[here] = _layer_columns(topology, target)[src[here]]
    return target_layer, rows, cols


#: A layer's weight gradient with fewer columns than this (its inputs) and
#: at least as many rows (its neurons) is computed transposed (see
#: :meth:`MaskedNetwork.set_gradients`).
_NARROW_GRADIENT = 16


class MaskedNetwork(nn.Module):
    """Feed-forward network whose structure is fixed by a mask per layer.

    Layer ``l`` computes ``act(concat(h[s] for s in sources(l)) @ (W_l * M_l).T + b_l)``
    where ``M_l`` is a 0/1 buffer derived from the topology: a masked weight
    has no effect on the output and receives a zero gradient, so an
    optimizer step (momentum and weight decay included) leaves it at 0.
    Hidden layers use ReLU; the output layer returns logits.

    Parameters
    ----------
    topology : Topology
        The structure; masks are derived from it.
    weights : ndarray of shape (n_connections,)
        Weights aligned with ``topology.edges()``.
    biases : ndarray of shape (n_neurons,)
        Bias of every neuron (input neurons' entries are ignored).
    dtype : torch.dtype, default=torch.float32
    """

    def __init__(self, topology: Topology, weights, biases, dtype=torch.float32):
        super().__init__()
        self.layer_sizes = topology.layer_sizes
        self.sources = [topology.source_layers(t) for t in range(topology.n_layers)]
        target_layer, rows, cols = _edge_coordinates(topology)
        weights = np.asarray(weights, dtype=float)
        biases = np.asarray(biases, dtype=float)
        self.weight = nn.ParameterList()
        self.bias = nn.ParameterList()
        self.masks = []
        for target in range(1, topology.n_layers):
            n_in = sum(topology.layer_sizes[s] for s in self.sources[target])
            shape = (topology.layer_sizes[target], n_in)
            here = target_layer == target
            weight = np.zeros(shape)
            weight[rows[here], cols[here]] = weights[here]
            mask = np.zeros(shape)
            mask[rows[here], cols[here]] = 1.0
            self.weight.append(nn.Parameter(torch.as_tensor(weight, dtype=dtype)))
            self.bias.append(
                nn.Parameter(
                    torch.as_tensor(biases[topology.layer_neurons(target)], dtype=dtype)
                )
            )
            name = f"mask_{target}"
            self.register_buffer(name, torch.as_tensor(mask, dtype=dtype))
            self.masks.append(name)
        # Per layer, the first column of its weight that reads a hidden
        # layer (the input layer, when a source, comes first) and the hidden
        # sources with their column spans: what the backward pass sends
        # gradients to.
        self.hidden_columns = []
        for target in range(1, topology.n_layers):
            start, spans = 0, []
            for source in self.sources[target]:
                size = topology.layer_sizes[source]
                if source > 0:
                    spans.append((source, start, size))
                start += size
            first = spans[0][1] if spans else start
            self.hidden_columns.append(
                (first, [(src, col - first, size) for src, col, size in spans])
            )

    _parts = None

    def _apply(self, *args, **kwargs):
        # Moving the module replaces its buffers: forget the cached lists.
        self._parts = None
        return super()._apply(*args, **kwargs)

    def parts(self):
        """``(weights, biases, masks)``: per non-input layer, as plain lists.

        Cached: indexing a ParameterList costs more than the arithmetic of
        a small layer.
        """
        if self._parts is None:
            self._parts = (
                list(self.weight),
                list(self.bias),
                [getattr(self, m) for m in self.masks],
            )
        return self._parts

    def effective_weights(self) -> list[torch.Tensor]:
        """``W_l * M_l`` for every non-input layer."""
        weights, _, masks = self.parts()
        return [w * m for w, m in zip(weights, masks, strict=True)]

    def propagate(self, X, weights, *, keep_hidden: bool = False):
        """Forward pass with the given effective weights.

        Returns the logits, and with ``keep_hidden`` the list of every
        layer's activations as well (input first).
        """
        hidden, _ = self._layers(X, weights)
        return (hidden[-1], hidden) if keep_hidden else hidden[-1]

    def _layers(self, X, weights):
        """Every layer's activations (input first) and each layer's input.

        A layer's input concatenates the activations of its source layers,
        in order; the output layer returns logits.
        """
        biases = self.parts()[1]
        hidden, inputs = [X], []
        last = len(self.layer_sizes) - 1
        for target in range(1, last + 1):
            sources = self.sources[target]
            layer_input = (
                hidden[sources[0]]
                if len(sources) == 1
                else torch.cat([hidden[s] for s in sources], dim=1)
            )
            z = torch.addmm(biases[target - 1], layer_input, weights[target - 1].T)
            inputs.append(layer_input)
            hidden.append(z if target == last else torch.relu(z))
        return hidden, inputs

    def forward(self, X, sample_weight=None):
        # ``sample_weight`` travels with X through skorch; the loss reads it.
        return self.propagate(X, self.effective_weights())

    def forward_for_training(self, X):
        """Outputs of ``X`` and what :meth:`set_gradients` needs.

        Call it under ``torch.no_grad()``: no autograd graph is built.
        Returns ``(outputs, cache)``; the cache holds every layer's
        weight, the concatenated inputs it multiplied and the
        activations.
        """
        # A masked weight is 0 and stays 0 (its gradient is masked, so no
        # optimizer step moves it): the parameters are the effective
        # weights, without a W * M product per update.
        weights = self.parts()[0]
        hidden, inputs = self._layers(X, weights)
        return hidden[-1], (weights, inputs, hidden)

    def set_gradients(self, output_gradient, cache):
        """Set every parameter's ``.grad`` from the gradient of the loss at the outputs.

        The backward pass of :meth:`forward_for_training` (call it under
        ``torch.no_grad()`` too), written out: for each layer from the
        last, ``dW = (dZ^T @ input) * M``, ``db = sum dZ`` and ``dZ @ W``
        sent back to the hidden layers it reads (ReLU passing the gradient
        where the activation is positive). It gives autograd's gradients
        (up to float rounding) at a fraction of the cost on networks this
        small, where autograd's per-operation bookkeeping, not arithmetic,
        dominates an update. Masked weights get a zero gradient, so an
        optimizer step leaves them at 0.
        """
        parameters, biases, masks = self.parts()
        weights, inputs, hidden = cache
        last = len(self.layer_sizes) - 1
        upstream = [None] * (last + 1)
        upstream[last] = output_gradient
        for target in range(last, 0, -1):
            grad = upstream[target]
            if grad is None:  # a layer nothing reads: no gradient reaches it
                grad = torch.zeros_like(hidden[target])
            elif target != last:
                # ReLU's backward (autograd's own kernel): the gradient where
                # the activation is positive. A float-by-bool product took
                # five times as long on these sizes.
                grad = torch.ops.aten.threshold_backward(grad, hidden[target], 0.0)
            layer = target - 1
            weight, bias = parameters[layer], biases[layer]
            if weight.grad is None:
                weight.grad = (grad.T @ inputs[layer]) * masks[layer]
                bias.grad = grad.sum(dim=0)
            else:
                # Into the gradients already there: no allocation, and no
                # ``.grad`` assignment (whose checks cost more than the
                # arithmetic on layers this small).
                rows, cols = weight.shape
                if cols < _NARROW_GRADIENT <= rows:
                    # A tall, narrow gradient (many neurons reading a few
                    # inputs) is a slow shape for the BLAS's product:
                    # its transpose, then copied, takes a third of the
                    # time (100 x 7 from 157 rows: 9 against 27 us).
                    weight.grad.copy_(torch.mm(inputs[layer].T, grad).T)
                    weight.grad.mul_(masks[layer])
                else:
                    torch.mm(grad.T, inputs[layer], out=weight.grad).mul_(masks[layer])
                torch.sum(grad, dim=0, out=bias.grad)
            first, spans = self.hidden_columns[layer]
            if not spans:
                continue
            back = grad @ weights[layer][:, first:]
            for source, column, size in spans:
                part = back.narrow(1, column, size)
                upstream[source] = (
                    part if upstream[source] is None else upstream[source] + part
                )


def build_network(topology: Topology, weights, biases, dtype=torch.float32):
    """The torch module for ``topology`` with the given parameters."""
    return MaskedNetwork(topology, weights, biases, dtype=dtype)


def read_parameters(module: MaskedNetwork, topology: Topology):
    """The module's weights aligned with ``topology.edges()`` and all biases.

    Only active connections are read; whatever a masked entry holds is
    ignored.
    """
    target_layer, rows, cols = _edge_coordinates(topology)
    weights = np.zeros(target_layer.size)
    biases = np.zeros(topology.n_neurons)
    with torch.no_grad():
        for target in range(1, topology.n_layers):
            here = target_layer == target
            w = module.weight[target - 1].detach().cpu().double().numpy()
            weights[here] = w[rows[here], cols[here]]
            biases[topology.layer_neurons(target)] = (
                module.bias[target - 1].detach().cpu().double().numpy()
            )
    return weights, biases


def gather_edge_values(topology: Topology, layer_matrices, src, dst) -> np.ndarray:
    """Read per-layer dense matrices (module layout) at connections ``src -> dst``.

    Used to pick the gradient of dormant connections out of the gradient
    with respect to the effective weights.
    """
    src = np.asarray(src, np.int64)
    dst = np.asarray(dst, np.int64)
    out = np.zeros(src.size)
    target_layer = topology.layer_of[dst]
    rows = dst - topology.offsets[target_layer]
    for target in range(1, topology.n_layers):
        here = np.flatnonzero(target_layer == target)
        if here.size:
            cols = _layer_columns(topology, target)[src[here]]
            out[here] = np.asarray(layer_matrices[target - 1])[rows[here], cols]
    return out

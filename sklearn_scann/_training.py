"""Training through skorch: the net, a whole-batch data path, structure scores."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp
import torch
from skorch import NeuralNet
from skorch.utils import to_device

from ._network import build_network, gather_edge_values, read_parameters
from ._topology import Topology

__all__ = ["BatchDataset", "ShuffledBatches", "SCANNNet", "Trainer"]


@functools.cache
def _fused_adam_options() -> dict:
    """``fused=True`` where this torch supports it on the CPU (2.4 and later).

    On networks this small the optimizer's per-tensor Python overhead, not
    its arithmetic, dominates a step; the fused kernel halves it.
    """
    try:
        probe = torch.nn.Parameter(torch.zeros(1))
        torch.optim.Adam([probe], fused=True)
    except (RuntimeError, TypeError, ValueError):
        return {}
    return {"optimizer__fused": True}


class BatchDataset(torch.utils.data.Dataset):
    """Training data held as tensors, indexed a whole batch at a time.

    ``dataset[indices]`` returns ``({"X": X[indices], "sample_weight": w[indices]},
    y[indices])`` with one tensor gather per batch instead of skorch's default
    one-sample-at-a-time collation. A scipy sparse ``X`` stays sparse and each
    batch is densified on its own.
    """

    def __init__(self, X, y, sample_weight):
        if sp.issparse(X):
            self.X = sp.csr_array(X, dtype=np.float32)
        else:
            self.X = torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32))
        self.y = torch.as_tensor(np.asarray(y, dtype=np.int64))
        self.sample_weight = torch.as_tensor(np.asarray(sample_weight, np.float32))

    def __len__(self):
        return int(self.y.shape[0])

    def rows(self, indices):
        if isinstance(self.X, torch.Tensor):
            return self.X[indices]
        index = np.asarray(indices)
        return torch.as_tensor(self.X[index].toarray())

    def __getitem__(self, indices):
        X = {"X": self.rows(indices), "sample_weight": self.sample_weight[indices]}
        return X, self.y[indices]


class ShuffledBatches:
    """Iterator over a :class:`BatchDataset` in (optionally shuffled) batches.

    Stands in for skorch's ``DataLoader``; the permutation comes from a
    seeded ``torch.Generator`` so that a fit is reproducible.
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None):
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator)
        else:
            order = torch.arange(n)
        for start in range(0, n, self.batch_size):
            yield self.dataset[order[start : start + self.batch_size]]


class SCANNNet(NeuralNet):
    """skorch net whose loss is the sample-weighted mean cross-entropy.

    The criterion returns one loss per sample (``reduction="none"``);
    :meth:`get_loss` averages it with the batch's sample weights, and
    :meth:`train_step` keeps the fit within its share of the process's
    threads.
    """

    #: The fit's :class:`~sklearn_scann._threads.ThreadShare`, applied per batch.
    thread_share = None

    def train_step(self, batch, **fit_params):
        if self.thread_share is not None:
            self.thread_share.apply()
        return super().train_step(batch, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        per_sample = super().get_loss(y_pred, y_true, X=X, training=training)
        weight = X["sample_weight"].to(per_sample.device)
        total = weight.sum()
        if total <= 0:
            return (per_sample * weight).sum()
        return (per_sample * weight).sum() / total


class Trainer:
    """Trains a :class:`~sklearn_scann._network.MaskedNetwork` through skorch.

    Holds one :class:`SCANNNet` for the whole synthesis. After a structural
    change, :meth:`set_parameters` swaps in a module built from the new
    topology and rebuilds the optimizer, so no momentum or Adam moment of a
    removed or regrown weight survives the change.
    """

    def __init__(
        self,
        dataset: BatchDataset,
        *,
        solver="adam",
        learning_rate=1e-3,
        momentum=0.9,
        alpha=1e-4,
        batch_size=200,
        device="cpu",
        seed=0,
        threads=None,
    ):
        self.dataset = dataset
        self.device = device
        generator = torch.Generator().manual_seed(int(seed))
        if solver == "adam":
            optimizer, extra = torch.optim.Adam, _fused_adam_options()
        else:
            optimizer, extra = (
                torch.optim.SGD,
                {
                    "optimizer__momentum": momentum,
                    "optimizer__nesterov": momentum > 0,
                },
            )
        self.net_kwargs = dict(
            criterion=torch.nn.CrossEntropyLoss,
            criterion__reduction="none",
            optimizer=optimizer,
            optimizer__weight_decay=alpha,
            lr=learning_rate,
            batch_size=batch_size,
            iterator_train=ShuffledBatches,
            iterator_train__shuffle=True,
            iterator_train__generator=generator,
            train_split=None,
            callbacks="disable",
            device=device,
            **extra,
        )
        self.net = None
        self.topology = None
        self.threads = threads  # the fit's ThreadShare, or None

    # -- parameters ----------------------------------------------------------

    def set_parameters(self, topology: Topology, weights, biases):
        """Train ``topology`` from now on, starting at the given parameters."""
        module = to_device(build_network(topology, weights, biases), self.device)
        self.topology = topology
        if self.net is None:
            self.net = SCANNNet(module=module, **self.net_kwargs).initialize()
            self.net.thread_share = self.threads
        else:
            self.net.module_ = module
            self.net.initialize_optimizer()

    def parameters(self):
        """Current ``(weights, biases)`` aligned with the topology."""
        return read_parameters(self.net.module_, self.topology)

    # -- training -------------------------------------------------------------

    def train(self, epochs: int) -> float:
        """Train ``epochs`` epochs; return the last epoch's mean training loss."""
        if epochs <= 0:
            return float("nan")
        self.net.fit_loop(self.dataset, epochs=epochs)
        batches = self.net.history[-1, "batches"]
        losses = np.array([b["train_loss"] for b in batches])
        sizes = np.array([b["train_batch_size"] for b in batches])
        return float(np.average(losses, weights=sizes))

    # -- scores for the structural operations ---------------------------------

    def structure_scores(self, candidate_src, candidate_dst):
        """Gradient scores of dormant connections and mean |activation| per neuron.

        The gradient is taken with respect to the *effective* weight
        ``W * M`` (autograd on a detached copy), so a masked-out connection
        gets the true ``dL/dw`` at ``w = 0``. It is the gradient of the
        weighted mean loss over the whole training set, accumulated batch
        by batch.
        """
        module = self.net.module_
        module.eval()
        effective = [
            w.detach().clone().requires_grad_(True) for w in module.effective_weights()
        ]
        activation_sums = [
            torch.zeros(size, device=effective[0].device) for size in module.layer_sizes
        ]
        total_weight = float(self.dataset.sample_weight.sum())
        n = len(self.dataset)
        batch = self.net.batch_size
        for start in range(0, n, batch):
            index = torch.arange(start, min(start + batch, n))
            X, y = self.dataset[index]
            Xb = X["X"].to(self.device)
            wb = X["sample_weight"].to(self.device)
            logits, hidden = module.propagate(Xb, effective, keep_hidden=True)
            per_sample = torch.nn.functional.cross_entropy(
                logits, y.to(self.device), reduction="none"
            )
            loss = (per_sample * wb).sum() / max(total_weight, 1e-12)
            loss.backward()
            with torch.no_grad():
                for sums, h in zip(activation_sums, hidden, strict=True):
                    sums += h.abs().sum(dim=0)
        grads = [e.grad.detach().cpu().double().numpy() for e in effective]
        scores = gather_edge_values(self.topology, grads, candidate_src, candidate_dst)
        activations = torch.cat(activation_sums).cpu().double().numpy() / max(n, 1)
        return scores, activations

    def predict_logits(self, X) -> np.ndarray:
        """Logits of the current module for a dense or sparse ``X``."""
        module = self.net.module_
        module.eval()
        out = []
        with torch.no_grad():
            dataset = BatchDataset(X, np.zeros(X.shape[0]), np.ones(X.shape[0]))
            for start in range(0, X.shape[0], 4096):
                index = torch.arange(start, min(start + 4096, X.shape[0]))
                Xb = dataset.rows(index).to(self.device)
                out.append(module(Xb).cpu().double().numpy())
        return np.concatenate(out) if out else np.zeros((0, module.layer_sizes[-1]))

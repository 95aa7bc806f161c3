"""Training through skorch: the net, a whole-batch data path, structure scores."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from skorch import NeuralNet
from skorch.utils import to_device

from ._memory import KEPT_BATCH_VALUES, keeps_data_copy
from ._network import build_network, gather_edge_values, read_parameters
from ._topology import Topology

__all__ = [
    "BatchDataset",
    "LeanAdam",
    "SCANNNet",
    "ShuffledBatches",
    "Trainer",
    "class_logits_tensor",
    "loss_and_output_gradient",
    "output_gradient",
    "per_sample_loss",
]


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


def per_sample_loss(outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each sample's loss: squared error for float targets, else cross-entropy.

    Float targets (regression, standardised) get the mean over outputs of
    the squared error; integer class codes the cross-entropy of the class
    logits. One function serves training and the growth scores.
    """
    if y.is_floating_point():
        return ((outputs - y) ** 2).mean(dim=1)
    return torch.nn.functional.cross_entropy(
        class_logits_tensor(outputs), y, reduction="none"
    )


def loss_and_output_gradient(outputs, y, sample_weight=None):
    """The batch's mean (weighted) loss and its gradient with respect to ``outputs``.

    The loss is that of :func:`per_sample_loss`, averaged over the batch
    (each sample multiplied by its weight, which has mean 1 over the
    dataset); the gradient is :func:`output_gradient`'s, written out
    rather than taken by autograd. Call it under ``torch.no_grad()``.
    """
    per_sample = per_sample_loss(outputs, y)
    loss = (
        per_sample.mean()
        if sample_weight is None
        else (per_sample * sample_weight).mean()
    )
    return loss, output_gradient(outputs, y, sample_weight)


def output_gradient(outputs, y, sample_weight=None):
    """The gradient of the batch's mean (weighted) loss with respect to ``outputs``.

    Written out rather than taken by autograd: the class probabilities
    minus the one-hot targets for the cross-entropy (for a single binary
    output ``z``, ``sigmoid(z) - y``), or ``2 (outputs - y) / n_outputs``
    per sample for squared errors, over the batch size and times the
    sample's weight. The training loop reads the loss of only a few
    epochs (:func:`loss_and_output_gradient`); the other updates need only
    this. Call it under ``torch.no_grad()``.
    """
    n = outputs.shape[0]
    if y.is_floating_point():
        gradient = (outputs - y).mul_(2.0 / (n * outputs.shape[1]))
    elif outputs.shape[1] == 1:
        gradient = torch.sigmoid(outputs).sub_(y.unsqueeze(1)).div_(n)
    else:
        # The softmax written out: torch's kernel takes three times as long
        # on rows this short (200 x 10: 40 against 13 us).
        gradient = (outputs - outputs.amax(dim=1, keepdim=True)).exp_()
        gradient.div_(gradient.sum(dim=1, keepdim=True))
        minus_one = torch.full((n, 1), -1.0, dtype=gradient.dtype, device=y.device)
        gradient.scatter_add_(1, y.unsqueeze(1), minus_one).div_(n)
    if sample_weight is None:
        return gradient
    return gradient.mul_(sample_weight.unsqueeze(1))


class LeanAdam(torch.optim.Adam):
    """torch's Adam with a lean :meth:`fast_step` for the training hot loop.

    On networks this small, ``Adam.step``'s Python work (profiling hooks,
    grouping the tensors by device, argument checks) takes ten times the
    fused kernel's arithmetic. ``fast_step`` calls the fused kernel
    directly with the same state (``step``, ``exp_avg``, ``exp_avg_sq``
    per parameter, one parameter group, no amsgrad), so that ``step`` and
    ``fast_step`` may be mixed. Built with ``fused=True`` only (see
    :func:`_fused_adam_options`).
    """

    _lists = None

    def fast_step(self):
        group = self.param_groups[0]
        if self._lists is None:
            params = list(group["params"])
            if any(self.state[p] for p in params):
                # Started by step(): its step counts are separate tensors.
                self.step()
                return
            # One tensor holds every parameter's step count (views of it
            # are the states' "step"), so that one add counts a step.
            counts = torch.zeros(
                len(params), dtype=torch.float32, device=params[0].device
            )
            for i, p in enumerate(params):
                self.state[p].update(
                    step=counts[i],
                    exp_avg=torch.zeros_like(p),
                    exp_avg_sq=torch.zeros_like(p),
                )
            self._lists = (
                params,
                [self.state[p]["exp_avg"] for p in params],
                [self.state[p]["exp_avg_sq"] for p in params],
                [self.state[p]["step"] for p in params],
                counts,
            )
        params, exp_avgs, exp_avg_sqs, steps, counts = self._lists
        beta1, beta2 = group["betas"]
        counts.add_(1)
        torch._fused_adam_(
            params,
            [p.grad for p in params],
            exp_avgs,
            exp_avg_sqs,
            [],
            steps,
            amsgrad=False,
            lr=float(group["lr"]),
            beta1=beta1,
            beta2=beta2,
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=False,
            grad_scale=None,
            found_inf=None,
        )


def class_logits_tensor(outputs: torch.Tensor) -> torch.Tensor:
    """Torch twin of :func:`~sklearn_scann._compact.class_logits`.

    A single output ``z`` (a binary network) becomes the class logits
    ``[0, z]``: the cross-entropy on them is the logistic loss of ``z``.
    """
    if outputs.shape[1] != 1:
        return outputs
    return torch.cat([torch.zeros_like(outputs), outputs], dim=1)


class BatchDataset(torch.utils.data.Dataset):
    """A fit's samples held as tensors, indexed a whole batch at a time.

    ``dataset[positions]`` returns ``({"X": X, "sample_weight": w}, y)`` for
    those positions with one tensor gather per array, instead of skorch's
    default one-sample-at-a-time collation.

    Nothing the size of a large data set is copied on the CPU: a dense
    C-ordered float32 or float64 ``X`` is wrapped as it is and each batch is
    gathered through ``rows`` (the dataset's rows of ``X``, e.g. the
    training part of a split) and cast to float32 on its own. A dataset of
    at most ``2**22`` values (16 MiB of float32) and a few batches is
    gathered once and kept as one batch (:meth:`whole_batch`), which an
    epoch's batches are then taken from. On a GPU the dataset's rows are
    copied to the device once, as float32. A scipy sparse ``X`` stays
    sparse and each batch is densified on its own (a small one is kept
    densified, as above).

    ``sample_weight`` is rescaled to a mean of 1 over the dataset, so that
    ``mean(loss * w)`` over a batch estimates the weighted mean loss of the
    whole dataset without a division by the batch's own total (which may be
    0). Equal weights are dropped (``"sample_weight"`` is None) and the
    loss is a plain mean.
    """

    def __init__(self, X, y=None, sample_weight=None, *, rows=None, device="cpu"):
        # ``y`` and ``sample_weight`` are aligned with ``X``; ``rows`` picks
        # the dataset's samples (all of them when None).
        self.device = torch.device(device)
        if rows is not None:
            rows = np.asarray(rows, dtype=np.int64)
            y = None if y is None else np.asarray(y)[rows]
            sample_weight = (
                None if sample_weight is None else np.asarray(sample_weight)[rows]
            )
        n = X.shape[0] if rows is None else rows.size
        self.rows = None if rows is None else torch.as_tensor(rows)
        if sp.issparse(X):
            self.X = sp.csr_array(X, dtype=np.float32)
        elif self.device.type == "cpu" and X.dtype in (np.float32, np.float64):
            with warnings.catch_warnings():
                # A read-only array (e.g. a memmap) is only ever read here.
                warnings.filterwarnings("ignore", "The given NumPy array is not")
                self.X = torch.from_numpy(np.ascontiguousarray(X))
        else:
            if rows is not None:
                X = X[rows]
                self.rows = None
            self.X = torch.as_tensor(
                np.asarray(X, dtype=np.float32), device=self.device
            )
        if y is None:
            y = np.zeros(n, np.int64)
        elif np.asarray(y).dtype.kind == "f":
            # Regression targets: float32, one column per output.
            y = np.asarray(y, dtype=np.float32).reshape(n, -1)
        else:
            y = np.asarray(y, dtype=np.int64)
        self.y = torch.as_tensor(y, device=self.device)
        self.sample_weight = None
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64)
            if w.size and not np.all(w == w[0]):
                w = w / max(w.mean(), np.finfo(np.float64).tiny)
                self.sample_weight = torch.as_tensor(
                    w.astype(np.float32), device=self.device
                )

    def __len__(self):
        return int(self.y.shape[0])

    def rows_of(self, positions):
        """Float32 rows of ``X`` at ``positions`` (an int64 tensor), on the device."""
        if isinstance(self.X, torch.Tensor):
            # ``rows`` is only kept where X stays on the CPU.
            index = positions if self.rows is None else self.rows[positions]
            rows = torch.index_select(self.X, 0, index.to(self.X.device))
            return rows.to(torch.float32) if rows.dtype != torch.float32 else rows
        positions = positions.cpu()
        index = positions if self.rows is None else self.rows[positions]
        dense = torch.as_tensor(self.X[index.numpy()].toarray())
        return dense.to(self.device)

    #: Most values (rows x features) of the whole-dataset batch kept by
    #: :meth:`whole_batch`: 16 MiB of float32.
    _WHOLE_BATCH_VALUES = KEPT_BATCH_VALUES
    #: The kept whole-dataset batch, or None.
    _whole = None

    def whole_batch(self):
        """Every sample as one batch (``self[all positions]``), kept if small.

        When a batch is the whole dataset, shuffling changes nothing but the
        order of a sum: on small data sets every epoch is this one batch,
        gathered once instead of once per epoch.
        """
        if self._whole is not None:
            return self._whole
        batch = self[torch.arange(len(self))]
        if batch[0]["X"].numel() <= self._WHOLE_BATCH_VALUES:
            self._whole = batch
        return batch

    def kept_batch(self, batch_size: int):
        """The whole dataset as one batch where training keeps it, else None.

        Kept for a few batches of ``batch_size`` of a small dataset (see
        :func:`~sklearn_scann._memory.keeps_data_copy`):
        :class:`ShuffledBatches` then slices an epoch's batches out of one
        gather of it, instead of gathering every batch from ``X``.
        """
        n_features = self.X.shape[1]
        if not keeps_data_copy(
            len(self), n_features, batch_size, self._WHOLE_BATCH_VALUES
        ):
            return None
        return self.whole_batch()

    def __getitem__(self, positions):
        positions = positions.to(self.device)
        weight = self.sample_weight
        X = {
            "X": self.rows_of(positions),
            "sample_weight": None if weight is None else weight[positions],
        }
        return X, self.y[positions]


class ShuffledBatches:
    """Iterator over a :class:`BatchDataset` in (optionally shuffled) batches.

    Stands in for skorch's ``DataLoader``; the permutation comes from a
    seeded ``torch.Generator`` (on the CPU, whatever the device) so that a
    fit is reproducible.
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
        if n <= self.batch_size:
            yield self.dataset.whole_batch()
            return
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator)
        else:
            order = torch.arange(n)
        order = order.to(self.dataset.device)
        # A few batches of a small dataset are sliced from one reordered
        # copy of it; many (where each update's arithmetic dwarfs a gather)
        # are gathered one by one, without that copy.
        kept = self.dataset.kept_batch(self.batch_size)
        if kept is None:
            for start in range(0, n, self.batch_size):
                yield self.dataset[order[start : start + self.batch_size]]
            return
        # The epoch's order is one gather of the kept batch and every batch
        # a slice of that: the same rows in the same order as gathering
        # each batch on its own.
        X, y = kept
        X, w, y = (
            X["X"][order],
            None if X["sample_weight"] is None else X["sample_weight"][order],
            y[order],
        )
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            yield (
                {
                    "X": X[start:stop],
                    "sample_weight": None if w is None else w[start:stop],
                },
                y[start:stop],
            )


class CosineCycle:
    """A learning rate decaying from ``peak`` to 0 over ``total`` updates (cosine).

    :meth:`step` sets the optimizer's rate for the next update and counts
    it. The count lives here rather than on the skorch net, whose
    ``__setattr__`` (it tracks modules and optimizers) costs more per
    update than the rest of the schedule.
    """

    def __init__(self, peak: float, total: int):
        self.peak = peak
        self.total = total
        self.update = 0

    def step(self, optimizer) -> None:
        progress = min(self.update / self.total, 1.0)
        lr = 0.5 * self.peak * (1.0 + math.cos(math.pi * progress))
        for group in optimizer.param_groups:
            group["lr"] = lr
        self.update += 1


class SCANNNet(NeuralNet):
    """skorch net that trains on whole tensor batches with little per-batch work.

    skorch's fit loop, module, optimizer and history are used as they are;
    the per-batch path is trimmed for small tabular networks, where a
    batch's arithmetic takes well under a millisecond and Python work per
    batch shows. The :class:`Trainer` builds the net with callbacks
    disabled, so an epoch here skips the per-batch callback notifications
    and history rows and sets train mode once. Of a :meth:`fit_loop`'s
    epochs only the first and the last compute the loss, keep it on the
    device and read it back once (``history[-1, "train_loss"]``, the
    batch-size-weighted mean); the epochs between take the gradient at the
    outputs alone (:func:`output_gradient`). A net given callbacks runs
    skorch's own loop and epoch instead.

    An update takes no autograd graph: the module's written-out backward
    pass (:meth:`~sklearn_scann._network.MaskedNetwork.set_gradients`)
    sets the gradients and :class:`LeanAdam` steps. On the suite's small
    data sets, where an epoch is one or two updates of a network with a
    few thousand weights, this halves the time of an update (133 rows x 60
    features into 100 hidden neurons: 0.59 to 0.29 ms on one thread);
    autograd still scores the dormant connections for growth.

    The loss is the cross-entropy (class codes) or the squared error
    (float targets; see :func:`per_sample_loss`), weighted by the batch's
    ``sample_weight`` where the dataset has one (see :class:`BatchDataset`).
    """

    #: The fit's :class:`~sklearn_scann._threads.ThreadShare`, applied per batch.
    thread_share = None
    #: The :class:`CosineCycle` of the current ``train`` call (a warm restart
    #: after every structural change), or None: constant learning rate.
    lr_cycle = None

    #: Whether the current epoch's updates compute the loss (see fit_loop).
    loss_wanted = True

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        if self.callbacks_ or y is not None or fit_params or self.train_split:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        # The Trainer's loop: no validation split, no callbacks to notify.
        # Only the first and the last epoch's loss is ever read (the
        # Trainer returns the last and checks progress between the two):
        # those two get a history row, the epochs between train without
        # computing the loss at all.
        epochs = self.max_epochs if epochs is None else epochs
        iterator = self.get_iterator(X, training=True)
        try:
            for epoch in range(epochs):
                wanted = epoch in (0, epochs - 1)
                if wanted != self.loss_wanted:
                    # Only on a change: skorch's __setattr__ (it tracks
                    # modules and optimizers) costs as much as a small
                    # update's arithmetic.
                    self.loss_wanted = wanted
                if wanted:
                    self.history.new_epoch()
                self.run_single_epoch(
                    iterator, training=True, prefix="train", step_fn=self.train_step
                )
        finally:
            self.loss_wanted = True
        return self

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is None:
            return
        if self.callbacks_:
            super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
            return
        if self.module_.training != training:
            # Switching modes walks every submodule: only when it changes.
            self._set_training(training)
        if not self.loss_wanted:
            for batch in iterator:
                step_fn(batch, **fit_params)
            return
        total, count, batches = 0.0, 0, 0
        for batch in iterator:
            step = step_fn(batch, **fit_params)
            size = batch[1].shape[0]
            total = total + step["loss"].detach() * size
            count += size
            batches += 1
        self.history.record(prefix + "_loss", float(total) / max(count, 1))
        self.history.record(prefix + "_batch_count", batches)

    def train_step(self, batch, **fit_params):
        if self.thread_share is not None:
            self.thread_share.apply()
        if self.lr_cycle is not None:
            self.lr_cycle.step(self.optimizer_)
        if self.callbacks_:
            return super().train_step(batch, **fit_params)
        # The gradients are set, not accumulated: nothing to zero first.
        step = self.train_step_single(batch, **fit_params)
        optimizer = self.optimizer_
        if isinstance(optimizer, LeanAdam):
            optimizer.fast_step()
        else:
            optimizer.step()
        return step

    def train_step_single(self, batch, **fit_params):
        if self.callbacks_:
            return super().train_step_single(batch, **fit_params)
        # The module's written-out backward pass instead of autograd (see
        # MaskedNetwork.set_gradients); the loss is get_loss's.
        Xi, yi = batch
        module = self.module_
        with torch.no_grad():
            y_pred, cache = module.forward_for_training(Xi["X"])
            if self.loss_wanted:
                loss, gradient = loss_and_output_gradient(
                    y_pred, yi, Xi["sample_weight"]
                )
            else:
                loss, gradient = None, output_gradient(y_pred, yi, Xi["sample_weight"])
            module.set_gradients(gradient, cache)
        return {"loss": loss, "y_pred": y_pred}

    def get_loss(self, y_pred, y_true, X=None, training=False):
        # The functional form of the net's criterion, so that one call
        # serves the plain and the per-sample (weighted) loss.
        weight = None if X is None else X.get("sample_weight")
        if weight is None and not y_true.is_floating_point():
            return torch.nn.functional.cross_entropy(
                class_logits_tensor(y_pred), y_true
            )
        per_sample = per_sample_loss(y_pred, y_true)
        return per_sample.mean() if weight is None else (per_sample * weight).mean()


def _check_progress(losses) -> None:
    """Warn when per-epoch training losses are not finite or did not fall."""
    if not np.all(np.isfinite(losses)):
        warnings.warn(
            "the training loss is not finite: the network cannot train on this "
            "data. Scale the features (e.g. StandardScaler) or lower the "
            "learning_rate.",
            UserWarning,
            stacklevel=2,
        )
    elif len(losses) >= 2 and losses[-1] >= losses[0]:
        warnings.warn(
            f"the training loss did not fall while training the starting network "
            f"({losses[0]:.4g} in the first epoch, {losses[-1]:.4g} in the last): "
            "scale the features (e.g. StandardScaler) or change the "
            "learning_rate.",
            UserWarning,
            stacklevel=2,
        )


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
        lr_schedule="constant",
    ):
        self.dataset = dataset
        self.device = device
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        generator = torch.Generator().manual_seed(int(seed))
        if solver == "adam":
            extra = _fused_adam_options()
            optimizer = LeanAdam if extra else torch.optim.Adam
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
        # A Progress told of every epoch (verbose fits), or None.
        self.progress = None

    # -- data and parameters -------------------------------------------------

    def set_dataset(self, dataset: BatchDataset, batch_size: int):
        """Train on ``dataset`` from now on, in batches of ``batch_size``."""
        self.dataset = dataset
        self.net.batch_size = int(batch_size)

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

    def train(
        self, epochs: int, *, check_progress: bool = False, peak_learning_rate=None
    ) -> float:
        """Train ``epochs`` epochs; return the last epoch's mean training loss.

        With the cosine schedule the learning rate decays from
        ``peak_learning_rate`` (None: the trainer's ``learning_rate``) to 0
        over the call; with the constant one it stays at ``learning_rate``.
        With ``check_progress`` a ``UserWarning`` says so when the loss is
        not finite, or when over two or more epochs it did not fall (the
        last epoch's mean not below the first's): the data or the learning
        rate keep the network from training.
        """
        if epochs <= 0:
            return float("nan")
        if self.lr_schedule == "cosine":
            batches = -(-len(self.dataset) // self.net.batch_size)
            peak = (
                self.learning_rate if peak_learning_rate is None else peak_learning_rate
            )
            self.net.lr_cycle = CosineCycle(peak, max(epochs * batches - 1, 1))
        # Rows for the first and the last epoch (see SCANNNet.fit_loop);
        # earlier rounds' rows are not needed.
        self.net.history.clear()
        self._fit_epochs(epochs)
        losses = self.net.history[:, "train_loss"]
        if check_progress:
            _check_progress(losses)
        return float(losses[-1])

    def train_until_plateau(
        self,
        max_epochs: int,
        *,
        monitor,
        n_iter_no_change: int,
        tol: float,
        learning_rate=None,
    ) -> tuple[int, int]:
        """Train at a constant rate until ``monitor()`` stops improving.

        One epoch at a time at ``learning_rate`` (None: the trainer's),
        calling ``monitor()`` (a loss to minimise, e.g. on the validation
        rows) after each; stops once ``n_iter_no_change`` epochs in a row
        have not lowered it by more than ``tol`` below the lowest so far,
        or after ``max_epochs``. This is the constant part of a phase whose
        length follows convergence; a decay (:meth:`train`) ends it.
        Returns the epochs trained and the epoch of the last improvement
        (0 when none): how long the network took to converge.
        """
        rate = self.learning_rate if learning_rate is None else learning_rate
        self.net.lr_cycle = None
        for group in self.net.optimizer_.param_groups:
            group["lr"] = rate
        lowest, stale, epochs, settled = np.inf, 0, 0, 0
        while epochs < max_epochs and stale < n_iter_no_change:
            self.net.history.clear()
            if self.progress is not None:
                self.progress.extend()
            self._fit_epochs(1)
            epochs += 1
            value = float(monitor())
            if not np.isfinite(value):
                break
            if value < lowest - tol:
                lowest, stale, settled = value, 0, epochs
            else:
                stale += 1
        return epochs, settled

    def _fit_epochs(self, epochs: int) -> None:
        """Train ``epochs`` epochs, telling ``progress`` of each one."""
        if self.progress is None:
            self.net.fit_loop(self.dataset, epochs=epochs)
            return
        # One epoch a call: the same updates (each call also computes its
        # epoch's loss, which changes no gradient), one history row each.
        for _ in range(epochs):
            self.net.fit_loop(self.dataset, epochs=1)
            self.progress.epoch()

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
        dataset = self.dataset
        n = len(dataset)
        batch = self.net.batch_size
        for start in range(0, n, batch):
            X, y = dataset[torch.arange(start, min(start + batch, n))]
            logits, hidden = module.propagate(X["X"], effective, keep_hidden=True)
            per_sample = per_sample_loss(logits, y)
            if X["sample_weight"] is not None:
                per_sample = per_sample * X["sample_weight"]
            # Weights have mean 1 over the dataset: the sum over n is the
            # weighted mean loss.
            (per_sample.sum() / n).backward()
            with torch.no_grad():
                for sums, h in zip(activation_sums, hidden, strict=True):
                    sums += h.abs().sum(dim=0)
        grads = [e.grad.detach().cpu().double().numpy() for e in effective]
        scores = gather_edge_values(self.topology, grads, candidate_src, candidate_dst)
        activations = torch.cat(activation_sums).cpu().double().numpy() / max(n, 1)
        return scores, activations

    def predict_logits(self, data) -> np.ndarray:
        """Logits of the current module for ``data``.

        ``data`` is a :class:`BatchDataset` (e.g. the fit's validation rows,
        built once) or a dense or sparse ``X``.
        """
        if not isinstance(data, BatchDataset):
            data = BatchDataset(data, device=self.device)
        module = self.net.module_
        module.eval()
        n, out = len(data), []
        # Chunks of at most 1024 rows and 2**18 input values: larger ones
        # leave the BLAS's scratch buffers (kept after the call) larger
        # than the fit's own data (measured: +5 MiB at 4096 x 40).
        step = max(1, min(1024, 2**18 // max(module.layer_sizes[0], 1)))
        with torch.no_grad():
            for start in range(0, n, step):
                Xb = data.rows_of(torch.arange(start, min(start + step, n)))
                out.append(module(Xb).cpu().double().numpy())
        return np.concatenate(out) if out else np.zeros((0, module.layer_sizes[-1]))

"""The synthesis engine shared by SCANNClassifier and SCANNRegressor."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import copy
import math
import time
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compact import CompactNetwork
from ._cost import CostModel, dense_connections, inference_cost
from ._memory import check_training_memory
from ._progress import Progress
from ._schemes import (
    SCHEMES,
    Checkpoint,
    frontier_steps,
    initial_network,
    select_checkpoint,
    synthesize,
)
from ._sizes import resolve_size

__all__ = ["BaseSCANN"]


# Below this many multiply-adds per training batch (forward, dense blocks) a
# fit uses one torch thread: more only add synchronisation (measured: 20
# epochs of a 20-100-2 network on 4,700 rows took 1.3 s on one thread and
# 26 s on two while the other core was busy).
_ONE_THREAD_MACS = 2**23
# alpha="auto": this L2 penalty up to this many training rows, and beyond
# them the same total penalty spread over more rows (it falls as 1 / rows),
# so that large data is not held back by a prior chosen for small data.
_AUTO_ALPHA = 1e-3
_AUTO_ALPHA_ROWS = 5_000
# early_stopping="auto" follows convergence above this many samples, as
# HistGradientBoosting's early stopping does: below it the validation
# split is too small for its loss to tell epochs apart.
_EARLY_STOPPING_SAMPLES = 10_000
# Largest feature magnitude training copes with; beyond it fit warns, as it
# does where every feature is below the smallest.
_LARGE_FEATURE = 1e6
_SMALL_FEATURE = 1e-6
# Torch device types a network can be trained on.
_TRAINING_DEVICES = ("cpu", "cuda", "mps")


def _default(value, scheme_default):
    """The user's value, or the scheme's default where the user gave None."""
    return scheme_default if value is None else value


def _training_imports(estimator: str):
    """``(fit_threads, BatchDataset, Trainer)``, importing torch and skorch.

    Only training needs them: a fitted model loads, predicts and exports
    without either installed.
    """
    try:
        from ._threads import fit_threads
        from ._training import BatchDataset, Trainer
    except ImportError as error:
        missing = (error.name or "").partition(".")[0]
        if missing not in ("torch", "skorch"):
            raise
        raise ImportError(
            f"{estimator}.fit needs torch and skorch ({missing} is not "
            "installed): pip install torch skorch (torch's CPU-only build: "
            "pip install torch --index-url https://download.pytorch.org/whl/cpu). "
            "A fitted model predicts, "
            "loads and exports without them."
        ) from error
    return fit_threads, BatchDataset, Trainer


def _resolve_device(device: str) -> str:
    """The torch device to train on, checked before anything is allocated."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        kind = torch.device(device).type
    except (RuntimeError, ValueError):
        raise ValueError(
            f"device={device!r} is not a torch device; use 'cpu', 'cuda', "
            "'cuda:<index>', 'mps' or 'auto'"
        ) from None
    if kind not in _TRAINING_DEVICES:
        raise ValueError(
            f"device={device!r} cannot train a network (torch device type "
            f"{kind!r}); use 'cpu', 'cuda', 'mps' or 'auto'"
        )
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available")
    return device


class BaseSCANN(BaseEstimator):
    """The synthesis shared by the classifier and the regressor.

    A subclass supplies what differs between tasks: the checks and
    encoding of ``y`` (:meth:`_check_training_data`, which also gives the
    fitted attributes that describe the targets), the number of outputs,
    the split (stratified or not), the step scorer and the network the
    fitted model holds (:meth:`_fitted_network`). The training loss follows
    the targets: integer class codes train on the cross-entropy, float
    targets on the squared error.
    """

    _parameter_constraints: dict = {
        "scheme": [StrOptions(set(SCHEMES))],
        "hidden_layer_sizes": [tuple, list, None],
        "initial_density": [Interval(Real, 0, 1, closed="right"), None],
        "grow_ratio": [Interval(Real, 0, 1, closed="left"), None],
        "prune_ratio": [Interval(Real, 0, 1, closed="left"), None],
        "neuron_growth": [Interval(Integral, 0, None, closed="left")],
        "n_rounds": [Interval(Integral, 0, None, closed="left")],
        "epochs_per_step": [Interval(Integral, 0, None, closed="left")],
        "initial_epochs": [Interval(Integral, 0, None, closed="left"), None],
        "solver": [StrOptions({"adam", "sgd"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "selection": [StrOptions({"best", "smallest", "last"})],
        "pruning_schedule": [StrOptions({"adaptive", "fixed"})],
        "lr_schedule": [StrOptions({"cosine", "constant"})],
        "min_updates_per_step": [Interval(Integral, 0, None, closed="left"), None],
        "fine_tune": ["boolean"],
        "growth_criterion": [StrOptions({"gradient", "random"})],
        "growth_init": [StrOptions({"zero", "gradient"})],
        "growth_grace": ["boolean"],
        "joint_regrowth": ["boolean"],
        "keep_frontier": ["boolean"],
        "tolerance": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "scoring": [str, callable, None],
        "max_memory": [Interval(Real, 0, None, closed="neither"), None],
        "noise_std": [Interval(Real, 0, None, closed="left")],
        "cost_model": [CostModel, None],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        scheme="B",
        *,
        hidden_layer_sizes=None,
        initial_density=None,
        grow_ratio=None,
        prune_ratio=None,
        neuron_growth=1,
        n_rounds=10,
        epochs_per_step=10,
        initial_epochs=None,
        solver="adam",
        learning_rate=5e-3,
        momentum=0.9,
        alpha="auto",
        batch_size="auto",
        early_stopping="auto",
        max_iter=200,
        n_iter_no_change=10,
        tol=1e-4,
        validation_fraction=0.2,
        selection="smallest",
        tolerance="auto",
        pruning_schedule="adaptive",
        lr_schedule="cosine",
        min_updates_per_step=None,
        fine_tune=True,
        growth_criterion="gradient",
        growth_init="zero",
        growth_grace=False,
        joint_regrowth=False,
        keep_frontier=True,
        scoring=None,
        noise_std=0.01,
        cost_model=None,
        max_memory=4 * 2**30,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.scheme = scheme
        self.hidden_layer_sizes = hidden_layer_sizes
        self.initial_density = initial_density
        self.grow_ratio = grow_ratio
        self.prune_ratio = prune_ratio
        self.neuron_growth = neuron_growth
        self.n_rounds = n_rounds
        self.epochs_per_step = epochs_per_step
        self.initial_epochs = initial_epochs
        self.solver = solver
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.alpha = alpha
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.max_iter = max_iter
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.validation_fraction = validation_fraction
        self.selection = selection
        self.tolerance = tolerance
        self.pruning_schedule = pruning_schedule
        self.lr_schedule = lr_schedule
        self.min_updates_per_step = min_updates_per_step
        self.fine_tune = fine_tune
        self.growth_criterion = growth_criterion
        self.growth_init = growth_init
        self.growth_grace = growth_grace
        self.joint_regrowth = joint_regrowth
        self.keep_frontier = keep_frontier
        self.scoring = scoring
        self.noise_std = noise_std
        self.cost_model = cost_model
        self.max_memory = max_memory
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # -- helpers ----------------------------------------------------------------

    def _starting_hidden_sizes(self, n_features: int) -> tuple[int, ...]:
        sizes = self.hidden_layer_sizes
        if sizes is None:
            sizes = SCHEMES[self.scheme].hidden_layer_sizes
        return tuple(
            resolve_size(size, n_features, "hidden_layer_sizes") for size in sizes
        )

    def _tolerance_rule(self, w_valid, n_valid: int, step_scorer=None):
        """The score a step may give up, as a function of the best score.

        ``tolerance="auto"`` is one standard error of the best step's score
        (the spread of the score over resamples of the validation rows):
        differences smaller than that are mostly the split's noise, and the
        smallest network within one standard error of the best is the
        classic "one standard error" choice. A number is taken as given.
        """
        if self.tolerance == "auto":
            return lambda best: step_scorer.best_standard_error
        tolerance = float(self.tolerance)
        return lambda best: tolerance

    def _alpha(self, n_train: int) -> float:
        """The L2 penalty for ``n_train`` training rows (see ``alpha``)."""
        if self.alpha != "auto":
            return float(self.alpha)
        return _AUTO_ALPHA * min(1.0, _AUTO_ALPHA_ROWS / max(n_train, 1))

    def _follows_convergence(self, n_samples: int) -> bool:
        """Whether training phases run until they converge (``early_stopping``)."""
        if self.early_stopping == "auto":
            return n_samples > _EARLY_STOPPING_SAMPLES
        return bool(self.early_stopping)

    def _batch_size(self, n_rows: int) -> int:
        """The minibatch size for training on ``n_rows`` rows."""
        return min(200, n_rows) if self.batch_size == "auto" else self.batch_size

    def _split(self, y, seed, stratify=None):
        """Indices of the training part and the validation part."""
        n = y.shape[0]
        indices = np.arange(n)
        n_val = int(np.ceil(self.validation_fraction * n))
        if self.validation_fraction == 0 or n_val < 1 or n - n_val < 1:
            return indices, indices
        try:
            return train_test_split(
                indices, test_size=n_val, stratify=stratify, random_state=seed
            )
        except ValueError:
            # Too few samples in some class to stratify: split at random.
            return train_test_split(indices, test_size=n_val, random_state=seed)

    # -- fit / predict -------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Synthesize and train a network on ``(X, y)``.

        The fit is atomic: if it raises or is interrupted (e.g. by Ctrl-C),
        the estimator is left exactly as it was before the call, fitted
        with its previous network or not fitted at all.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (strings or integers) for the classifier; target
            values, one column per output, for the regressor.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the training loss and the validation
            score (for the classifier, multiplied by the ``class_weight`` of
            their class).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        fitted_before = {
            key: value
            for key, value in vars(self).items()
            if key.endswith("_") and not key.startswith("_")
        }
        try:
            return self._fit(X, y, sample_weight)
        except BaseException:
            # Nothing of the failed fit stays: the previous state comes back.
            for key in [k for k in vars(self) if k.endswith("_")]:
                if not key.startswith("_"):
                    delattr(self, key)
            vars(self).update(fitted_before)
            raise

    def _check_X(self, X, y):
        """Validated ``X`` and ``y``; an error or a warning for unusable scales."""
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float32, np.float64],
            ensure_min_samples=1,
            **self._validate_y_options,
        )
        values = X.data if sp.issparse(X) else X
        # Largest magnitude without an absolute-value copy of X.
        largest = float(max(values.max(), -values.min())) if values.size else 0.0
        if largest > float(np.finfo(np.float32).max):
            raise ValueError(
                f"X holds values up to {largest:.3g}, beyond the float32 range "
                "the network trains in; scale the features (e.g. with "
                "StandardScaler) first"
            )
        if 0 < largest < _SMALL_FEATURE:
            warnings.warn(
                f"X holds values no larger than {largest:.3g}: a network trains "
                "poorly, or not at all, on features this small. Scale them first, "
                f"e.g. make_pipeline(StandardScaler(), {type(self).__name__}()).",
                UserWarning,
                stacklevel=6,
            )
        if largest > _LARGE_FEATURE:
            warnings.warn(
                f"X holds values up to {largest:.3g}: a network trains poorly, or "
                "not at all, on features this large. Scale them first, e.g. "
                f"make_pipeline(StandardScaler(), {type(self).__name__}()).",
                UserWarning,
                stacklevel=6,
            )
        return X, y

    def _fit(self, X, y, sample_weight):
        started = time.perf_counter()
        fit_threads, BatchDataset, Trainer = _training_imports(type(self).__name__)
        X, targets, sample_weight, target_state = self._check_training_data(
            X, y, sample_weight
        )
        device = _resolve_device(self.device)
        scheme = SCHEMES[self.scheme]

        random_state = check_random_state(self.random_state)
        split_seed, numpy_seed, torch_seed = random_state.randint(
            np.iinfo(np.int32).max, size=3
        )
        rng = np.random.default_rng(numpy_seed)
        train, valid = self._split(targets, split_seed)
        if sample_weight[train].sum() <= 0:
            raise ValueError("sample_weight sums to 0 on the training samples")

        n_features = X.shape[1]
        hidden = self._starting_hidden_sizes(n_features)
        n_outputs = self._n_outputs(targets, target_state)
        layer_sizes = (n_features, *hidden, n_outputs)
        density = _default(self.initial_density, scheme.density)
        batch_size = self._batch_size(train.size)
        check_training_memory(
            layer_sizes,
            skip=scheme.skip,
            density=density,
            batch_size=min(batch_size, train.size),
            X=X,
            max_memory=self.max_memory,
            scheme=self.scheme,
        )
        topology, weights, biases = initial_network(
            layer_sizes, skip=scheme.skip, density=density, rng=rng
        )
        scored = self._scored_rows(X, train, valid)
        y_valid, w_valid = targets[scored], sample_weight[scored]
        if w_valid.sum() <= 0:
            w_valid = None  # all-zero weights on the validation rows: unweighted
        step_scorer = self._step_scorer(
            y_valid, w_valid, target_state, seed=[int(numpy_seed), 1]
        )
        tolerance = self._tolerance_rule(w_valid, scored.size, step_scorer)
        batches_per_epoch = -(-train.size // batch_size)
        # The fewest epochs that give the start its floor of updates.
        initial_floor = -(-self._min_initial_updates // batches_per_epoch)
        initial_epochs = self.initial_epochs
        if initial_epochs is None:
            initial_epochs = max(2 * self.epochs_per_step, initial_floor)

        # With early stopping, the epochs the start took to converge: no
        # later phase trains longer than that (its update floor aside).
        converged = []
        start_connections = topology.n_connections

        def step_epochs(n_connections):
            """Epochs after a pruning step that left ``n_connections``."""
            if self.epochs_per_step <= 0:
                return 0
            if self.min_updates_per_step is None:
                least = self._step_updates(n_connections)
            else:
                least = self.min_updates_per_step
            floor = math.ceil(least / batches_per_epoch)
            epochs = max(self.epochs_per_step, floor)
            if not converged:
                return epochs
            # Fewer weights settle sooner: a network with a fraction of the
            # start's connections trains the square root of that fraction
            # of the epochs the start took to converge.
            share = min(n_connections / max(start_connections, 1), 1.0)
            return min(epochs, max(math.ceil(converged[0] * math.sqrt(share)), floor))

        batch_macs = batch_size * dense_connections(layer_sizes, skip=scheme.skip)
        cap = 1 if batch_macs < _ONE_THREAD_MACS else None
        with fit_threads(cap) as threads:
            # Both parts index X in place: no copy of the data on the CPU.
            validation = BatchDataset(X, rows=scored, device=device)
            trainer = Trainer(
                BatchDataset(X, targets, sample_weight, rows=train, device=device),
                solver=self.solver,
                learning_rate=self.learning_rate,
                momentum=self.momentum,
                alpha=self._alpha(train.size),
                batch_size=batch_size,
                device=device,
                seed=torch_seed,
                threads=threads,
                lr_schedule=self.lr_schedule,
            )
            progress = None
            if self.verbose:
                progress = Progress(f"[SCANN {self.scheme}]", started=started)
                progress.after = (
                    step_epochs(topology.n_connections) if self.fine_tune else 0
                )
                trainer.progress = progress
            converge = None
            follows_convergence = self._follows_convergence(len(targets))
            if follows_convergence:
                initial_epochs = min(initial_epochs, self.max_iter)
                converge = self._until_converged(
                    trainer,
                    lambda: step_scorer.loss(trainer.predict_logits(validation)),
                    max_epochs=self.max_iter - initial_epochs,
                    decay_epochs=(initial_epochs, initial_floor),
                    converged=converged,
                )

            history, checkpoints = synthesize(
                scheme,
                trainer,
                topology,
                weights,
                biases,
                evaluate=lambda: step_scorer(trainer.predict_logits(validation)),
                rng=rng,
                n_rounds=self.n_rounds,
                epochs_per_step=step_epochs,
                initial_epochs=initial_epochs,
                initial_learning_rate=self._initial_peak * self.learning_rate,
                grow_ratio=_default(self.grow_ratio, scheme.grow_ratio),
                prune_ratio=_default(self.prune_ratio, scheme.prune_ratio),
                neuron_growth=self.neuron_growth,
                noise_std=self.noise_std,
                tolerance=tolerance,
                adaptive=self.pruning_schedule == "adaptive",
                growth_criterion=self.growth_criterion,
                growth_init=self.growth_init,
                growth_grace=self.growth_grace,
                joint_regrowth=self.joint_regrowth,
                converge=converge,
                progress=progress,
            )
            best_step = self._select_step(history, tolerance, step_scorer)
            self._check_selected(history[best_step])
            for record, checkpoint in zip(history, checkpoints, strict=True):
                cost = inference_cost(checkpoint.topology, self.cost_model)
                record["macs"] = cost["macs"]
                record["energy_pj"] = cost["energy_pj"]
            # Only the networks on the accuracy-size frontier are kept; the
            # chosen one is the fitted network itself (see _set_fitted).
            frontier = {
                step: self._fitted_network(checkpoints[step], target_state)
                for step in frontier_steps(history)
                if self.keep_frontier and step != best_step
            }
            chosen = checkpoints[best_step]
            fine_tune_epochs = step_epochs(topology.n_connections)
            if self.fine_tune and fine_tune_epochs > 0 and valid.size < len(targets):
                # The chosen structure, trained on every row (validation too),
                # as long as a pruning step on the starting network, with
                # "auto" batches sized on every row: sized on the training
                # part, the validation rows would spill into a second, small
                # batch per epoch where the training part was one batch
                # (sonar, meats), doubling the updates.
                trainer.set_dataset(
                    BatchDataset(X, targets, sample_weight, device=device),
                    batch_size=self._batch_size(len(targets)),
                )
                trainer.set_parameters(chosen.topology, chosen.weights, chosen.biases)
                # A network trained to convergence restarts at the learning
                # rate: a large restart knocks it out of the minimum it found
                # and a step's epochs do not bring it back.
                restart = 1.0 if follows_convergence else self._fine_tune_restart
                trainer.train(
                    fine_tune_epochs,
                    peak_learning_rate=restart * self.learning_rate,
                )
                chosen = Checkpoint(chosen.topology, *trainer.parameters())
            if progress is not None:
                progress.after = 0
                progress.plan(0, "done")
                progress.say(f"selected step {best_step}; fitted")
        self._set_fitted(
            self._fitted_network(chosen, target_state),
            n_features=n_features,
            feature_names=getattr(self, "feature_names_in_", None),
            baseline_connections=dense_connections(layer_sizes),
            history=history,
            best_step=best_step,
            frontier=frontier,
            **target_state,
        )
        return self

    def _until_converged(
        self, trainer, monitor, *, max_epochs, decay_epochs, converged
    ):
        """The constant-rate part of the start, as ``synthesize`` calls it.

        Trains at the rate ``synthesize`` gives until ``monitor()`` (the
        validation loss) has not fallen by more than ``tol`` in
        ``n_iter_no_change`` epochs, or for ``max_epochs``. The epochs it
        took to reach its lowest value are appended to ``converged`` (the
        later phases train no longer than that), and the cosine decay that
        follows takes as many too, within ``decay_epochs``: ``(most,
        fewest)``. A network that converges in a few epochs of a large data
        set needs no more to settle, nor to recover from a pruning step.
        """
        most, fewest = decay_epochs

        def converge(learning_rate):
            epochs, settled = trainer.train_until_plateau(
                max_epochs,
                monitor=monitor,
                n_iter_no_change=self.n_iter_no_change,
                tol=self.tol,
                learning_rate=learning_rate,
            )
            if 0 < max_epochs <= epochs:
                warnings.warn(
                    f"the starting network's validation loss was still falling "
                    f"after max_iter={self.max_iter} epochs; raise max_iter to "
                    "train it to convergence",
                    ConvergenceWarning,
                    stacklevel=6,  # the user's fit call
                )
            converged.append(max(settled, 1))
            return epochs, min(most, max(settled, fewest, 1))

        return converge

    # -- what the task supplies ------------------------------------------------

    def _scored_rows(self, X, train, valid):
        """The validation rows every synthesis step is scored on: all of them."""
        return valid

    #: Optimizer updates the starting network gets at least when
    #: ``initial_epochs=None``.
    _min_initial_updates = 200
    #: Optimizer updates after a structural step when
    #: ``min_updates_per_step=None``.
    _min_step_updates = 100
    #: Peak of the starting network's cosine cycle (``lr_schedule="cosine"``),
    #: as a multiple of ``learning_rate``.
    _initial_peak = 1.0
    #: Peak of the fine-tune's cosine cycle (``lr_schedule="cosine"``), as a
    #: multiple of ``learning_rate``.
    _fine_tune_restart = 1.0

    def _step_updates(self, n_connections) -> float:
        """Fewest updates after a pruning step that left ``n_connections``.

        The default (``min_updates_per_step=None``): ``_min_step_updates``
        whatever the size, unless the task says otherwise.
        """
        return self._min_step_updates

    #: Keyword arguments of ``validate_data`` for ``y``.
    _validate_y_options: dict = {}

    def _check_training_data(self, X, y, sample_weight):
        """``(X, targets, sample_weight, target_state)`` for training.

        ``targets`` are what the network trains on (int64 class codes or
        float32 targets of shape (n_samples, n_outputs)); ``target_state``
        holds the keyword arguments of :meth:`_set_fitted` that describe
        them (classes, target scaling).
        """
        raise NotImplementedError

    def _n_outputs(self, targets, target_state) -> int:
        raise NotImplementedError

    def _step_scorer(self, y_valid, w_valid, target_state, *, seed):
        """The callable scoring a step's validation outputs (see _scoring)."""
        raise NotImplementedError

    def _select_step(self, history, tolerance, step_scorer) -> int:
        """The step ``selection`` keeps (see ``select_checkpoint``)."""
        return select_checkpoint(history, self.selection, tolerance)

    def _check_selected(self, record) -> None:
        """Warn about the selected step where the task has something to say."""

    def _fitted_network(self, checkpoint, target_state) -> CompactNetwork:
        """The network a fitted model holds for a checkpoint."""
        return CompactNetwork(
            checkpoint.topology, checkpoint.weights, checkpoint.biases
        )

    def _target_state(self) -> dict:
        """The fitted target description, as :meth:`_set_fitted` takes it."""
        raise NotImplementedError

    def _set_fitted(
        self,
        network,
        *,
        n_features,
        feature_names,
        baseline_connections,
        history,
        best_step,
        frontier=None,
    ):
        """Set every fitted attribute from a network and what fit recorded."""
        self.n_features_in_ = n_features
        if feature_names is not None:
            self.feature_names_in_ = np.asarray(feature_names, dtype=object)
        self.network_ = network
        self.topology_ = network.topology
        self.history_ = list(history)
        self.n_iter_ = int(history[0]["epochs"])
        self.best_step_ = best_step
        # The network the model holds is the frontier's entry for its step.
        self.frontier_networks_ = {**(frontier or {}), best_step: network}
        self.frontier_ = [
            {
                key: self.history_[step].get(key)
                for key in (
                    "step",
                    "n_connections",
                    "macs",
                    "energy_pj",
                    "validation_score",
                    "validation_loss",
                )
            }
            for step in sorted(
                self.frontier_networks_, key=lambda k: history[k]["n_connections"]
            )
        ]
        cost = inference_cost(self.topology_, self.cost_model)
        self.n_connections_ = cost["n_connections"]
        self.n_skip_connections_ = cost["n_skip_connections"]
        self.n_parameters_ = cost["n_parameters"]
        self.macs_ = cost["macs"]
        self.flops_ = cost["flops"]
        self.energy_pj_ = cost["energy_pj"]
        self.model_bytes_ = network.nbytes
        self.baseline_connections_ = baseline_connections
        self.compression_ratio_ = baseline_connections / max(self.n_connections_, 1)

    def select(self, *, max_connections=None, max_macs=None, max_energy_pj=None):
        """The fitted model with the best frontier network within a budget.

        Every synthesis step's network was scored on the validation split;
        those on the accuracy-size frontier (no other step is both smaller
        and better) are kept in ``frontier_networks_``. This returns a copy
        of the estimator whose network is the best-scoring frontier network
        within every given budget (ties: the lower validation loss), without
        refitting.

        Parameters
        ----------
        max_connections : int, default=None
            Most connections (weights) allowed.
        max_macs : int, default=None
            Most multiply-accumulates per sample allowed.
        max_energy_pj : float, default=None
            Most energy per inference allowed, in picojoules.

        Returns
        -------
        model : estimator
            A fitted copy; ``best_step_`` names the step it holds. The
            network fit selected is returned as fit left it (fine-tuned on
            every row when ``fine_tune=True``); other steps' networks are as
            synthesis trained them.

        Raises
        ------
        ValueError
            If no frontier network fits the budget.
        """
        check_is_fitted(self)
        limits = {
            "n_connections": max_connections,
            "macs": max_macs,
            "energy_pj": max_energy_pj,
        }
        for name, limit in zip(
            ("max_connections", "max_macs", "max_energy_pj"), limits.values()
        ):
            if limit is not None and (
                isinstance(limit, bool)
                or not isinstance(limit, Real)
                or not 0 <= limit < np.inf
            ):
                raise InvalidParameterError(
                    f"The {name!r} parameter of select must be a non-negative "
                    f"finite number or None. Got {limit!r} instead."
                )
        fitting = [
            point
            for point in self.frontier_
            if all(
                limit is None or point[key] <= limit for key, limit in limits.items()
            )
        ]
        if not fitting:
            smallest = self.frontier_[0] if self.frontier_ else None
            raise ValueError(
                "no network on the frontier fits the budget "
                + ", ".join(f"{k} <= {v}" for k, v in limits.items() if v is not None)
                + (
                    f"; the smallest has {smallest['n_connections']} connections, "
                    f"{smallest['macs']} MACs and {smallest['energy_pj']:.1f} pJ"
                    if smallest
                    else "; this model keeps no frontier networks"
                )
            )
        chosen = min(
            fitting,
            key=lambda p: (-p["validation_score"], p["validation_loss"], p["step"]),
        )
        step = chosen["step"]
        model = copy.copy(self)
        model._set_fitted(
            self.frontier_networks_[step],
            n_features=self.n_features_in_,
            feature_names=getattr(self, "feature_names_in_", None),
            baseline_connections=self.baseline_connections_,
            history=self.history_,
            best_step=step,
            frontier=self.frontier_networks_,
            **self._target_state(),
        )
        return model

    def summary(self) -> str:
        """A table of the fitted network: layers, blocks, skips, totals, ratios.

        Returns
        -------
        table : str
            The table, also printed.
        """
        check_is_fitted(self)
        # Totals come from the fitted attributes; only the per-block counts
        # are not kept after fit.
        blocks = inference_cost(self.topology_)["blocks"]
        sizes = self.topology_.layer_sizes
        names = self.topology_.layer_names()
        lines = [
            f"{type(self).__name__} (scheme {self.scheme}), step {self.best_step_} of "
            f"{len(self.history_) - 1}",
            "layers: "
            + ", ".join(f"{n} {s}" for n, s in zip(names, sizes, strict=True)),
            "",
            f"{'block':<24s} {'connections':>11s} {'skip':>5s}",
        ]
        for source, target, count in blocks:
            skip = "yes" if target - source > 1 else ""
            lines.append(
                f"{names[source] + ' -> ' + names[target]:<24s} "
                f"{count:>11,d} {skip:>5s}"
            )
        lines += [
            "",
            f"{'connections':<24s} {self.n_connections_:>11,d}",
            f"{'skip connections':<24s} {self.n_skip_connections_:>11,d}",
            f"{'parameters':<24s} {self.n_parameters_:>11,d}",
            f"{'multiply-accumulates':<24s} {self.macs_:>11,d}",
            f"{'model bytes':<24s} {self.model_bytes_:>11,d}",
            f"{'energy per inference':<24s} {self.energy_pj_ / 1e3:>11,.2f} nJ",
            f"{'dense baseline':<24s} {self.baseline_connections_:>11,d}",
            f"{'compression':<24s} {self.compression_ratio_:>10,.1f}x",
        ]
        table = "\n".join(lines)
        print(table)
        return table

    def export_c(
        self, directory, *, name="scann_model", dtype="float", X_calibration=None
    ):
        """Write the fitted network as dependency-free C99 (``name.c``, ``name.h``).

        Parameters
        ----------
        directory : str or path-like
            Folder to write into.
        name : str, default="scann_model"
            C identifier prefixing the generated functions and file names.
        dtype : {"float", "double", "int8", "int16"}, default="float"
            C type of the weights and arithmetic; the integer types quantize
            weights and activations (see :func:`sklearn_scann.export_c`).
        X_calibration : array-like of shape (n_samples, n_features), default=None
            Rows (the training data, say) that set the activation scales;
            required for an integer ``dtype``, unused otherwise.

        Returns
        -------
        paths : tuple of pathlib.Path
            The header and the source file.
        """
        from ._export import export_c

        return export_c(
            self, directory, name=name, dtype=dtype, X_calibration=X_calibration
        )

    def save(self, path):
        """Save the fitted model to ``path`` without pickle (npz + JSON).

        Parameters
        ----------
        path : str or path-like
            File to write; read it back with :func:`sklearn_scann.load`.

        Returns
        -------
        path : pathlib.Path
        """
        from ._persistence import save

        return save(self, path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _outputs(self, X, *, by_neuron=False):
        """The fitted network's outputs for ``X``, one row per sample.

        float32 for float32 ``X`` (the precision the network was trained
        in), float64 otherwise. With ``by_neuron`` they come one row per
        output neuron instead (C-ordered), as the network computes them:
        reductions over the outputs of each sample are then fast.
        """
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in (np.float32, np.float64)
            and hasattr(self, "network_")
            and not hasattr(self, "feature_names_in_")
        ):
            # Fast path for plain float arrays (single-row latency): the same
            # checks as validate_data, without its generic conversions.
            if X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but {type(self).__name__} is "
                    f"expecting {self.n_features_in_} features as input."
                )
            if X.shape[0] == 0:
                raise ValueError(
                    "Found array with 0 sample(s) (shape=(0, "
                    f"{X.shape[1]})) while a minimum of 1 is required."
                )
            network = self.network_
            # Where every input reaches the outputs, a non-finite value shows
            # there, so X is read once (checking a wide X costs as much as
            # the network's arithmetic); else a finite sum means finite
            # values (NaN and infinity propagate), and only a sum that
            # overflows needs the elementwise check.
            read_once = X.shape[0] > network.SMALL_BATCH and (
                network.multiplies_every_input(X.shape[0], X.dtype)
            )
            if not read_once and not np.isfinite(X.sum()) and not np.isfinite(X).all():
                raise ValueError("Input X contains NaN or infinity.")
            outputs = network.outputs_by_neuron(X)
            if (
                read_once
                and not np.isfinite(outputs).all()
                and not np.isfinite(X).all()
            ):
                raise ValueError("Input X contains NaN or infinity.")
        else:
            check_is_fitted(self)
            X = validate_data(
                self,
                X,
                accept_sparse="csr",
                dtype=[np.float64, np.float32],
                reset=False,
            )
            outputs = self.network_.outputs_by_neuron(X)
        return outputs if by_neuron else np.ascontiguousarray(outputs.T)

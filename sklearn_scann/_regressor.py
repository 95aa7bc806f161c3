"""SCANNRegressor: compact networks for single- and multi-output regression."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import _check_sample_weight

from ._base import BaseSCANN
from ._compact import CompactNetwork
from ._schemes import select_checkpoint
from ._scoring import RegressionScorer, outside_training_range

__all__ = ["SCANNRegressor"]

# The R² a step may always give up under tolerance="auto": one percent of
# the target's variance, a difference no user would trade connections for.
_R2_FLOOR = 0.01


#: A validation row beyond the training range (see ``_scored_rows``) is
#: left out unless more than this fraction of the validation rows are:
#: then they differ from the training rows as a whole, not in a few
#: outliers, and every row is scored.
_MOST_OUTLIERS = 0.1


def _output_names(y):
    """The string names of ``y``'s targets (a pandas DataFrame's columns or a
    named Series'), or None, as scikit-learn reads ``feature_names_in_``."""
    columns = getattr(y, "columns", None)
    if columns is not None and getattr(y, "ndim", 0) == 2:
        names = list(columns)
    elif getattr(y, "ndim", 0) == 1 and isinstance(getattr(y, "name", None), str):
        names = [y.name]
    else:
        return None
    return names if all(isinstance(name, str) for name in names) else None


class SCANNRegressor(RegressorMixin, BaseSCANN):
    """Synthesize a compact, accurate neural network for tabular regression.

    The regression twin of :class:`SCANNClassifier`: the same synthesis
    (connection growth, neuron growth and magnitude pruning while training,
    schemes A, B and C, the adaptive pruning schedule, selection on a
    validation split, the accuracy-size frontier), trained on the squared
    error of the standardised targets and scored by R². Targets are
    standardised internally, so raw targets in the thousands train as well
    as standardised ones; the fitted network predicts in the targets' own
    units (the scaling is folded into its output layer). One network
    predicts every output of a 2-D ``y``.

    Parameters
    ----------
    scheme : {"A", "B", "C"}, default="B"
        Synthesis scheme: ``"A"`` grows a small sparse seed, ``"B"`` prunes
        and regrows a network with skip connections, ``"C"`` a fully
        connected MLP.
    hidden_layer_sizes : tuple of int or float, default=None
        Starting hidden layers (a float is a multiple of the input
        features). None: ``(32,)`` for A, ``(100,)`` for B and C.
    initial_density : float in (0, 1], default=None
        Fraction of the allowed connections active at the start (None: 0.1
        for A, 1.0 for B and C).
    grow_ratio : float in [0, 1), default=None
        Size of each connection-growth step (None: the scheme's default).
    prune_ratio : float in [0, 1), default=None
        Fraction of the active connections pruned per step (None: the
        scheme's default).
    neuron_growth : int, default=1
        Neurons split per hidden layer at each neuron-growth step (A).
    n_rounds : int, default=10
        Most rounds of the scheme's steps.
    epochs_per_step : int, default=10
        Training epochs after every pruning step; half as many after a
        growth step.
    initial_epochs : int, default=None
        Training epochs of the starting network (None: at least 500
        optimizer updates).
    solver : {"adam", "sgd"}, default="adam"
        Optimizer.
    learning_rate : float, default=5e-3
        Step size: the peak of each cosine cycle, except the starting
        network's, which peaks at twice this.
    momentum : float in [0, 1), default=0.9
        Momentum of ``"sgd"``.
    alpha : float or "auto", default="auto"
        L2 penalty (weight decay). It also drives unneeded weights towards
        zero, where magnitude pruning finds them. ``"auto"`` is 1e-3 up to
        5,000 training rows and falls as ``1 / rows`` beyond them (the same
        total penalty spread over more rows): a prior strong enough for
        small data holds large data back.
    batch_size : int or "auto", default="auto"
        Minibatch size; ``"auto"`` is ``min(200, n_samples)``.
    early_stopping : bool or "auto", default="auto"
        Whether the starting network trains until it converges: at a
        constant learning rate until the validation loss has not fallen by
        more than ``tol`` for ``n_iter_no_change`` epochs (or ``max_iter``
        epochs have run), then along the usual cosine decay of
        ``initial_epochs``. The epochs it took to converge bound the decay,
        the synthesis steps (a smaller network's by the square root of its
        share of the start's connections) and the fine-tune, which then
        restarts at ``learning_rate`` rather than above it. ``"auto"`` turns it on for
        more than 10,000 samples, as ``HistGradientBoostingRegressor``
        does: the training a small data set needs is fixed well ahead, a
        large one's grows with it.
    max_iter : int, default=200
        Most epochs of the starting network's training with early
        stopping (a ``ConvergenceWarning`` says when they were not enough).
    n_iter_no_change : int, default=10
        Epochs without improvement after which early stopping ends the
        constant learning rate.
    tol : float, default=1e-4
        Least fall of the validation loss that counts as an improvement.
    validation_fraction : float in [0, 1), default=0.2
        Fraction of the data held out (at random) to score every step. A
        held-out row with a feature more than 3 standard deviations beyond
        the range of the training rows is not scored, unless more than a
        tenth of the rows are: the network's output there is an
        extrapolation no step was trained for (on the diamonds data one
        such row made 88% of a step's squared error and decided every
        step).
    selection : {"best", "smallest", "last"}, default="smallest"
        Which step to keep: the best score, the fewest connections within
        ``tolerance`` of it, or the last.
    tolerance : float or "auto", default="auto"
        Score a pruning step and the ``"smallest"`` rule may give up;
        ``"auto"`` is, per step, the standard error of the difference
        between its R² and the best step's, both scored on the same 50
        resamples of the validation rows (a paired one-standard-error
        rule), raised to 0.01 of R² (one percent of the targets'
        variance) where it is smaller; with a ``scoring``, the paired
        standard error alone. With several outputs and the default R², a
        step may give up that much on each output, not only on their mean.
    pruning_schedule : {"adaptive", "fixed"}, default="adaptive"
        ``"adaptive"`` undoes a pruning step that costs more than the
        tolerance and halves the ratio.
    lr_schedule : {"cosine", "constant"}, default="cosine"
        Learning rate over each training phase.
    min_updates_per_step : int, default=None
        Fewest optimizer updates after a pruning step, half as many after
        a growth step. None: 300 after a step that leaves 10,000
        connections or more, fewer for a smaller network (with the square
        root of its connections), down to 100 for 1,111 or fewer; the
        classifier's is 100 whatever the size.
    fine_tune : bool, default=True
        Retrain the chosen network on every training row, as long as a
        pruning step on the starting network.
    growth_criterion : {"gradient", "random"}, default="gradient"
        Which dormant connections growth activates.
    growth_init : {"zero", "gradient"}, default="zero"
        Starting weight of a grown connection.
    growth_grace : bool, default=False
        Spare grown connections from the next pruning step.
    joint_regrowth : bool, default=False
        Schemes B and C: regrow right after pruning and train once.
    keep_frontier : bool, default=True
        Keep the networks of the accuracy-size frontier for :meth:`select`.
    scoring : str, callable or None, default=None
        Step score: None is R² (weighted, averaged over outputs); else a
        scikit-learn scorer name (e.g. ``"neg_mean_absolute_error"``) or
        callable, given predictions and targets in the targets' units.
    noise_std : float, default=0.01
        Noise added to a split neuron's weights.
    cost_model : CostModel, default=None
        Energy of the primitive operations (``energy_pj_``).
    max_memory : float or None, default=4 * 2**30
        Most bytes a fit may allocate, checked before allocating.
    device : str, default="cpu"
        Torch device to train on; the fitted model predicts with numpy.
    random_state : int, RandomState instance or None, default=None
        Seeds every random choice.
    verbose : int, default=0
        Print one line per synthesis step when positive.

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    output_names_ : ndarray of shape (`n_outputs_`,)
        Names of the targets seen during fit (a pandas DataFrame's string
        columns, or a named Series'); defined only when ``y`` had them.
        Saved files keep them.
    target_mean_ : ndarray of shape (n_outputs,)
        Mean of each target at fit (the standardisation).
    target_scale_ : ndarray of shape (n_outputs,)
        Standard deviation of each target at fit (0 for a constant target,
        which is then predicted exactly).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X had string column names.
    topology_ : Topology
        Structure of the selected network.
    network_ : CompactNetwork
        The selected network, predicting in the targets' units.
    n_connections_ : int
        Active connections of the selected network.
    n_parameters_ : int
        Connections plus biases.
    flops_ : int
        Floating-point operations per sample.
    macs_ : int
        Multiply-accumulates per sample.
    n_skip_connections_ : int
        Connections that jump over at least one layer.
    model_bytes_ : int
        Bytes of the stored weights and biases.
    energy_pj_ : float
        Estimated energy of one inference in picojoules.
    baseline_connections_ : int
        Connections of the fully connected MLP with the starting sizes.
    compression_ratio_ : float
        ``baseline_connections_ / n_connections_``.
    history_ : list of dict
        One record per synthesis step (see :class:`SCANNClassifier`);
        ``validation_score`` is R² (or the scorer's value).
    n_iter_ : int
        Epochs the starting network trained (``max_iter`` caps them with
        early stopping).
    best_step_ : int
        Index into ``history_`` of the selected step.
    frontier_ : list of dict
        The accuracy-size frontier, smallest first.
    frontier_networks_ : dict of int to CompactNetwork
        The networks of ``frontier_`` by step.

    See Also
    --------
    SCANNClassifier : The classifier on the same engine.
    sklearn.neural_network.MLPRegressor : Dense multilayer perceptron.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_scann import SCANNRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = SCANNRegressor(n_rounds=2, epochs_per_step=5, random_state=0)
    >>> reg = reg.fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> bool(reg.score(X, y) > 0.3)
    True
    """

    # A regression network is judged on how closely it fits, not on which
    # side of a boundary a sample falls: on concrete (3 seeds) 200 starting
    # updates and 100 per step gave R² 0.824 against the MLP's 0.880,
    # 1,000 and 300 gave 0.878. A start of 500 updates whose cosine cycle
    # peaks at twice the learning rate fits as well as 1,000 at the
    # learning rate (regression suite, 5 seeds: R² within 0.006 on every
    # set) in half the updates.
    _min_initial_updates = 500
    _initial_peak = 2.0
    # After a prune, a network of 10,000 connections or more trains at
    # least 300 updates and a smaller one fewer, with the square root of
    # its size, down to 100 (1,111 connections or fewer): fewer weights
    # recover in fewer updates. With 100 whatever the size, no prune of the
    # 100-feature meats network (10,600 connections) recovered in time and
    # most seeds kept the start; with 300 whatever the size, the two
    # smallest sets took 5 to 6 times the MLP's fit time.
    _min_step_updates = 300
    _least_step_updates = 100
    _full_step_connections = 10_000

    def _step_updates(self, n_connections) -> float:
        scale = np.sqrt(n_connections / self._full_step_connections)
        return float(
            np.clip(
                self._min_step_updates * scale,
                self._least_step_updates,
                self._min_step_updates,
            )
        )

    _validate_y_options = {"multi_output": True, "y_numeric": True}

    def _check_training_data(self, X, y, sample_weight):
        """Validated ``X``, standardised 2-D targets, weights and the scaling."""
        names = _output_names(y)
        X, y = self._check_X(X, y)
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. "
                "Please change the shape of y to (n_samples,), for example "
                "using ravel().",
                DataConversionWarning,
                stacklevel=6,
            )
            y = y[:, 0]
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        targets = y.reshape(y.shape[0], -1)
        mean = targets.mean(axis=0)
        scale = targets.std(axis=0)
        # A constant target trains on zeros; folded with its scale of 0, the
        # network then predicts exactly its mean.
        standardised = (targets - mean) / np.where(scale > 0, scale, 1.0)
        standardised = standardised.astype(np.float32)
        state = {
            "target_mean": mean,
            "target_scale": scale,
            "single": y.ndim == 1,
            "output_names": names,
        }
        return X, standardised, sample_weight, state

    def _scored_rows(self, X, train, valid):
        """The validation rows the steps are scored on: all but gross outliers.

        A row with a feature more than 3 standard deviations beyond the
        training rows' range (``_scoring.outside_training_range``) is
        left out, unless more than ``_MOST_OUTLIERS`` of the rows are. The
        squared error of a network's extrapolation there can outweigh every
        other row: on the diamonds data one validation row, a stone
        recorded 58.9 mm wide (46 standard deviations out, the training
        rows reaching 5), made 88% of a pruned step's squared error, and no
        prune was accepted on that split (1,009 connections kept instead of
        17).
        """
        if valid is train or valid.size == 0:
            return valid  # validation_fraction=0: the training rows themselves
        outside = outside_training_range(X, train, valid)
        if outside.mean() > _MOST_OUTLIERS:
            return valid
        return valid[~outside]

    def _n_outputs(self, targets, target_state) -> int:
        return targets.shape[1]

    def _step_scorer(self, y_valid, w_valid, target_state, *, seed):
        return RegressionScorer(
            self.scoring,
            y_valid,
            w_valid,
            target_state["target_mean"],
            target_state["target_scale"],
            seed=seed,
            bootstrap=False,  # the tolerance compares steps in pairs
            paired=self.tolerance == "auto",
        )

    def _tolerance_rule(self, w_valid, n_valid: int, step_scorer=None):
        """The R² a step may give up against the best step.

        ``tolerance="auto"`` is the standard error of the *difference*
        between the two steps' R², from resamples of the validation rows
        scored for both (a paired comparison). Both networks fit the same
        rows, so the noise they share cancels; the standard error of the
        best R² alone, which the classifier's accuracy rule mirrors, let
        regression networks lose 0.01 to 0.03 of mean R² on small data sets
        (0.07 on one target of the multi-output set). On large validation
        sets the paired error is tiny and stopped pruning at differences no
        user would pay connections for, so the R² rule never asks for less
        than 0.01: on the regression suite, 20x fewer connections
        than ``MLPRegressor(100)`` instead of 6.4x, mean R² 0.805 instead
        of 0.812 (the MLP's: 0.797); with every target of the multi-output
        set held to the rule as well (:meth:`_margin`), 13.8x
        at a mean R² of 0.806.
        """

        def tolerance(best):
            # The prune the schedule judges is the last scored step.
            return self._margin(
                step_scorer, step_scorer.n_scored - 1, step_scorer.best_index
            )

        return tolerance

    def _margin(self, step_scorer, i, best) -> float:
        """The R² step i may give up against the best step.

        ``"auto"``: the paired standard error of the two steps' R², raised to
        the floor; a number as given. The schedule and selection compare
        mean R², and on several targets the mean lets one target absorb the
        whole loss (one network for the three meats targets lost 0.19 of R²
        on the hardest while the mean lost 0.06). With the default score,
        each output's loss against the best step must be within the
        tolerance too: its own paired standard error raised to the floor
        (``"auto"``), or the number given. Where one is not, the margin
        returned is below step i's loss of mean R² by the worst excess, so
        that the step fails.
        """
        auto = self.tolerance == "auto"
        if auto:
            floor = self._r2_floor()
            allowed = max(step_scorer.paired_standard_error(i, best), floor)
        else:
            allowed = floor = float(self.tolerance)
        outputs = getattr(step_scorer, "output_scores", None)
        if not outputs or outputs[0].size == 1 or i == best:
            return allowed
        shortfall = step_scorer.output_shortfall(i, best)
        if shortfall.max() <= floor:
            # No output loses more than the least it is allowed.
            return allowed
        per_output = (
            np.maximum(step_scorer.paired_output_errors(i, best), floor)
            if auto
            else floor
        )
        excess = float(np.max(shortfall - per_output))
        return allowed if excess <= 0 else float(shortfall.mean()) - excess

    def _r2_floor(self) -> float:
        """Least tolerance of ``"auto"``: 0.01 of R², none for a scorer."""
        return _R2_FLOOR if self.scoring is None else 0.0

    def _select_step(self, history, tolerance, step_scorer) -> int:
        if self.selection != "smallest":
            return super()._select_step(history, tolerance, step_scorer)
        # Each step against the best, on the same resamples. A step that
        # changed nothing repeats the last accepted step before it.
        scored, n_scored, last_accepted = [], 0, None
        for record in history:
            if record["changed"]:
                scored.append(n_scored)
                n_scored += 1
            else:
                scored.append(scored[last_accepted])
            if record["accepted"]:
                last_accepted = len(scored) - 1
        best = step_scorer.best_index
        margins = [self._margin(step_scorer, i, best) for i in scored]
        return select_checkpoint(history, self.selection, margins)

    def _fitted_network(self, checkpoint, target_state) -> CompactNetwork:
        """The network with the target scaling folded into its output layer."""
        topology = checkpoint.topology
        mean, scale = target_state["target_mean"], target_state["target_scale"]
        last = topology.n_layers - 1
        first_output = topology.offsets[last]
        _, dst = topology.edges()
        weights = np.array(checkpoint.weights, dtype=np.float64)
        into_output = topology.layer_of[dst] == last
        weights[into_output] *= scale[dst[into_output] - first_output]
        biases = np.array(checkpoint.biases, dtype=np.float64)
        outputs = topology.layer_neurons(last)
        biases[outputs] = biases[outputs] * scale + mean
        return CompactNetwork(topology, weights, biases)

    def _set_fitted(
        self,
        network,
        *,
        target_mean,
        target_scale,
        single,
        output_names=None,
        **fitted,
    ):
        """Set every fitted attribute from a network and what fit recorded."""
        self.target_mean_ = np.asarray(target_mean, dtype=np.float64)
        self.target_scale_ = np.asarray(target_scale, dtype=np.float64)
        self.n_outputs_ = int(self.target_mean_.size)
        self._single_output = bool(single)
        if output_names is None:
            # A refit on unnamed targets forgets the names of the last ones.
            self.__dict__.pop("output_names_", None)
        else:
            self.output_names_ = np.asarray(output_names, dtype=object)
        super()._set_fitted(network, **fitted)

    def _target_state(self) -> dict:
        names = getattr(self, "output_names_", None)
        return {
            "target_mean": self.target_mean_,
            "target_scale": self.target_scale_,
            "single": self._single_output,
            "output_names": None if names is None else list(names),
        }

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column per target; 1-D when ``y`` was 1-D at fit.
        """
        outputs = self._outputs(X)
        return outputs[:, 0] if self._single_output else outputs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

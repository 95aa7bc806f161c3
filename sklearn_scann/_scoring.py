"""The score of a synthesis step on the validation rows, its standard error, and
the validation rows too far outside the training range to score."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import check_scoring

from ._compact import class_logits

__all__ = [
    "ClassificationScorer",
    "RegressionScorer",
    "StepScorer",
    "outside_training_range",
]

# Resamples of the validation rows behind the standard error of a scorer.
_BOOTSTRAP_DRAWS = 50


class _StepOutputs(ClassifierMixin, BaseEstimator):
    """A fitted-looking classifier that answers with one step's stored outputs.

    A scikit-learn scorer calls ``predict``, ``predict_proba`` or
    ``decision_function`` on an estimator and data; here the "data" is a
    column of row positions into the validation outputs, so that a scorer
    (and every bootstrap resample of the rows) scores the network without
    running it again.
    """

    def __init__(self, classes=None, logits=None):
        self.classes = classes
        self.logits = logits
        self.classes_ = classes  # what scorers read

    def _rows(self, positions):
        return self.logits[np.asarray(positions)[:, 0]]

    def predict(self, positions):
        return self.classes[self._rows(positions).argmax(axis=1)]

    def predict_proba(self, positions):
        return softmax(self._rows(positions), axis=1)

    def predict_log_proba(self, positions):
        return log_softmax(self._rows(positions), axis=1)

    def decision_function(self, positions):
        logits = self._rows(positions)
        # Binary: the logit of the second class against the first.
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits


class _RegressionOutputs(RegressorMixin, BaseEstimator):
    """A fitted-looking regressor answering with one step's stored predictions."""

    def __init__(self, predictions=None):
        self.predictions = predictions

    def predict(self, positions):
        predictions = self.predictions[np.asarray(positions)[:, 0]]
        return predictions[:, 0] if predictions.shape[1] == 1 else predictions


class StepScorer:
    """Scores the network of every synthesis step on the validation rows.

    ``scoring=None`` is the task's own score (see the subclasses).
    Anything else is a scikit-learn scorer name or callable
    ``scorer(estimator, X, y)``, called on a stand-in estimator holding the
    step's outputs; with sample weights that are not all equal it is
    called with ``sample_weight=``. Each call returns ``(score, loss,
    one_class)``: the score, the weighted loss the network trains on and
    whether it predicts a single class for every row (classification).

    The standard error of the score (for ``tolerance="auto"``) is
    estimated by resampling the validation rows; the best score seen so
    far and its standard error are ``best_score`` and
    ``best_standard_error``. With ``paired`` every step's outputs are
    kept, for :meth:`paired_standard_error`.
    """

    def __init__(self, scoring, y_valid, w_valid, *, seed, bootstrap, paired=False):
        self.scorer = None if scoring is None else check_scoring(None, scoring)
        self.scoring_name = (
            scoring
            if isinstance(scoring, str) or scoring is None
            else (getattr(scoring, "__name__", type(scoring).__name__))
        )
        self.y_valid = np.asarray(y_valid)
        self.w_valid = w_valid
        # Equal weights change no score: a scorer then gets none.
        self.scorer_weights = (
            w_valid if w_valid is not None and np.ptp(w_valid) > 0 else None
        )
        self.bootstrap = bootstrap
        self.seed = seed
        self.best_score = -np.inf
        self.best_standard_error = 0.0
        # Every scored step's stand-in, for paired comparisons (``paired``).
        self.paired = paired
        self.evaluated = []
        self.best_index = None
        self.n_scored = 0

    def _stand_in(self, network_outputs):
        """``(estimator, loss, one_class)`` for a step's outputs."""
        raise NotImplementedError

    def _own_score(self, estimator, rows) -> float:
        raise NotImplementedError

    def _labels(self, rows):
        """The targets a scorer compares with, in the user's terms."""
        raise NotImplementedError

    def _score(self, estimator, rows):
        if self.scorer is None:
            return self._own_score(estimator, rows)
        w = self.scorer_weights
        kwargs = {} if w is None else {"sample_weight": w[rows]}
        return float(
            self.scorer(estimator, rows[:, None], self._labels(rows), **kwargs)
        )

    def _score_many(self, estimator, rows) -> np.ndarray:
        """Scores on several row sets at once: one per row of the 2-D ``rows``."""
        return np.array([self._score(estimator, r) for r in rows])

    def _resampled_spread(self, score_of):
        """Standard deviation of ``score_of`` over resamples of the rows.

        ``score_of`` takes every resample at once (a 2-D array, one
        resample of row positions per row) and returns one score per
        resample, or one row of scores per resample; the result is a float,
        or one per column.
        """
        rng = np.random.default_rng(self.seed)
        n = self.y_valid.shape[0]
        with warnings.catch_warnings():
            # A resample may miss a class: the scorer's warning says so.
            warnings.simplefilter("ignore")
            draws = score_of(rng.integers(0, n, (_BOOTSTRAP_DRAWS, n)))
        spread = np.std(draws, axis=0, ddof=1)
        return float(spread) if spread.ndim == 0 else spread

    def _standard_error(self, estimator) -> float:
        return self._resampled_spread(lambda rows: self._score_many(estimator, rows))

    def paired_standard_error(self, i: int, j: int) -> float:
        """Standard error of the difference between the scores of steps i and j.

        Both are scored on the same resamples of the validation rows, so
        what the two networks have in common (the rows that are hard for
        both, the spread of the targets) cancels: the noise of a
        *comparison*, smaller than either score's own standard error.
        """
        if i == j:
            return 0.0
        first, second = self.evaluated[i], self.evaluated[j]
        return self._resampled_spread(
            lambda rows: self._score_many(first, rows) - self._score_many(second, rows)
        )

    def _score_step(self, estimator) -> float:
        """A newly scored step's score on every validation row."""
        return self._score(estimator, np.arange(self.y_valid.shape[0]))

    def loss(self, network_outputs) -> float:
        """The weighted validation loss of some outputs, recording nothing."""
        return float(self._stand_in(network_outputs)[1])

    def __call__(self, network_outputs):
        """``(score, loss, one_class)`` of a step's validation outputs."""
        estimator, loss, one_class = self._stand_in(network_outputs)
        score = self._score_step(estimator)
        if not np.isfinite(score):
            raise ValueError(
                f"the step score is {score} (scoring={self.scoring_name!r}): "
                "a scorer must return a finite number for the validation rows"
            )
        self.n_scored += 1
        if self.paired:
            self.evaluated.append(estimator)
        if score > self.best_score:
            self.best_score = score
            self.best_index = self.n_scored - 1
            if self.bootstrap:
                self.best_standard_error = self._standard_error(estimator)
        return score, float(loss), one_class


class ClassificationScorer(StepScorer):
    """Steps of a classifier: accuracy (weighted) unless ``scoring`` says otherwise.

    ``y_valid`` are class codes into ``classes``. The accuracy's standard
    error has a closed form (``SCANNClassifier._tolerance_rule``), so only
    a scorer's is resampled.
    """

    def __init__(self, scoring, classes, y_valid, w_valid, *, seed, bootstrap):
        super().__init__(
            scoring,
            y_valid,
            w_valid,
            seed=seed,
            bootstrap=bootstrap and scoring is not None,
        )
        self.classes = np.asarray(classes)

    def _stand_in(self, network_outputs):
        logits = class_logits(network_outputs)
        rows = np.arange(self.y_valid.size)
        log_proba = log_softmax(logits, axis=1)
        loss = -np.average(log_proba[rows, self.y_valid], weights=self.w_valid)
        one_class = bool(np.unique(logits.argmax(axis=1)).size == 1)
        return _StepOutputs(self.classes, logits), loss, one_class

    def _own_score(self, estimator, rows):
        w = None if self.w_valid is None else self.w_valid[rows]
        hits = estimator.logits[rows].argmax(axis=1) == self.y_valid[rows]
        return float(np.average(hits, weights=w))

    def _labels(self, rows):
        return self.classes[self.y_valid[rows]]


class RegressionScorer(StepScorer):
    """Steps of a regressor: R² (weighted, averaged over outputs) by default.

    ``y_valid`` are the standardised targets the network trains on;
    scores are computed on predictions and targets in the user's units
    (``target * scale + mean``).
    """

    def __init__(
        self, scoring, y_valid, w_valid, mean, scale, *, seed, bootstrap, paired
    ):
        super().__init__(
            scoring, y_valid, w_valid, seed=seed, bootstrap=bootstrap, paired=paired
        )
        self.mean = np.asarray(mean, dtype=float)
        self.scale = np.asarray(scale, dtype=float)
        # Every scored step's R² per output (the default score only).
        self.output_scores = []

    def _score_step(self, estimator) -> float:
        if self.scorer is not None:
            return super()._score_step(estimator)
        # The mean R² from the per-output R², which is kept.
        r2 = self._output_r2(estimator, np.arange(self.y_valid.shape[0]))
        self.output_scores.append(r2)
        return float(r2.mean())

    def output_shortfall(self, i: int, j: int):
        """How much R² step i falls below step j on each output (default score)."""
        return self.output_scores[j] - self.output_scores[i]

    def paired_output_errors(self, i: int, j: int):
        """Per output, the standard error of the R² difference of steps i and j.

        As :meth:`paired_standard_error`, output by output (needs
        ``paired``).
        """
        if i == j:
            return np.zeros_like(self.output_scores[i])
        first, second = self.evaluated[i], self.evaluated[j]
        return self._resampled_spread(
            lambda rows: self._output_r2(first, rows) - self._output_r2(second, rows)
        )

    def _stand_in(self, network_outputs):
        squared = ((network_outputs - self.y_valid) ** 2).mean(axis=1)
        loss = np.average(squared, weights=self.w_valid)
        predictions = network_outputs * self.scale + self.mean
        return _RegressionOutputs(predictions), loss, False

    def _own_score(self, estimator, rows):
        return float(self._output_r2(estimator, rows).mean())

    def _score_many(self, estimator, rows):
        if self.scorer is not None:
            return super()._score_many(estimator, rows)
        return self._output_r2(estimator, rows).mean(axis=-1)

    def _output_r2(self, estimator, rows):
        """R² of each output on the validation ``rows``.

        ``rows`` is one set of row positions, or a 2-D array of several
        (one per row), scored at once: then one row of R² per set.
        """
        y = self.y_valid[rows] * self.scale + self.mean
        predicted = estimator.predictions[rows]
        if self.w_valid is None:
            w = np.ones(rows.shape)
        else:
            w = self.w_valid[rows]
            # A set whose weights sum to 0 is scored unweighted.
            w = np.where(w.sum(axis=-1, keepdims=True) > 0, w, 1.0)
        residual = np.einsum("...n,...nk->...k", w, (y - predicted) ** 2)
        mean = np.einsum("...n,...nk->...k", w, y) / w.sum(axis=-1)[..., None]
        spread = np.einsum("...n,...nk->...k", w, (y - mean[..., None, :]) ** 2)
        # As scikit-learn's r2_score: a constant target scores 1 if it is
        # predicted exactly, else 0.
        r2 = np.where(spread > 0, 1 - residual / np.where(spread > 0, spread, 1), 0.0)
        return np.where((spread == 0) & (residual == 0), 1.0, r2)

    def _labels(self, rows):
        y = self.y_valid[rows] * self.scale + self.mean
        return y[:, 0] if y.shape[1] == 1 else y


#: Standard deviations (of the training rows) beyond the training rows'
#: range from which a row is outside it (see :func:`outside_training_range`).
_OUTLIER_MARGIN = 3.0
#: Values (rows x features) of X read at once while finding the outliers.
_CHUNK_VALUES = 2**20


def _row_blocks(X, rows):
    """``(start, block)`` for consecutive chunks of ``X[rows]``, dense float64.

    At most ``_CHUNK_VALUES`` values a chunk (a sparse one densified), so
    that no copy of all the rows is made at once.
    """
    step = max(1, _CHUNK_VALUES // max(X.shape[1], 1))
    for start in range(0, rows.size, step):
        block = X[rows[start : start + step]]
        block = block.toarray() if sp.issparse(block) else block
        yield start, np.asarray(block, dtype=np.float64)


def _feature_ranges(X, rows):
    """Per-feature minimum, maximum and standard deviation of ``X[rows]``."""
    n_features = X.shape[1]
    low = np.full(n_features, np.inf)
    high = np.full(n_features, -np.inf)
    total = np.zeros(n_features)
    squares = np.zeros(n_features)
    for _, block in _row_blocks(X, rows):
        np.minimum(low, block.min(axis=0), out=low)
        np.maximum(high, block.max(axis=0), out=high)
        total += block.sum(axis=0)
        squares += (block * block).sum(axis=0)
    mean = total / max(rows.size, 1)
    spread = np.sqrt(np.maximum(squares / max(rows.size, 1) - mean * mean, 0.0))
    return low, high, spread


def outside_training_range(X, train, rows, margin=_OUTLIER_MARGIN):
    """Which of ``rows`` has a feature ``margin`` deviations beyond the training range.

    Features constant on the training rows (no deviation to measure by)
    are not judged.
    """
    low, high, spread = _feature_ranges(X, train)
    judged = high > low  # exact, where a computed spread may round above 0
    low = (low - margin * spread)[judged]
    high = (high + margin * spread)[judged]
    outside = np.zeros(rows.size, dtype=bool)
    for start, block in _row_blocks(X, rows):
        block = block[:, judged]
        beyond = (block < low) | (block > high)
        outside[start : start + len(block)] = beyond.any(axis=1)
    return outside

"""The score of a synthesis step on the validation rows, and its standard error."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import check_scoring

from ._compact import class_logits

__all__ = ["StepScorer"]

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


class StepScorer:
    """Scores the network of every synthesis step on the validation rows.

    ``scoring=None`` is the (sample-weighted) accuracy. Anything else is a
    scikit-learn scorer name or callable ``scorer(estimator, X, y)``,
    called on a stand-in estimator holding the step's outputs; with sample
    weights that are not all equal it is called with ``sample_weight=``.
    Each call returns ``(score, loss, one_class)``: the score, the weighted
    cross-entropy and whether the network predicts a single class for
    every row.

    The standard error of a scorer's score (for ``tolerance="auto"``) is
    estimated by resampling the validation rows; that of the accuracy has
    a closed form (see ``SCANNClassifier._tolerance_rule``). The standard
    error of the best score seen so far is ``best_standard_error``.
    """

    def __init__(self, scoring, classes, y_valid, w_valid, *, seed, bootstrap):
        self.scorer = None if scoring is None else check_scoring(None, scoring)
        self.classes = np.asarray(classes)
        self.y_valid = np.asarray(y_valid)
        self.w_valid = w_valid
        # Equal weights change no score: a scorer then gets none.
        self.scorer_weights = (
            w_valid if w_valid is not None and np.ptp(w_valid) > 0 else None
        )
        self.bootstrap = bootstrap and self.scorer is not None
        self.seed = seed
        self.best_score = -np.inf
        self.best_standard_error = 0.0

    def _score(self, outputs, rows):
        if self.scorer is None:
            w = None if self.w_valid is None else self.w_valid[rows]
            hits = outputs.logits[rows].argmax(axis=1) == self.y_valid[rows]
            return float(np.average(hits, weights=w))
        w = self.scorer_weights
        kwargs = {} if w is None else {"sample_weight": w[rows]}
        labels = self.classes[self.y_valid[rows]]
        return float(self.scorer(outputs, rows[:, None], labels, **kwargs))

    def _standard_error(self, outputs) -> float:
        rng = np.random.default_rng(self.seed)
        n = self.y_valid.size
        with warnings.catch_warnings():
            # A resample may miss a class: the scorer's warning says so.
            warnings.simplefilter("ignore")
            draws = [
                self._score(outputs, rng.integers(0, n, n))
                for _ in range(_BOOTSTRAP_DRAWS)
            ]
        return float(np.std(draws, ddof=1))

    def __call__(self, network_outputs):
        """``(score, loss, one_class)`` of a step's validation outputs."""
        logits = class_logits(network_outputs)
        outputs = _StepOutputs(self.classes, logits)
        rows = np.arange(self.y_valid.size)
        score = self._score(outputs, rows)
        log_proba = log_softmax(logits, axis=1)
        loss = -np.average(log_proba[rows, self.y_valid], weights=self.w_valid)
        one_class = bool(np.unique(logits.argmax(axis=1)).size == 1)
        if score > self.best_score:
            self.best_score = score
            if self.bootstrap:
                self.best_standard_error = self._standard_error(outputs)
        return score, float(loss), one_class

"""DR+SCANN: dimensionality reduction followed by SCANN, as one Pipeline."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

from sklearn.pipeline import Pipeline

from ._classifier import SCANNClassifier
from ._reduction import DimensionalityReducer

__all__ = ["make_dr_scann"]


def make_dr_scann(
    method="auto",
    *,
    n_components=0.5,
    scale=True,
    scheme="B",
    hidden_layer_sizes=None,
    random_state=None,
    memory=None,
    **scann_params,
):
    """Build the DR+SCANN pipeline: ``DimensionalityReducer`` then ``SCANNClassifier``.

    The steps are named ``"dr"`` and ``"scann"``, so a grid search reaches
    their parameters as ``dr__method``, ``dr__n_components``,
    ``scann__grow_ratio`` and ``scann__prune_ratio``. Float
    ``hidden_layer_sizes`` (the default of every scheme) are multiples of
    the classifier's input features: reducing ``d`` features to ``k``
    shrinks the starting network by the feature compression ratio ``d / k``,
    as DR+SCANN prescribes.

    Parameters
    ----------
    method : str, default="auto"
        Reduction method of :class:`DimensionalityReducer` (``"auto"``
        selects one by cross-validation).
    n_components : int or float, default=0.5
        Features kept by the reduction (ignored by ``"auto"``).
    scale : bool, default=True
        Min-max scale the features before the reduction.
    scheme : {"A", "B", "C"}, default="B"
        SCANN scheme.
    hidden_layer_sizes : tuple of int or float, default=None
        Starting hidden layers of SCANN (None: the scheme's default).
    random_state : int, RandomState instance or None, default=None
        Seeds both steps.
    memory : str or object with the joblib.Memory interface, default=None
        Passed to :class:`~sklearn.pipeline.Pipeline` to cache the fitted
        reducer.
    **scann_params
        Further :class:`SCANNClassifier` parameters.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``Pipeline([("dr", ...), ("scann", ...)])``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_scann import make_dr_scann
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_dr_scann("pca", n_components=2, n_rounds=1, epochs_per_step=5,
    ...                       random_state=0).fit(X, y)
    >>> model["scann"].n_features_in_
    2
    """
    reducer = DimensionalityReducer(
        method, n_components=n_components, scale=scale, random_state=random_state
    )
    classifier = SCANNClassifier(
        scheme,
        hidden_layer_sizes=hidden_layer_sizes,
        random_state=random_state,
        **scann_params,
    )
    return Pipeline([("dr", reducer), ("scann", classifier)], memory=memory)

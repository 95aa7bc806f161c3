"""DR+SCANN: dimensionality reduction followed by SCANN, as one Pipeline."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from ._classifier import SCANNClassifier
from ._reduction import DimensionalityReducer
from ._regressor import SCANNRegressor

__all__ = ["make_dr_scann"]


# Reductions the default search of make_dr_scann tries: those whose fit takes
# well under a second on a few thousand rows. Factor analysis, FastICA and
# Isomap took 7 to 26 s each on optdigits and marketing (5,000 rows), more
# than the whole SCANN fit; ask for them with reducer_params.
FAST_METHODS = (
    "pca",
    "kernel_pca",
    "gaussian_random_projection",
    "sparse_random_projection",
)

# What the network of each task is, and the probe that scores the reductions
# for it: a 15-nearest-neighbour model, whose ranking of the candidates tracks
# the network's (see DimensionalityReducer's Notes).
_TASKS = {
    "classification": (SCANNClassifier, KNeighborsClassifier),
    "regression": (SCANNRegressor, KNeighborsRegressor),
}

_PROBE_NEIGHBORS = 15


class _Standardizer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Standardize dense features; scale sparse ones without centring them.

    The reducer returns a sparse matrix only when it keeps every feature of
    sparse input as it is (``method_="identity"``). Centring would make it
    dense, so sparse input is only scaled to unit variance (a
    :class:`~sklearn.preprocessing.StandardScaler` with ``with_mean=False``).

    Attributes
    ----------
    scaler_ : StandardScaler
        The fitted scaler; it centres only if fitted on dense input.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X had string column names.
    """

    def fit(self, X, y=None):
        """Fit the scaler: centring and scaling, or only scaling sparse ``X``."""
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32])
        scaler = StandardScaler(with_mean=not issparse(X))
        # Internal steps exchange arrays whatever the global output config says.
        self.scaler_ = scaler.set_output(transform="default").fit(X)
        return self

    def transform(self, X):
        """Standardize ``X`` (sparse ``X`` is only scaled, if fitted on sparse)."""
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
        )
        return self.scaler_.transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def make_dr_scann(
    method="auto",
    *,
    task="classification",
    n_components=0.5,
    scale=True,
    reducer_params=None,
    scheme="B",
    hidden_layer_sizes=None,
    random_state=None,
    memory=None,
    **scann_params,
):
    """Build the DR+SCANN pipeline: ``DimensionalityReducer`` then a SCANN network.

    The steps are named ``"dr"``, ``"standardize"`` (a
    :class:`~sklearn.preprocessing.StandardScaler` on the reduced features,
    the scale the network trains best on; if the reducer keeps every feature
    of sparse input as it is, they stay sparse and are scaled without
    centring) and ``"scann"`` (a :class:`SCANNClassifier`, or a
    :class:`SCANNRegressor` for ``task="regression"``), so a grid search
    reaches their parameters as ``dr__method``, ``dr__n_components``,
    ``scann__grow_ratio`` and ``scann__prune_ratio``. Float
    ``hidden_layer_sizes`` are multiples of the network's input features:
    with them, reducing ``d`` features to ``k`` shrinks the starting hidden
    layers by the feature compression ratio ``d / k``, as DR+SCANN
    prescribes; the schemes' default sizes are fixed numbers of neurons, so
    by default only the input block shrinks. ``X`` may be sparse (one-hot
    codes, counts): every default candidate of ``method="auto"`` takes it
    without densifying it.

    Parameters
    ----------
    method : str, default="auto"
        Reduction method of :class:`DimensionalityReducer` (``"auto"``
        selects one by cross-validation).
    task : {"classification", "regression"}, default="classification"
        What the network learns: class labels (:class:`SCANNClassifier`) or
        one or more continuous targets (:class:`SCANNRegressor`). It also
        sets how ``method="auto"`` scores the reductions: by accuracy on
        stratified folds, or by R² (averaged over the targets) on shuffled
        k-fold cross-validation, also for integer targets.
    n_components : int or float, default=0.5
        Features kept by the reduction (ignored by ``"auto"``).
    scale : bool, default=True
        Min-max scale the features before the reduction.
    reducer_params : dict, default=None
        Further :class:`DimensionalityReducer` parameters. By default
        ``method="auto"`` searches PCA, kernel PCA and the Gaussian and
        sparse random projections (the reductions that fit in well under a
        second on thousands of rows) keeping 25% or 50% of the features,
        against keeping all of them as they are (``"identity"``), and keeps
        the best-scoring candidate: a reduction the data do not support is
        not forced on the network. The probe is a 15-nearest-neighbour
        classifier (regressor, for ``task="regression"``): it sees
        non-linear structure (two interleaved classes in two features) that
        a linear probe misses, and fits in no time. The probe's choice is
        then confirmed by the network (``confirm_with``): the starting
        network of these settings (``n_rounds=0``, trained on every row of
        a fold) is cross-validated on the reduction and on every feature,
        and the reduction is kept only where it scores at least as well as
        every feature. The probe alone kept 5 of ring's 20 features and
        lost 10 points there; a reduction kept within one standard error of
        every feature cost the synthesized network up to 10 points on
        movement_libras and sonar. Pass
        ``reducer_params={"confirm_with": None}`` to trust the probe. The
        confirming network is built from this function's arguments: a later
        ``set_params(scann__...)`` does not reach it
        (``dr__confirm_with__scann__...`` does).
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
        Further :class:`SCANNClassifier` (or :class:`SCANNRegressor`)
        parameters.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``Pipeline([("dr", ...), ("standardize", ...), ("scann", ...)])``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_scann import make_dr_scann
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_dr_scann("pca", n_components=2, n_rounds=1, epochs_per_step=5,
    ...                       random_state=0).fit(X, y)
    >>> model["scann"].n_features_in_
    2
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> regression = make_dr_scann(task="regression", n_rounds=1, epochs_per_step=5,
    ...                            random_state=0).fit(X, y)
    >>> type(regression["scann"]).__name__, regression.predict(X[:3]).shape
    ('SCANNRegressor', (3,))
    """
    if task not in _TASKS:
        raise ValueError(
            f"task must be one of {sorted(_TASKS)}; got {task!r}. Use "
            "'classification' for class labels and 'regression' for "
            "continuous targets."
        )
    network, probe = _TASKS[task]
    # The starting network of the same settings, trained on every row of a
    # fold: it confirms the probe's reduction against every feature.
    start = network(
        scheme,
        hidden_layer_sizes=hidden_layer_sizes,
        random_state=random_state,
        **{
            **scann_params,
            "n_rounds": 0,
            "fine_tune": False,
            "validation_fraction": 0.0,
            "keep_frontier": False,
            "verbose": 0,
        },
    )
    options = {
        "estimator": probe(n_neighbors=_PROBE_NEIGHBORS),
        "confirm_with": Pipeline([("standardize", _Standardizer()), ("scann", start)]),
        "candidate_methods": FAST_METHODS,
        "candidate_components": (0.25, 0.5, 1.0),
        "selection": "best",
        **(reducer_params or {}),
    }
    reducer = DimensionalityReducer(
        method,
        n_components=n_components,
        scale=scale,
        random_state=random_state,
        **options,
    )
    scann = network(
        scheme,
        hidden_layer_sizes=hidden_layer_sizes,
        random_state=random_state,
        **scann_params,
    )
    # The network trains best on standardised inputs (its learning rate and
    # initialisation assume them); the reducer's outputs are min-max scaled
    # data projected, with scales that differ by orders of magnitude.
    return Pipeline(
        [("dr", reducer), ("standardize", _Standardizer()), ("scann", scann)],
        memory=memory,
    )

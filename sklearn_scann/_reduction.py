"""DimensionalityReducer: the dimensionality-reduction step of DR+SCANN."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.sparse import SparseEfficiencyWarning, issparse
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.decomposition import PCA, FactorAnalysis, FastICA, KernelPCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.manifold import Isomap
from sklearn.model_selection import (
    KFold,
    StratifiedKFold,
    check_cv,
    cross_val_score,
    train_test_split,
)
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler, MinMaxScaler
from sklearn.random_projection import (
    GaussianRandomProjection,
    SparseRandomProjection,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Hidden, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)
from threadpoolctl import threadpool_limits

from ._sizes import resolve_size

__all__ = ["DimensionalityReducer"]

METHODS = (
    "pca",
    "kernel_pca",
    "factor_analysis",
    "ica",
    "isomap",
    "gaussian_random_projection",
    "sparse_random_projection",
    "binary_random_projection",
)

# What method="auto" keeps when its best candidate keeps every feature: the
# features themselves (after scaling). A rotation of all of them would cost
# the network its sparse, per-feature connections and buy nothing.
IDENTITY = "identity"

# Methods whose fit needs all pairwise kernel values or geodesic distances
# (PCA too on sparse input, computed from the Gram matrix: see _make_reducer).
_QUADRATIC = frozenset({"kernel_pca", "isomap"})

# Methods whose scikit-learn estimator refuses sparse input.
_DENSE_ONLY = frozenset({"factor_analysis", "ica"})
SPARSE_METHODS = tuple(method for method in METHODS if method not in _DENSE_ONLY)

# Isomap's neighbours per sample; fewer when it is fitted on fewer samples.
_ISOMAP_NEIGHBORS = 10

_ISOMAP_GRAPH_WARNING = "The number of connected components of the neighbors graph"

# Accepted by the parameter validation only so that fit can explain the refusal.
_NO_OUT_OF_SAMPLE = frozenset({"spectral_embedding", "spectral"})

# Targets that method="auto" searches for as a regression (KFold, R²).
_CONTINUOUS_TARGETS = frozenset({"continuous", "continuous-multioutput"})

# Neighbours of the default regression probe of method="auto".
_PROBE_NEIGHBORS = 15

# Fewest samples in a test fold of the regression search: R² of one is undefined.
_MIN_TEST_SAMPLES = 2


def _sparse_input_error(method: str) -> TypeError:
    return TypeError(
        f"method={method!r} needs dense X: scikit-learn's estimator for it "
        "refuses sparse input, and densifying X could exhaust memory. Pass "
        f"X.toarray() if it fits in memory, or choose a method that accepts "
        f"sparse input: {list(SPARSE_METHODS)} or 'auto'."
    )


def _is_quadratic(method: str, *, sparse: bool) -> bool:
    """Whether fitting ``method`` costs memory quadratic in the samples."""
    return method in _QUADRATIC or (method == "pca" and sparse)


def _max_components(method: str, n_samples: int, n_features: int) -> int:
    """The most components ``method`` can return when fitted on these samples."""
    if method == "ica":
        # Whitening divides by the singular values of the centred data, and
        # with n_samples rows the last of them is zero.
        return min(n_samples - 1, n_features)
    if method == "isomap":
        # Each sample needs at least one neighbour besides itself.
        return min(n_samples, n_features) if n_samples > 1 else 0
    if method in ("pca", "kernel_pca", "factor_analysis"):
        return min(n_samples, n_features)
    return n_features


def _max_components_reason(method: str) -> str:
    """Why ``method`` returns at most ``_max_components`` components."""
    if method == "ica":
        return "its whitening needs fewer components than samples"
    return "it cannot return more components than it has samples"


def _no_out_of_sample_error(method: str) -> ValueError:
    return ValueError(
        f"method={method!r}: spectral embedding has no out-of-sample transform "
        "(it embeds only the samples it was fitted on), so it cannot reduce new "
        "data and cannot be used in a pipeline. Choose one of "
        f"{sorted(METHODS)} or 'auto'."
    )


class _BinaryRandomProjection(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Random projection with a dense {0, 1} matrix, each row a subset mean.

    Every entry is drawn from Bernoulli(0.5); each row is then divided by its
    number of ones, so every output feature is the mean of a random half of the
    input features. Inputs in [0, 1] therefore stay in [0, 1]. A row drawn with
    no ones gets one at a random position, so no output is constantly zero.

    Parameters
    ----------
    n_components : int, default=2
        Number of output features.
    random_state : int, RandomState instance or None, default=None
        Seeds the projection matrix.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, `n_features_in_`)
        The scaled projection matrix.
    n_features_in_ : int
        Number of features seen during fit.
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, n_components=2, *, random_state=None):
        self.n_components = n_components
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Draw the projection matrix for ``X``'s number of features."""
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32])
        rng = check_random_state(self.random_state)
        n_features = X.shape[1]
        mask = rng.binomial(1, 0.5, size=(self.n_components, n_features))
        empty = np.flatnonzero(mask.sum(axis=1) == 0)
        mask[empty, rng.randint(n_features, size=empty.size)] = 1
        self.components_ = mask / mask.sum(axis=1, keepdims=True)
        return self

    def transform(self, X):
        """Project ``X`` onto the random subset means."""
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
        )
        return np.asarray(X @ self.components_.T.astype(X.dtype, copy=False))

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class _GaussianRandomProjection(GaussianRandomProjection):
    """GaussianRandomProjection whose matrix sparse input reads without a copy.

    scikit-learn draws ``components_`` in C order, and ``X @ components_.T``
    with sparse ``X`` then copies it whole (400 MB for 5,000 x 10,000) at every
    transform. Drawing its transpose stores it in Fortran order, which that
    product reads in place; numpy's Generator also draws it about twice as
    fast. ``random_state`` must be an int (or None).
    """

    def _make_random_matrix(self, n_components, n_features):
        rng = np.random.default_rng(self.random_state)
        components = rng.standard_normal((n_features, n_components))
        components /= np.sqrt(n_components)
        return components.T


def _make_scaler(sparse: bool):
    """Min-max scaling; for sparse input, max-abs scaling, which keeps zeros zero."""
    scaler = MaxAbsScaler() if sparse else MinMaxScaler()
    # Internal steps exchange arrays whatever the global output config says.
    return scaler.set_output(transform="default")


def _make_reducer(method, n_components, seed, n_samples, sparse):
    """A fresh, unfitted reducer for ``method``, to be fitted on ``n_samples``."""
    if method == "pca" and sparse:
        # PCA from the centred Gram matrix: the same projection without
        # densifying X. scikit-learn's sparse PCA (ARPACK) took 75 s for 1,332
        # components of 2,000 x 10,000 one-hot rows; this takes seconds.
        return KernelPCA(n_components=n_components, kernel="linear", random_state=seed)
    if method == "pca":
        return PCA(n_components=n_components, random_state=seed)
    if method == "kernel_pca":
        return KernelPCA(n_components=n_components, kernel="rbf", random_state=seed)
    if method == "factor_analysis":
        return FactorAnalysis(n_components=n_components, random_state=seed)
    if method == "ica":
        return FastICA(
            n_components=n_components,
            whiten="unit-variance",
            max_iter=1000,
            random_state=seed,
        )
    if method == "isomap":
        # Dense eigensolver: ARPACK's start vector would not be seeded. Ten
        # neighbours: with scikit-learn's five the graph of a small dataset
        # often falls apart, and completing it is slow.
        return Isomap(
            n_components=n_components,
            n_neighbors=max(1, min(_ISOMAP_NEIGHBORS, n_samples - 1)),
            eigen_solver="dense",
        )
    if method == "gaussian_random_projection":
        return _GaussianRandomProjection(n_components=n_components, random_state=seed)
    if method == "sparse_random_projection":
        return SparseRandomProjection(
            n_components=n_components, dense_output=True, random_state=seed
        )
    if method == "binary_random_projection":
        return _BinaryRandomProjection(n_components=n_components, random_state=seed)
    if method == IDENTITY:
        return FunctionTransformer()
    raise ValueError(f"unknown method {method!r}")  # pragma: no cover


class DimensionalityReducer(TransformerMixin, BaseEstimator):
    """Reduce the number of features before SCANN synthesizes a network.

    DR+SCANN (Hassantabar, Wang and Jha, 2022) min-max scales the data,
    reduces its dimensionality with one of several classic methods and then
    synthesizes a network on the reduced features, whose starting hidden layers
    shrink by the same *feature compression ratio* (original features over kept
    features). This transformer is that first step::

        Pipeline([("dr", DimensionalityReducer()), ("scann", SCANNClassifier())])

    With ``method="auto"`` it makes the paper's choice: every candidate method
    and number of kept features is scored by the cross-validated accuracy of a
    small, fast classifier trained on the reduced data, and the best is kept.
    For regression targets (continuous or multi-output ``y``, or a regressor
    as ``estimator``) the score is the R² of a regressor, so the same step
    precedes :class:`SCANNRegressor`.

    Parameters
    ----------
    method : {"auto", "pca", "kernel_pca", "factor_analysis", "ica", "isomap", \
"gaussian_random_projection", "sparse_random_projection", \
"binary_random_projection"}, default="auto"
        The reduction. ``"pca"``: :class:`~sklearn.decomposition.PCA`;
        ``"kernel_pca"``: :class:`~sklearn.decomposition.KernelPCA` with an
        RBF kernel; ``"factor_analysis"``:
        :class:`~sklearn.decomposition.FactorAnalysis`; ``"ica"``:
        :class:`~sklearn.decomposition.FastICA`; ``"isomap"``:
        :class:`~sklearn.manifold.Isomap`;
        ``"gaussian_random_projection"``:
        :class:`~sklearn.random_projection.GaussianRandomProjection`;
        ``"sparse_random_projection"``: the ternary
        :class:`~sklearn.random_projection.SparseRandomProjection`;
        ``"binary_random_projection"``: a dense {0, 1} projection (see Notes).
        ``"auto"`` selects among ``candidate_methods`` and
        ``candidate_components`` by cross-validation and needs ``y``.
        Spectral embedding is refused: it has no out-of-sample transform.
        Factor analysis and ICA need dense ``X``; every other method takes
        sparse ``X`` without densifying it (see Notes).
    n_components : int or float, default=0.5
        Features kept. An int >= 1 is a number of features (at most the number
        of input features); a float in (0, 1] is the fraction of the input
        features kept, the inverse of the feature compression ratio, resolved
        as ``max(1, round(n_components * n_features))``. Ignored when
        ``method="auto"``, which searches ``candidate_components`` instead.
        Every method but the random projections also returns at most as many
        components as it has samples (see Notes); asking for more is refused.
    scale : bool, default=True
        Min-max scale every feature to [0, 1] (fitted on the training data)
        before the reduction, as the SCANN paper does. It keeps features of
        large range from dominating variance- and distance-based methods (PCA,
        kernel PCA, Isomap, random projections) and puts the inputs of the
        network on a common, bounded scale. Sparse ``X`` is instead divided
        by each feature's maximum absolute value
        (:class:`~sklearn.preprocessing.MaxAbsScaler`), which keeps zeros zero
        and, for features whose minimum is 0 (counts, one-hot codes), is the
        same min-max scaling.
    candidate_methods : list or tuple of str, default=None
        Methods tried by ``method="auto"``; None tries all of them. On
        sparse ``X``, those that need dense input (``"factor_analysis"``,
        ``"ica"``) are left out.
    candidate_components : list or tuple of int or float, default=(0.25, 0.5)
        Numbers of kept features tried by ``method="auto"``, each read like
        ``n_components``. Candidates that resolve to the same int are tried
        once. A candidate keeping every feature is tried once, as the
        features themselves (``"identity"``): a rotation of all of them
        reduces nothing and spreads every input over every output. A
        candidate larger than a method can return from the samples of a
        training fold is lowered, for that method, to that largest number.
    estimator : estimator object, default=None
        Classifier, scored by accuracy, or regressor, scored by R², on the
        reduced data by ``method="auto"``; cloned for every fit. A regressor
        makes the search a regression whatever ``y`` looks like. None means
        ``LogisticRegression(max_iter=300)`` for class labels and
        ``KNeighborsRegressor(n_neighbors=15)`` for continuous or
        multi-output ``y`` (see Notes). An ``n_neighbors`` parameter (also a
        nested ``step__n_neighbors``) larger than the smallest training fold
        is lowered to its number of samples.
    confirm_with : estimator object, default=None
        With ``method="auto"``, the model that will learn from the reduced
        features (e.g. the network itself): the probe's choice and keeping
        every feature as it is are cross-validated again with it, on the
        same folds, and the reduction is kept only where its mean score is
        at least every feature's; otherwise every feature is kept
        (``"identity"``). None trusts the probe. :func:`make_dr_scann`
        passes the starting network.
    cv : int, cross-validation generator or iterable, default=3
        Cross-validation of ``method="auto"``. An int is the number of folds of
        a shuffled :class:`~sklearn.model_selection.StratifiedKFold` seeded by
        ``random_state``, lowered (to no fewer than 2) when the smallest class
        has fewer samples; for regression, of a shuffled
        :class:`~sklearn.model_selection.KFold`, lowered so that every test
        fold holds at least 2 samples. Every candidate is scored on the same
        folds.
    n_jobs : int, default=None
        Parallel jobs over the folds of each candidate's cross-validation.
        None means 1 unless in a :obj:`joblib.parallel_backend` context.
    selection : {"best", "smallest"}, default="best"
        How ``method="auto"`` picks among its candidates: the highest mean
        cross-validated score (``"best"``), or the fewest components
        whose mean score is within one standard error (over the folds)
        of the best candidate's (``"smallest"``, the one-standard-error
        rule: reduce only as far as the data show no loss).
    max_samples : int or None, default=2000
        Bounds the work that grows faster than linearly with the number of
        samples. ``"auto"`` scores its candidates on a subsample (stratified
        for class labels) of at most this many rows, and ``"kernel_pca"``
        and ``"isomap"`` (whose fit needs all pairwise kernel values or
        geodesic distances, quadratic memory and cubic time), as well as
        ``"pca"`` on sparse ``X`` (see Notes), learn their embedding from a
        random subsample of this size; all still transform any number of rows.
        The min-max scaler always sees all rows. None uses every row.
    random_state : int, RandomState instance or None, default=None
        Seeds every random method (kernel PCA's and factor analysis' solvers,
        ICA's start, the random projections) and the folds of
        ``method="auto"``. An int makes the whole fit reproducible.

    Attributes
    ----------
    method_ : str
        The reduction used: ``method``, or the one ``method="auto"``
        selected; ``"identity"`` when ``"auto"`` kept every feature as it is
        (after scaling).
    n_components_ : int
        Number of features kept (output features).
    compression_ratio_ : float
        Feature compression ratio, ``n_features_in_ / n_components_``.
    scores_ : dict
        Mean cross-validated accuracy (R² for regression, averaged over
        the outputs) for every candidate, keyed by
        ``(method, n_components)`` with ``n_components`` an int (after any
        lowering to what the method returns on a training fold). Empty
        unless ``method="auto"``.
    standard_errors_ : dict
        The standard error over folds of each entry of ``scores_``, keyed
        alike (what ``selection="smallest"`` may give up).
    confirm_scores_ : dict
        ``confirm_with``'s mean cross-validated score for the probe's choice
        and for ``("identity", n_features)``, keyed like ``scores_``. Empty
        unless ``confirm_with`` re-scored a reduction.
    scaler_ : MinMaxScaler, MaxAbsScaler or None
        The fitted scaler: a ``MaxAbsScaler`` when fitted on sparse ``X``;
        None when ``scale=False``.
    reducer_ : estimator object
        The fitted reducer (a scikit-learn transformer); for ``"pca"`` on
        sparse ``X``, a :class:`~sklearn.decomposition.KernelPCA` with a
        linear kernel (see Notes).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X had string column names.

    See Also
    --------
    SCANNClassifier : The network synthesized on the reduced features.
    SCANNRegressor : Its regression twin.
    sklearn.decomposition.PCA : Principal component analysis.
    sklearn.random_projection.SparseRandomProjection : Ternary projection.

    Notes
    -----
    **Selection.** For every candidate, a pipeline of the scaler, the reducer
    and a clone of ``estimator`` is cross-validated, so the reduction is fitted
    inside each fold and never sees the fold it is scored on. The highest mean
    accuracy wins; ties go to fewer components, then to the earlier method in
    ``candidate_methods``. The paper scored candidates with a small neural
    network; the default here is a logistic regression, because it is fitted
    on every fold of every candidate (48 fits by default) and trains in a
    fraction of a network's time, with no tuning and no randomness. It favours
    reductions that make the classes linearly separable, which a network does
    not strictly need; pass, for example, an
    :class:`~sklearn.neural_network.MLPClassifier` as ``estimator`` to follow
    the paper more closely, or keep the fast probe to rank the candidates and
    let the model itself judge the winner against every feature
    (``confirm_with``, two more cross-validations), as :func:`make_dr_scann`
    does with its starting network. The default search (eight methods, two ratios,
    three folds) takes about ten seconds on ``load_digits`` (1,797 x 64) on
    two CPU cores; Isomap and kernel PCA grow with the square of the number
    of samples or faster and dominate on larger data, where
    ``candidate_methods`` can leave them out. The search runs with BLAS
    limited to one thread: its matrices are small, and threaded BLAS made it
    up to 20 times slower on a busy two-core machine; ``n_jobs`` parallelizes
    over folds instead.

    **Regression.** With a regressor as ``estimator``, or with None and
    ``y`` that :func:`~sklearn.utils.multiclass.type_of_target` calls
    continuous or that has several columns, every candidate is scored by
    its R² (the uniform average over outputs) on shuffled k-fold
    cross-validation. Integer targets, such as ``load_diabetes``'s, read as
    class labels: pass a regressor to search them as a regression. The
    default regression probe is a 15-nearest-neighbour regressor rather than
    :class:`~sklearn.linear_model.RidgeCV` because its ranking of the
    candidates tracks a network's: over the candidates of
    :func:`make_dr_scann`'s search on seven regression sets (``load_diabetes``,
    Friedman #1 with 20 and 60 features, a linear and a low-rank three-target
    ``make_regression``, a noisy digit value of ``load_digits``, a non-linear
    function of five latent factors), its scores and a
    :class:`SCANNRegressor`'s cross-validated R² had a median Spearman
    correlation of 0.92, and its pick cost the network at most 0.003 R².
    RidgeCV's pick cost up to 0.17 on the non-linear targets, where it
    prefers reductions that make the target look linear.

    **Small data.** PCA, kernel PCA, Isomap and factor analysis return at
    most as many components as they are fitted on samples; ICA one fewer
    (its whitening divides by the singular values of the centred data).
    Isomap's ten neighbours drop to one fewer than its samples.
    ``method="auto"`` lowers its candidates, its folds and a
    nearest-neighbour probe's neighbours to what the data allow, and needs
    at least 2 samples of every class; for regression, at least 4 samples
    (two test folds of two: the R² of one sample is undefined).

    **Sparse input.** Sparse ``X`` is never densified. It is scaled by
    :class:`~sklearn.preprocessing.MaxAbsScaler`. PCA is computed as
    :class:`~sklearn.decomposition.KernelPCA` with a linear kernel, which
    centres the samples' Gram matrix instead of ``X``: the same projection as
    PCA (unlike :class:`~sklearn.decomposition.TruncatedSVD`, which does not
    centre), fast however many components are kept (scikit-learn's own sparse
    PCA, with ARPACK, took over a minute for 1,332 components of 2,000 rows),
    and, like kernel PCA, learnt from at most ``max_samples`` rows. Kernel
    PCA, Isomap and the random projections take sparse ``X`` as it is.
    Factor analysis and ICA refuse it, and ``method="auto"`` leaves them
    out. With ``"identity"`` the output is the sparse scaled input.

    **Binary random projection.** scikit-learn has no {0, 1} projection, so a
    small private transformer draws a dense Bernoulli(0.5) matrix and divides
    each row by its number of ones: every output feature is the mean of a
    random half of the inputs. Unlike the zero-mean Gaussian and ternary
    projections it does not preserve distances in expectation, but it keeps
    min-max scaled inputs in [0, 1], the range the network is trained on.

    **Isomap.** It uses a dense eigensolver, since its ARPACK solver cannot be
    seeded; its cost grows with the cube of the number of samples. Its warning
    that the neighbour graph is disconnected (the graph is completed anyway) is
    silenced while candidates are scored, and shown only if Isomap is fitted
    as the chosen or explicit method.

    References
    ----------
    .. [1] S. Hassantabar, Z. Wang and N. K. Jha, "SCANN: Synthesis of
       Compact and Accurate Neural Networks", IEEE TCAD 41(9), 2022.
       arXiv:1904.09090.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_scann import DimensionalityReducer
    >>> X, y = load_iris(return_X_y=True)
    >>> reducer = DimensionalityReducer("pca", n_components=0.5, random_state=0)
    >>> reducer.fit_transform(X).shape
    (150, 2)
    >>> reducer.compression_ratio_
    2.0
    >>> reducer.get_feature_names_out().tolist()
    ['dr0', 'dr1']
    >>> auto = DimensionalityReducer(
    ...     candidate_methods=["pca", "sparse_random_projection"], random_state=0
    ... ).fit(X, y)
    >>> sorted(auto.scores_)
    [('pca', 1), ('pca', 2), ('sparse_random_projection', 1), \
('sparse_random_projection', 2)]
    >>> auto.scores_[(auto.method_, auto.n_components_)] == max(auto.scores_.values())
    True

    Continuous targets are searched by the R² of a nearest-neighbour regressor:

    >>> from sklearn.datasets import make_regression
    >>> X_reg, y_reg = make_regression(
    ...     n_samples=100, n_features=8, n_targets=2, random_state=0
    ... )
    >>> reg = DimensionalityReducer(candidate_methods=["pca"], random_state=0)
    >>> sorted(reg.fit(X_reg, y_reg).scores_)
    [('pca', 2), ('pca', 4)]
    """

    _parameter_constraints: dict = {
        "method": [
            StrOptions({"auto", *METHODS}),
            Hidden(StrOptions(set(_NO_OUT_OF_SAMPLE))),
        ],
        "n_components": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="right"),
        ],
        "scale": ["boolean"],
        "candidate_methods": [list, tuple, None],
        "candidate_components": [list, tuple],
        "estimator": [HasMethods(["fit", "predict"]), None],
        "confirm_with": [HasMethods(["fit", "predict"]), None],
        "cv": ["cv_object"],
        "n_jobs": [Integral, None],
        "max_samples": [Interval(Integral, 1, None, closed="left"), None],
        "selection": [StrOptions({"best", "smallest"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        method="auto",
        *,
        n_components=0.5,
        scale=True,
        candidate_methods=None,
        candidate_components=(0.25, 0.5),
        estimator=None,
        confirm_with=None,
        cv=3,
        n_jobs=None,
        max_samples=2000,
        selection="best",
        random_state=None,
    ):
        self.method = method
        self.n_components = n_components
        self.scale = scale
        self.candidate_methods = candidate_methods
        self.candidate_components = candidate_components
        self.estimator = estimator
        self.confirm_with = confirm_with
        self.cv = cv
        self.n_jobs = n_jobs
        self.max_samples = max_samples
        self.selection = selection
        self.random_state = random_state

    # -- helpers --------------------------------------------------------------

    def _candidate_methods(self) -> list[str]:
        methods = METHODS if self.candidate_methods is None else self.candidate_methods
        if len(methods) == 0:
            raise ValueError("candidate_methods must not be empty")
        for method in methods:
            if method in _NO_OUT_OF_SAMPLE:
                raise _no_out_of_sample_error(method)
            if method not in METHODS:
                raise ValueError(
                    f"candidate_methods contains {method!r}; each entry must be "
                    f"one of {sorted(METHODS)}"
                )
        return list(dict.fromkeys(methods))

    def _candidate_components(self, n_features: int) -> list[int]:
        if len(self.candidate_components) == 0:
            raise ValueError("candidate_components must not be empty")
        resolved = (
            resolve_size(
                value, n_features, "candidate_components", at_most_features=True
            )
            for value in self.candidate_components
        )
        return sorted(set(resolved))

    def _pipeline(self, method, n_components, seed, n_samples, sparse, estimator):
        steps = [
            ("scale", _make_scaler(sparse) if self.scale else "passthrough"),
            ("reduce", _make_reducer(method, n_components, seed, n_samples, sparse)),
            ("estimator", clone(estimator)),
        ]
        # Internal steps exchange arrays whatever the global output config says.
        return Pipeline(steps).set_output(transform="default")

    def _searches_regression(self, y) -> bool:
        """Whether ``method="auto"`` scores its candidates as a regression.

        A regressor as ``estimator`` says so whatever ``y`` looks like
        (integer targets, such as ``load_diabetes``'s, read as class labels
        to :func:`~sklearn.utils.multiclass.type_of_target`); a classifier
        says not. Otherwise continuous or multi-output ``y`` does.
        """
        if self.estimator is not None and is_regressor(self.estimator):
            return True
        target_type = type_of_target(y, input_name="y")
        if self.estimator is not None and is_classifier(self.estimator):
            if target_type in _CONTINUOUS_TARGETS:
                raise ValueError(
                    f"y is {target_type} (regression targets), but estimator="
                    f"{self.estimator!r} is a classifier. Pass a regressor as "
                    "estimator (such as KNeighborsRegressor), or None, to "
                    "search the reduction for a regression."
                )
            return False
        return target_type in _CONTINUOUS_TARGETS or (
            np.ndim(y) == 2 and np.shape(y)[1] > 1
        )

    def _probe(self, n_samples: int, *, regression: bool):
        """The scoring estimator, its neighbour counts at most ``n_samples``."""
        if self.estimator is not None:
            estimator = self.estimator
        elif regression:
            estimator = KNeighborsRegressor(n_neighbors=_PROBE_NEIGHBORS)
        else:
            return LogisticRegression(max_iter=300)
        # A nearest-neighbour probe cannot ask for more neighbours than a
        # training fold has rows.
        too_many = {
            name: n_samples
            for name, value in estimator.get_params().items()
            if name.rsplit("__", 1)[-1] == "n_neighbors"
            and isinstance(value, Integral)
            and value > n_samples
        }
        return clone(estimator).set_params(**too_many)

    def _check_class_counts(self, y):
        """Refuse, in the user's terms, data too small to cross-validate."""
        labels, counts = np.unique(y, return_counts=True)
        if isinstance(self.cv, Integral) and counts.min() < 2:
            label = labels.tolist()[np.argmin(counts)]
            hint = ""
            if y.dtype.kind in "iuf":
                hint = (
                    " If y holds regression targets, pass a regressor as "
                    "estimator (such as KNeighborsRegressor): the search is "
                    "then a regression."
                )
            raise ValueError(
                "DimensionalityReducer(method='auto') scores its candidates by "
                "stratified cross-validation, so it needs at least 2 samples of "
                f"every class; got {counts.min()} of class {label!r} ({y.size} "
                "samples in all). Pass more samples, or choose an explicit "
                f"method such as 'pca'.{hint}"
            )

    def _check_regression_size(self, n_samples: int):
        """Refuse, in the user's terms, too few samples for R² on two folds."""
        least = 2 * _MIN_TEST_SAMPLES
        if isinstance(self.cv, Integral) and n_samples < least:
            raise ValueError(
                "DimensionalityReducer(method='auto') scores its candidates by "
                "the R² of k-fold cross-validation, and R² needs at least "
                f"{_MIN_TEST_SAMPLES} samples in every test fold, so it needs at "
                f"least {least} samples; got {n_samples}. Pass more samples, or "
                "choose an explicit method such as 'pca'."
            )

    def _folds(self, X, y, seed: int, *, regression: bool) -> list:
        """The cross-validation folds every candidate is scored on."""
        if not isinstance(self.cv, Integral):
            return list(check_cv(self.cv, y, classifier=not regression).split(X, y))
        if regression:
            # No more folds than leave every test fold two samples to score.
            n_splits = max(2, min(self.cv, X.shape[0] // _MIN_TEST_SAMPLES))
            cv = KFold(n_splits=n_splits, shuffle=True, random_state=seed)
        else:
            # No more folds than the smallest class has samples, so that every
            # training fold holds every class.
            n_splits = max(2, min(self.cv, np.unique(y, return_counts=True)[1].min()))
            cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        return list(cv.split(X, y))

    def _select(self, X, y, seed: int, *, regression: bool) -> tuple[str, int]:
        """Score every candidate by cross-validation; return the best one."""
        methods = self._candidate_methods()
        sparse = issparse(X)
        if sparse:
            methods = [method for method in methods if method not in _DENSE_ONLY]
            if not methods:
                raise TypeError(
                    "X is sparse, and none of candidate_methods="
                    f"{list(self.candidate_methods)} accepts sparse input; "
                    f"include some of {list(SPARSE_METHODS)}, or pass dense X."
                )
        sizes = self._candidate_components(X.shape[1])
        if regression:
            self._check_regression_size(X.shape[0])
        else:
            self._check_class_counts(y)
        if self.max_samples is not None and X.shape[0] > self.max_samples:
            keep, _ = train_test_split(
                np.arange(X.shape[0]),
                train_size=self.max_samples,
                stratify=None if regression else y,
                random_state=seed,
            )
            X, y = X[np.sort(keep)], y[np.sort(keep)]
        folds = self._folds(X, y, seed, regression=regression)
        n_train = min(len(train) for train, _ in folds)
        estimator = self._probe(n_train, regression=regression)
        n_features = X.shape[1]
        candidates = []
        for method in methods:
            # A size above what the method returns from a training fold is
            # lowered to that number.
            limit = _max_components(method, n_train, n_features)
            capped = {min(size, limit) for size in sizes if size < n_features}
            candidates += [(method, size) for size in sorted(capped) if size >= 1]
        if sizes[-1] == n_features:
            candidates.append((IDENTITY, n_features))

        def cross_validate(candidates, estimator):
            """Mean score and its standard error (over folds) per candidate."""
            scores, errors = {}, {}
            for method, n_components in candidates:
                pipeline = self._pipeline(
                    method, n_components, seed, n_train, sparse, estimator
                )
                fold_scores = cross_val_score(
                    pipeline,
                    X,
                    y,
                    cv=folds,
                    # R² of several outputs is their uniform average.
                    scoring="r2" if regression else "accuracy",
                    n_jobs=self.n_jobs,
                    error_score="raise",
                )
                scores[(method, n_components)] = float(np.mean(fold_scores))
                errors[(method, n_components)] = float(
                    np.std(fold_scores, ddof=1) / np.sqrt(len(fold_scores))
                    if len(fold_scores) > 1
                    else 0.0
                )
            return scores, errors

        # Small matrices: threaded BLAS buys nothing here, and on a busy machine
        # its spinning threads made the default search on load_digits 10x slower.
        with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
            # Isomap completes a disconnected neighbour graph itself; one warning
            # per fold of every candidate would only be noise here.
            warnings.filterwarnings("ignore", message=_ISOMAP_GRAPH_WARNING)
            warnings.filterwarnings("ignore", category=SparseEfficiencyWarning)
            # A candidate that did not converge (FastICA on some folds) is
            # judged by its score like any other; the warning is shown only
            # when the chosen method is fitted.
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            scores, errors = cross_validate(candidates, estimator)
            self.scores_ = scores
            self.standard_errors_ = errors
            order = {method: rank for rank, method in enumerate([*methods, IDENTITY])}
            best = max(scores, key=lambda key: (scores[key], -key[1], -order[key[0]]))
            if self.selection == "smallest":
                # The one-standard-error rule: the fewest components scoring
                # within one standard error (over folds) of the best candidate.
                floor = scores[best] - errors[best] - 1e-12
                eligible = [key for key in scores if scores[key] >= floor]
                best = min(
                    eligible, key=lambda key: (key[1], -scores[key], order[key[0]])
                )
            self.confirm_scores_ = {}
            if self.confirm_with is not None and best[0] != IDENTITY:
                # The probe's reduction against every feature, scored by the
                # model that will learn from them: kept only where it does
                # at least as well as every feature for that model.
                every = (IDENTITY, n_features)
                confirmed, _ = cross_validate([best, every], self.confirm_with)
                self.confirm_scores_ = confirmed
                if confirmed[best] < confirmed[every]:
                    best = every
        return best

    # -- fit / transform ------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the scaler and the reduction (selecting it when ``method="auto"``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Sparse ``X`` needs a method that accepts it (see
            Notes).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
default=None
            Class labels, or regression targets (see ``estimator``).
            Required by ``method="auto"``, ignored otherwise.

        Returns
        -------
        self : DimensionalityReducer
            The fitted transformer.
        """
        if self.method in _NO_OUT_OF_SAMPLE:
            raise _no_out_of_sample_error(self.method)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        if self.method == "auto":
            if y is None:
                raise ValueError(
                    "method='auto' selects the reduction by the cross-validated "
                    "score of a probe estimator, so it needs the class labels "
                    "or regression targets: call fit(X, y), or choose an "
                    "explicit method such as 'pca'."
                )
            regression = self._searches_regression(y)
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse="csr",
                dtype=[np.float64, np.float32],
                multi_output=regression,
                y_numeric=regression,
            )
            if not regression:
                check_classification_targets(y)
            method, n_components = self._select(X, y, seed, regression=regression)
        else:
            X = validate_data(
                self, X, accept_sparse="csr", dtype=[np.float64, np.float32]
            )
            if issparse(X) and self.method in _DENSE_ONLY:
                raise _sparse_input_error(self.method)
            method = self.method
            n_components = resolve_size(
                self.n_components, X.shape[1], "n_components", at_most_features=True
            )
            self.scores_ = {}
            self.standard_errors_ = {}
            self.confirm_scores_ = {}
        rows = np.arange(X.shape[0])
        if (
            _is_quadratic(method, sparse=issparse(X))
            and self.max_samples is not None
            and X.shape[0] > self.max_samples
        ):
            rows = np.sort(
                np.random.default_rng(seed).choice(
                    X.shape[0], size=self.max_samples, replace=False
                )
            )
        self._check_n_components(method, n_components, X, rows.size)
        self.scaler_ = _make_scaler(issparse(X)).fit(X) if self.scale else None
        X_scaled = X if self.scaler_ is None else self.scaler_.transform(X)
        reducer = _make_reducer(method, n_components, seed, rows.size, issparse(X))
        if hasattr(reducer, "set_output"):
            reducer.set_output(transform="default")
        self.reducer_ = reducer.fit(X_scaled[rows])
        self.method_ = method
        self.n_components_ = n_components
        self.compression_ratio_ = X.shape[1] / n_components
        return self

    def _check_n_components(self, method, n_components, X, n_rows):
        """Refuse, in the user's terms, more components than ``method`` returns."""
        limit = _max_components(method, n_rows, X.shape[1])
        if n_components <= limit:
            return
        asked = f"n_components={self.n_components!r}"
        if not isinstance(self.n_components, Integral):
            asked += f" ({n_components} of {X.shape[1]} features)"
        rows = f"{n_rows} sample" + ("s" if n_rows != 1 else "")
        remedy = "Pass more samples"
        if n_rows < X.shape[0]:
            rows += f" (max_samples={self.max_samples} of the {X.shape[0]} rows)"
            remedy = "Raise max_samples"
        raise ValueError(
            f"{asked} is more than method={method!r} can return from {rows}: "
            f"at most {limit}, since {_max_components_reason(method)}"
            f". {remedy} or ask for fewer components."
        )

    def transform(self, X):
        """Scale and reduce ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to reduce. Sparse ``X`` needs a method that accepts it (see
            Notes) and, with ``scale=True``, a reducer fitted on sparse data.

        Returns
        -------
        X_reduced : {ndarray, sparse matrix} of shape (n_samples, `n_components_`)
            Reduced data, of ``X``'s dtype for float32 and float64 input
            (float64 otherwise). Dense, except when ``method_`` is
            ``"identity"`` and ``X`` is sparse: the scaled features as they are.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
        )
        if issparse(X):
            if self.method_ in _DENSE_ONLY:
                raise _sparse_input_error(self.method_)
            if isinstance(self.scaler_, MinMaxScaler):
                raise TypeError(
                    "This DimensionalityReducer was fitted on dense X, so it "
                    "min-max scales, which would make sparse X dense. Pass "
                    "X.toarray(), or fit it on sparse X (then it scales by the "
                    "maximum absolute value, which keeps zeros zero)."
                )
        dtype = X.dtype
        if self.scaler_ is not None:
            X = self.scaler_.transform(X)
        X_reduced = self.reducer_.transform(X)
        if issparse(X_reduced):
            return X_reduced.astype(dtype, copy=False)
        return np.asarray(X_reduced, dtype=dtype)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features: ``dr0``, ``dr1``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against the names seen in fit.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``n_components_`` names.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray([f"dr{i}" for i in range(self.n_components_)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.target_tags.required = self.method == "auto"
        methods = [self.method]
        if self.method == "auto":
            methods = self.candidate_methods or METHODS
        tags.input_tags.sparse = any(method in SPARSE_METHODS for method in methods)
        return tags

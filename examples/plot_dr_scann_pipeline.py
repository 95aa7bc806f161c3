"""
DR+SCANN: reduce the features, then synthesize
===============================================

DR+SCANN puts a dimensionality reduction in front of SCANN. Fewer input
features mean fewer input connections, and because the starting hidden layers
are given as multiples of the number of inputs, the whole starting network
shrinks by the same *feature compression ratio*. This example builds the
pipeline twice, once by hand with
:class:`~sklearn_scann.DimensionalityReducer` and once with
:func:`~sklearn_scann.make_dr_scann`, reads what the reducer chose, and
compares the results with SCANN on all the features.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# The data
# --------
# The 8 x 8 digits: 64 pixel features, 10 classes. A quarter of the samples
# is held out for testing. The synthesis settings are kept small so that the
# example runs in seconds; they are shared by every model below.
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_scann import DimensionalityReducer, SCANNClassifier, make_dr_scann

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
synthesis = {"n_rounds": 4, "epochs_per_step": 4, "random_state": 0}

# %%
# An explicit pipeline with automatic selection
# ---------------------------------------------
# With ``method="auto"`` the reducer scores every pair of a candidate method
# and a number of kept features by the cross-validated accuracy of a logistic
# regression on the reduced data, and keeps the best pair. Only four methods
# are tried here to keep the search short; the default tries eight. Kept
# features are given as fractions of the 64 inputs: 1/8, 1/4 and 1/2.
#
# The classifier's ``hidden_layer_sizes=(1.0,)`` (a float; scheme B's default
# is 100 neurons) means "one hidden layer as wide as the input", so it is resolved
# only once the reducer has decided how many features the classifier sees.
dr_scann = Pipeline(
    [
        (
            "dr",
            DimensionalityReducer(
                "auto",
                candidate_methods=[
                    "pca",
                    "factor_analysis",
                    "sparse_random_projection",
                    "binary_random_projection",
                ],
                candidate_components=(0.125, 0.25, 0.5),
                random_state=0,
            ),
        ),
        ("scann", SCANNClassifier("B", hidden_layer_sizes=(1.0,), **synthesis)),
    ]
)
dr_scann.fit(X_train, y_train)

reducer = dr_scann["dr"]
print(f"chosen method:              {reducer.method_}")
print(f"features kept:              {reducer.n_components_} of {X.shape[1]}")
print(f"feature compression ratio:  {reducer.compression_ratio_:.1f}")

# %%
# ``scores_`` holds the whole candidate table, keyed by
# ``(method, n_components)``. The winner is the highest mean score; ties
# would go to fewer components.
for (method, n_components), score in sorted(
    reducer.scores_.items(), key=lambda item: item[1], reverse=True
):
    print(f"{method:<26s} {n_components:>3d}  {score:.3f}")

# %%
# The same scores as a bar chart. PCA and factor analysis lose the least as
# fewer features are kept; the random projections lose much more, because
# they choose their directions without looking at the data.
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

methods = list(dict.fromkeys(method for method, _ in reducer.scores_))
sizes = sorted({n for _, n in reducer.scores_})
width = 0.8 / len(sizes)
fig, ax = plt.subplots(figsize=(7, 4))
for i, n_components in enumerate(sizes):
    ax.bar(
        np.arange(len(methods)) + (i - (len(sizes) - 1) / 2) * width,
        [reducer.scores_[(method, n_components)] for method in methods],
        width,
        label=f"{n_components} features",
    )
ax.set_xticks(
    np.arange(len(methods)), [m.replace("_", "\n") for m in methods], fontsize=8
)
ax.set_ylabel("cross-validated accuracy")
ax.set_ylim(0.4, 1.08)
ax.set_title("DimensionalityReducer(method='auto'): candidate scores")
ax.legend(loc="upper center", ncols=len(sizes))
fig.tight_layout()
plt.show()

# %%
# The starting network shrinks with the features
# ----------------------------------------------
# The first record of ``history_`` describes the starting network. Its hidden
# layer is as wide as the reduced input, not as the 64 original pixels, and
# ``baseline_connections_`` (the dense MLP of the starting sizes) falls
# roughly with the square of the feature compression ratio.
scann = dr_scann["scann"]
print(f"classifier inputs:          {scann.n_features_in_}")
print(f"starting hidden layers:     {scann.history_[0]['hidden_layer_sizes']}")
print(f"dense baseline connections: {scann.baseline_connections_}")
print(f"connections after SCANN:    {scann.n_connections_}")
print(f"test accuracy:              {dr_scann.score(X_test, y_test):.3f}")

# %%
# The shortcut: ``make_dr_scann``
# -------------------------------
# :func:`~sklearn_scann.make_dr_scann` builds the pipeline in one call, with
# steps named ``"dr"``, ``"standardize"`` (the reduced features rescaled to
# zero mean and unit variance, the scale the network trains best on) and
# ``"scann"``. Its default search is set up for speed and safety: PCA, kernel
# PCA and two random projections keeping a quarter or half of the features,
# against all of them as they are, scored by a nearest-neighbour probe; the
# best-scoring candidate is kept. Its hidden layer
# keeps SCANN's default width (100) unless float sizes are given, so here the
# reduction shrinks the input block of the starting network. Extra keyword
# arguments go to :class:`~sklearn_scann.SCANNClassifier`, reducer settings
# to ``reducer_params``.
auto_scann = make_dr_scann(**synthesis)
auto_scann.fit(X_train, y_train)
auto_classifier = auto_scann["scann"]
print(f"chosen reduction:           {auto_scann['dr'].method_}")
print(f"features kept:              {auto_scann['dr'].n_components_}")
start = auto_classifier.history_[0]
print(f"starting hidden layers:     {start['hidden_layer_sizes']}")
print(f"starting connections:       {start['n_connections']}")
print(f"kept step:                  {auto_classifier.best_step_}")
print(f"connections after SCANN:    {auto_classifier.n_connections_}")
print(f"test accuracy:              {auto_scann.score(X_test, y_test):.3f}")

# %%
# Against SCANN on all the features
# ---------------------------------
# For reference, SCANN with the same settings on the 64 min-max scaled pixels.
# Its starting network has a 64-neuron hidden layer.
from matplotlib.ticker import NullFormatter  # noqa: E402

plain = make_pipeline(MinMaxScaler(), SCANNClassifier("B", **synthesis))
plain.fit(X_train, y_train)

models = {
    "SCANN, 64 features": plain,
    f"DR+SCANN, auto: {reducer.method_} {reducer.n_components_}": dr_scann,
    f"make_dr_scann: {auto_scann['dr'].method_} {auto_scann['dr'].n_components_}": (
        auto_scann
    ),
}
fig, ax = plt.subplots(figsize=(6, 4))
for label, model in models.items():
    connections = model[-1].n_connections_
    accuracy = model.score(X_test, y_test)
    print(f"{label:<30s} {connections:>5d} connections, accuracy {accuracy:.3f}")
    ax.scatter(connections, accuracy, s=60, label=label)
ax.set_xscale("log")
ax.xaxis.set_minor_formatter(NullFormatter())
# A range of ten points keeps differences of a sample or two in proportion.
ax.set_ylim(0.9, 1.0)
ax.set_xlabel("connections of the synthesized network (log scale)")
ax.set_ylabel("test accuracy")
ax.set_title("Digits: SCANN with and without dimensionality reduction")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()

# %%
# What moves these points: the reduction removes input connections before
# SCANN starts, and SCANN then prunes what the validation split says it can
# spare (one standard error of its accuracy). A reduction the data do not
# support costs accuracy that no network recovers later, which is why the
# default search keeps all features when the probe shows a loss. Remember
# also that the reduction itself (a scaler and a projection) costs some
# computation per sample that the connection count does not include.

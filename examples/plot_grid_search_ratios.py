"""
Tuning the growth and pruning ratios with GridSearchCV
======================================================

:class:`~sklearn_scann.SCANNClassifier` is an ordinary scikit-learn
estimator, so its synthesis parameters can be tuned with
:class:`~sklearn.model_selection.GridSearchCV`. This example searches a small
grid of ``grow_ratio`` (for scheme B, the fraction of the connections a round
pruned that its growth step brings back) and ``prune_ratio`` (the fraction of
active connections a pruning step starts by removing), and records both the
accuracy and the size of every candidate network.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# The search
# ----------
# The breast cancer data (569 samples, 30 features, 2 classes) keeps every fit
# short. The pipeline standardizes the features and runs scheme B (start
# dense, then alternate pruning and regrowth) for three rounds.
#
# ``scoring`` holds two metrics. Accuracy is the usual one; the second is a
# callable that ignores the data and returns the number of connections of the
# fitted network, so that ``cv_results_`` also says how large each candidate
# is. ``GridSearchCV`` takes every score as "greater is better", so the
# ranking it makes of the connections (``rank_test_connections``) is the wrong
# way round and is not used here. ``refit="accuracy"`` refits the candidate
# with the best mean accuracy on all the data.
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNClassifier

X, y = load_breast_cancer(return_X_y=True)
pipeline = make_pipeline(
    StandardScaler(),
    SCANNClassifier("B", n_rounds=3, epochs_per_step=4, random_state=0),
)
grow_ratios = [0.0, 0.05, 0.2]
prune_ratios = [0.25, 0.5, 0.75]
search = GridSearchCV(
    pipeline,
    param_grid={
        "scannclassifier__grow_ratio": grow_ratios,
        "scannclassifier__prune_ratio": prune_ratios,
    },
    scoring={
        "accuracy": "accuracy",
        "connections": lambda estimator, X, y: estimator[-1].n_connections_,
    },
    refit="accuracy",
    cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
)
search.fit(X, y)
print("best parameters:", search.best_params_)
print(f"best mean accuracy: {search.best_score_:.3f}")

# %%
# The results as two grids
# ------------------------
# ``cv_results_`` lists the candidates in the order of the parameter grid.
# Rather than rely on that order, every mean score is placed in a
# (grow ratio, prune ratio) matrix by its own parameter values.
import numpy as np  # noqa: E402

results = search.cv_results_
accuracy = np.zeros((len(grow_ratios), len(prune_ratios)))
connections = np.zeros_like(accuracy)
for grow, prune, acc, conn in zip(
    results["param_scannclassifier__grow_ratio"],
    results["param_scannclassifier__prune_ratio"],
    results["mean_test_accuracy"],
    results["mean_test_connections"],
    strict=True,
):
    row, col = grow_ratios.index(grow), prune_ratios.index(prune)
    accuracy[row, col] = acc
    connections[row, col] = conn

# %%
# Heat maps
# ---------
# Left: the mean cross-validated accuracy; right: the mean number of
# connections of the selected networks, on a log colour scale. Every cell is
# annotated with its value.
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402


def heat_map(ax, values, title, fmt, norm=None):
    image = ax.imshow(values, cmap="viridis", norm=norm, origin="lower")
    ax.set_xticks(range(len(prune_ratios)), prune_ratios)
    ax.set_yticks(range(len(grow_ratios)), grow_ratios)
    ax.set_xlabel("prune_ratio")
    ax.set_ylabel("grow_ratio")
    ax.set_title(title)
    middle = (values.min() + values.max()) / 2
    for (row, col), value in np.ndenumerate(values):
        ax.text(
            col,
            row,
            format(value, fmt),
            ha="center",
            va="center",
            color="black" if value > middle else "white",
        )
    return image


fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
fig.colorbar(heat_map(left, accuracy, "mean test accuracy", ".3f"), ax=left)
fig.colorbar(
    heat_map(right, connections, "mean connections", ".0f", norm=LogNorm()),
    ax=right,
)
fig.suptitle("SCANN scheme B on breast cancer, 3-fold cross-validation")
fig.tight_layout()
plt.show()

# %%
# What the grids say
# ------------------
# Look at the colour bar of the accuracy grid first: it spans about a point
# and a half. The spread between folds is of the same size, as the table below
# shows (mean and standard deviation over the three folds), so the search
# cannot really tell these candidates apart by accuracy.
#
# The connections vary far more, and not smoothly. Each round removes
# ``prune_ratio`` of the active connections and brings back ``grow_ratio`` of
# what it removed; a pruning step that costs more than the tolerance (one
# standard error of the validation accuracy) is undone and the next one
# prunes half as much. With only three rounds, a large ``prune_ratio`` gets
# furthest, and whether a fold's first deep cut survives its validation
# split decides whether it ends with hundreds of connections or a few dozen:
# the middle column shows one fold that kept far more than the other two.
print(f"{'grow':>5s} {'prune':>5s} {'accuracy':>13s}  connections per fold")
for index, params in enumerate(results["params"]):
    folds = [results[f"split{k}_test_connections"][index] for k in range(3)]
    print(
        f"{params['scannclassifier__grow_ratio']:>5.2f} "
        f"{params['scannclassifier__prune_ratio']:>5.2f} "
        f"{results['mean_test_accuracy'][index]:>6.3f} "
        f"± {results['std_test_accuracy'][index]:.3f}  "
        + ", ".join(f"{count:.0f}" for count in folds)
    )

# %%
# Choosing a small network instead
# --------------------------------
# Since accuracy barely separates the candidates, a better rule here is to
# take the candidate with the fewest mean connections among those whose mean
# accuracy is within one standard deviation of the best. It can be read off
# ``cv_results_`` directly; passed as ``refit`` (a callable that receives
# ``cv_results_`` and returns an index), the same function would make
# ``GridSearchCV`` refit that candidate instead.


def fewest_connections_within_one_std(cv_results):
    """Index of the smallest candidate within one std of the best accuracy."""
    accuracy = cv_results["mean_test_accuracy"]
    best = np.argmax(accuracy)
    floor = accuracy[best] - cv_results["std_test_accuracy"][best]
    candidates = np.flatnonzero(accuracy >= floor)
    return candidates[np.argmin(cv_results["mean_test_connections"][candidates])]


chosen = fewest_connections_within_one_std(results)
print("chosen parameters:", results["params"][chosen])
print(
    f"mean accuracy {results['mean_test_accuracy'][chosen]:.3f}, "
    f"mean connections {results['mean_test_connections'][chosen]:.0f} "
    f"(most accurate: {results['mean_test_connections'][search.best_index_]:.0f})"
)

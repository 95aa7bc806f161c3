"""
Schemes A, B and C compared
===========================

SCANN has three synthesis schemes. Scheme A is constructive: it starts from a
small, sparse network that may skip layers, and every round grows
connections, grows neurons and prunes. Scheme B is destructive: it starts
from a network with every allowed connection, skip connections included, and
every round prunes and then regrows a few connections. Scheme C does the same
as B on an ordinary multilayer perceptron, with connections between adjacent
layers only. This example runs all three on the same data and compares their
accuracy and size with a dense
:class:`~sklearn.neural_network.MLPClassifier`.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data and models
# ---------------
# The digits data, min-max scaled by the constant 16 (the largest pixel
# value). Every scheme uses its own default starting network and ratios and
# the same small budget of five rounds. The dense reference has one hidden
# layer of 64 neurons, the starting size of schemes B and C.
import time

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from sklearn_scann import SCANNClassifier

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

models, fit_seconds = {}, {}
for scheme in ("A", "B", "C"):
    start = time.perf_counter()
    model = SCANNClassifier(scheme, n_rounds=5, epochs_per_step=4, random_state=0)
    models[scheme] = model.fit(X_train, y_train)
    fit_seconds[scheme] = time.perf_counter() - start

mlp = MLPClassifier(hidden_layer_sizes=(64,), max_iter=400, random_state=0)
mlp.fit(X_train, y_train)
# The dense MLP's connections are all the entries of its weight matrices.
mlp_connections = sum(weights.size for weights in mlp.coefs_)

# %%
# A table of the results
# ----------------------
# For every scheme: held-out accuracy, connections, how many of them skip a
# layer, the hidden layer sizes of the kept network and the fit time. The
# "start" column is the number of connections of the starting network, from
# the first record of ``history_``.
print(
    f"{'model':<8s} {'accuracy':>8s} {'start':>6s} {'connections':>11s} "
    f"{'skips':>5s} {'hidden':>8s} {'seconds':>7s}"
)
for scheme, model in models.items():
    print(
        f"{'SCANN ' + scheme:<8s} {model.score(X_test, y_test):>8.3f} "
        f"{model.history_[0]['n_connections']:>6d} {model.n_connections_:>11d} "
        f"{model.n_skip_connections_:>5d} "
        f"{str(model.topology_.layer_sizes[1:-1]):>8s} {fit_seconds[scheme]:>7.1f}"
    )
print(
    f"{'MLP':<8s} {mlp.score(X_test, y_test):>8.3f} {'':>6s} "
    f"{mlp_connections:>11d} {0:>5d} {str(mlp.hidden_layer_sizes):>8s}"
)

# %%
# Accuracy against connections
# ----------------------------
# Left: the path each scheme took during synthesis, the connections and the
# *validation* accuracy at every step, from the starting network (open
# circle) to the last step; the filled marker is the step that was kept.
# Right: the kept networks and the dense MLP, placed by their connections and
# their accuracy on the held-out test set. Both horizontal axes are
# logarithmic.
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

colors = {"A": "tab:blue", "B": "tab:orange", "C": "tab:green"}
fig, (path_ax, final_ax) = plt.subplots(1, 2, figsize=(11, 4.5))
for scheme, model in models.items():
    connections = [h["n_connections"] for h in model.history_]
    scores = [h["validation_score"] for h in model.history_]
    path_ax.plot(connections, scores, color=colors[scheme], marker=".", lw=1)
    path_ax.scatter(
        connections[0], scores[0], facecolors="white", edgecolors=colors[scheme], s=60
    )
    path_ax.scatter(
        connections[model.best_step_],
        scores[model.best_step_],
        color=colors[scheme],
        edgecolors="black",
        s=80,
        label=f"scheme {scheme}",
        zorder=3,
    )
    final_ax.scatter(
        model.n_connections_,
        model.score(X_test, y_test),
        color=colors[scheme],
        edgecolors="black",
        s=90,
        label=f"scheme {scheme}",
    )
final_ax.scatter(
    mlp_connections,
    mlp.score(X_test, y_test),
    marker="*",
    s=250,
    color="gray",
    edgecolors="black",
    label="dense MLP (64)",
)
path_ax.set_ylabel("validation accuracy")
path_ax.set_title("synthesis paths (validation split)")
final_ax.set_ylabel("test accuracy")
final_ax.set_title("kept networks (test set)")
# A range of ten points keeps differences of a sample or two in proportion.
final_ax.set_ylim(0.9, 1.0)
for ax in (path_ax, final_ax):
    ax.set_xscale("log")
    ax.set_xticks([200, 500, 1000, 2000, 5000], ["200", "500", "1000", "2000", "5000"])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("connections (log scale)")
    ax.legend(loc="lower right")
fig.suptitle("Digits: SCANN schemes A, B and C")
fig.tight_layout()
plt.show()

# %%
# Reading the figure
# ------------------
# Schemes B and C walk leftwards from their dense start: a pruning step
# removes 70% (B) or half (C) of the connections, and the regrowth that
# follows adds back a fifth of what it removed, chosen by the loss gradient. A
# pruning step that costs more than the tolerance (one standard error of the
# validation accuracy) is undone, stays in the history, and the next one
# prunes half as much; once pruning settles the synthesis stops. The selection
# rule (``selection="smallest"``: the fewest connections within the tolerance
# of the best validation score) then picks the step to keep. Scheme A walks
# the other way: it starts from a sparse seed with a narrow hidden layer and
# grows, with a pruning step at the end of every round.
#
# On the right, in this run schemes B and C are at least as accurate as the
# dense MLP with fewer connections, and scheme A keeps the smallest network
# at about two points less accuracy: its seed is far less accurate and this
# short budget leaves it still growing. With 450 test samples one sample is
# worth 0.2 points, and with this short budget the results also depend on the
# settings: more rounds, or other ratios, move both axes (see the grid search
# example).
# Schemes A and B use skip connections, which scheme C does not allow; the
# table above shows how many of the kept connections skip a layer.

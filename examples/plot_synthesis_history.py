"""
Reading the synthesis history and the cost of a network
=======================================================

A fitted :class:`~sklearn_scann.SCANNClassifier` keeps a record of every
synthesis step in ``history_`` and the index of the step it kept in
``best_step_``. This example plots that history with
:func:`~sklearn_scann.plot_history`, reads the records directly, draws the
kept network with :func:`~sklearn_scann.plot_topology`, and lists what one
inference of it costs.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# A small network for the wine data
# ---------------------------------
# The wine data has 13 features and 3 classes. Scheme A starts small and
# sparse and every round grows connections, grows neurons and prunes. The
# starting network here has two hidden layers, as wide as the input and half
# as wide (float sizes are multiples of the number of features), and each
# neuron-growth step adds two neurons per hidden layer.
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNClassifier

X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

clf = SCANNClassifier(
    "A",
    hidden_layer_sizes=(1.0, 0.5),
    neuron_growth=2,
    n_rounds=5,
    epochs_per_step=5,
    random_state=0,
)
clf.fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# The history at a glance
# -----------------------
# :func:`~sklearn_scann.plot_history` draws the connections at every step
# (left axis, log scale) and the validation accuracy (right axis), with a
# dashed line at the step that was kept. The connections climb at every
# growth step and fall at every pruning step: the saw-tooth of scheme A.
import matplotlib.pyplot as plt  # noqa: E402

from sklearn_scann import plot_history, plot_topology  # noqa: E402

ax = plot_history(clf)
ax.figure.tight_layout()
plt.show()

# %%
# The records themselves
# ----------------------
# ``history_`` is a list of plain dictionaries, one per step. Step 0 is the
# trained starting network; every later step is one structural operation
# followed by ``epochs`` epochs of training. ``hidden_layer_sizes`` changes
# when neurons are split or when pruning leaves a neuron without inputs or
# outputs, which is then removed. ``train_loss`` is measured on the training
# part, ``validation_score`` (accuracy) on the held-out fifth of the training
# data, and ``seconds`` is the time the step took.
print(
    f"{'step':>4s} {'round':>5s} {'operation':<18s} {'epochs':>6s} "
    f"{'conn.':>5s} {'hidden':>8s} {'loss':>6s} {'valid.':>6s} {'s':>5s}"
)
for record in clf.history_:
    marker = "  <- kept" if record["step"] == clf.best_step_ else ""
    print(
        f"{record['step']:>4d} {record['round']:>5d} {record['operation']:<18s} "
        f"{record['epochs']:>6d} {record['n_connections']:>5d} "
        f"{str(record['hidden_layer_sizes']):>8s} {record['train_loss']:>6.3f} "
        f"{record['validation_score']:>6.3f} {record['seconds']:>5.2f}{marker}"
    )

# %%
# Why that step?
# --------------
# With the default ``selection="smallest"``, the kept step is the one with the
# fewest connections among the steps whose validation score is within the
# tolerance of the best score (ties go to the lower validation loss). The
# default ``tolerance="auto"`` is one standard error of the best score on the
# validation rows, and at least one row's worth. The rule is easy to check by
# hand:
import numpy as np  # noqa: E402

n_valid = int(np.ceil(clf.validation_fraction * len(X_train)))
best_score = max(record["validation_score"] for record in clf.history_)
tolerance = max(np.sqrt(best_score * (1 - best_score) / n_valid), 1 / n_valid)
eligible = [
    record
    for record in clf.history_
    if record["validation_score"] >= best_score - tolerance - 1e-12
]
smallest = min(
    eligible, key=lambda record: (record["n_connections"], record["validation_loss"])
)
print(f"tolerance:              {tolerance:.3f} ({n_valid} validation rows)")
print(f"best validation score:  {best_score:.3f}")
print(f"steps within tolerance: {[record['step'] for record in eligible]}")
print(f"fewest connections:     step {smallest['step']}")
print(f"best_step_:             {clf.best_step_}")

# %%
# A validation split of a fifth of 133 training samples holds only 27 samples,
# so one sample moves the score by almost 4 points and many steps tie at the
# top. ``selection="best"`` (the highest score, ties going to the lower
# validation loss) or ``"last"`` keep another step; a larger ``tolerance``
# trades more accuracy for size.
#
# The kept network
# ----------------
# :func:`~sklearn_scann.plot_topology` draws the neurons layer by layer.
# Connections between adjacent layers are blue, connections that skip a layer
# orange, and the line width grows with the magnitude of the weight. The
# widest layer fills the height and narrower ones are drawn proportionally
# shorter.
ax = plot_topology(clf)
ax.figure.tight_layout()
plt.show()

# %%
# What one inference costs
# ------------------------
# The fitted attributes give the cost of the kept network:
#
# - ``n_connections_``: its weights, one multiply-accumulate each
#   (``macs_``), or two floating-point operations (``flops_``);
# - ``n_parameters_``: the weights plus the biases of the hidden and output
#   neurons;
# - ``model_bytes_``: the bytes of the stored sparse blocks (values, column
#   indices and row pointers) and the biases;
# - ``energy_pj_``: an estimate of the energy of one inference from
#   :class:`~sklearn_scann.CostModel` (45 nm figures by default);
# - ``compression_ratio_``: ``baseline_connections_`` (a dense MLP with the
#   *starting* layer sizes) over ``n_connections_``.
for name in (
    "n_connections_",
    "n_skip_connections_",
    "n_parameters_",
    "macs_",
    "flops_",
    "model_bytes_",
    "energy_pj_",
    "baseline_connections_",
    "compression_ratio_",
):
    value = getattr(clf, name)
    text = f"{value:,.1f}" if isinstance(value, float) else f"{value:,d}"
    print(f"{name:<22s} {text:>10s}")

# %%
# Scheme A grows neurons, so the kept network can have wider hidden layers
# than the starting one; ``compression_ratio_`` still compares with the dense
# MLP of the starting sizes, which is the smaller of the two.
#
# ``summary()`` prints all of this as one table, together with the
# connections of every block between two layers.
table = clf.summary()

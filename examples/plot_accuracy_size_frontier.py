"""
Taking a network at a budget from the accuracy-size frontier
============================================================

Every synthesis step of :class:`~sklearn_scann.SCANNClassifier` leaves a
trained network with a validation score and a cost. The fitted model keeps
the ones on the accuracy-size frontier, so a network for a tighter budget is
one call away, without refitting: :meth:`~sklearn_scann.SCANNClassifier.select`.
:func:`~sklearn_scann.plot_frontier` draws every step against its size.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Synthesize once
# ---------------
# Scheme B on the breast cancer data: 30 features, 2 classes. The adaptive
# schedule prunes 70% of the connections per step until a step costs more
# than the tolerance, undoes that step and halves the ratio.
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

clf = SCANNClassifier(n_rounds=8, random_state=0).fit(X_train, y_train)
print(
    f"kept step {clf.best_step_}: {clf.n_connections_} connections, "
    f"test accuracy {clf.score(X_test, y_test):.3f}"
)
for point in clf.frontier_:
    print(
        f"step {point['step']:2d}: {point['n_connections']:5d} connections, "
        f"{point['energy_pj']:8.1f} pJ, validation {point['validation_score']:.3f}"
    )

# %%
# The frontier
# ------------
# Filled points are steps the synthesis kept going from, hollow ones steps it
# undid; the line joins the frontier and the circle marks the network the
# model holds.
import matplotlib.pyplot as plt  # noqa: E402

from sklearn_scann import plot_frontier  # noqa: E402

ax = plot_frontier(clf)
ax.figure.tight_layout()
plt.show()

# %%
# A network for another budget
# ----------------------------
# ``select`` returns a fitted copy holding the best frontier network (by
# validation score) within the budget; the original model is unchanged. The
# default selection kept the smallest network within one standard error of
# the best validation score; a budget as large as the largest frontier
# network takes the best-scoring one instead, and the smallest budget the
# smallest network.
for budget in (clf.frontier_[0]["n_connections"], clf.frontier_[-1]["n_connections"]):
    chosen = clf.select(max_connections=budget)
    print(
        f"within {budget:3d} connections: step {chosen.best_step_}, "
        f"{chosen.n_connections_} connections, "
        f"test accuracy {chosen.score(X_test, y_test):.3f}"
    )

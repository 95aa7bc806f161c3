"""
Quick start: a compact network for the digits data
===================================================

Fit :class:`sklearn_scann.SCANNClassifier` on scikit-learn's digits, compare
it with a dense :class:`~sklearn.neural_network.MLPClassifier`, and look at
how the number of connections changed during synthesis.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data and models
# ---------------
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.2, stratify=y, random_state=0
)
scann = make_pipeline(StandardScaler(), SCANNClassifier("B", random_state=0))
mlp = make_pipeline(StandardScaler(), MLPClassifier(random_state=0))
scann.fit(X_train, y_train)
mlp.fit(X_train, y_train)

print(
    f"SCANN accuracy {scann.score(X_test, y_test):.3f}, "
    f"{scann[-1].n_connections_} connections"
)
print(
    f"MLP   accuracy {mlp.score(X_test, y_test):.3f}, {64 * 100 + 100 * 10} connections"
)

# %%
# The synthesis history
# ---------------------
# One record per step: the operation, the connections left and the
# validation score. The kept step is ``best_step_``.
import matplotlib.pyplot as plt  # noqa: E402

history = scann[-1].history_
fig, ax = plt.subplots()
ax.plot([h["n_connections"] for h in history], marker="o")
ax.set_xlabel("synthesis step")
ax.set_ylabel("connections")
ax.axvline(scann[-1].best_step_, color="gray", linestyle="--", label="kept")
ax2 = ax.twinx()
ax2.plot([h["validation_score"] for h in history], color="tab:orange")
ax2.set_ylabel("validation accuracy")
ax.legend()
plt.show()

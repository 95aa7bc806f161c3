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
# The digits are 8 x 8 images of handwritten digits: 64 pixel features and 10
# classes. Both models are fitted in a pipeline behind a
# :class:`~sklearn.preprocessing.StandardScaler`. ``SCANNClassifier`` uses
# scheme B with its default settings: it starts from a network with one
# hidden layer of 100 neurons and every allowed connection, skip connections
# from the inputs to the outputs included, and then alternates pruning and
# regrowing connections while it trains. The MLP keeps its
# scikit-learn defaults (one hidden layer of 100 neurons).
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
scann = scann.fit(X_train, y_train)
mlp = make_pipeline(StandardScaler(), MLPClassifier(random_state=0))
mlp = mlp.fit(X_train, y_train)

# %%
# Accuracy and connections
# ------------------------
# A connection is one weight between two neurons. The fitted SCANN network
# reports its count in ``n_connections_``; for the MLP it is the number of
# entries of its weight matrices.
scann_connections = scann[-1].n_connections_
mlp_connections = sum(weights.size for weights in mlp[-1].coefs_)
print(
    f"SCANN accuracy {scann.score(X_test, y_test):.3f}, "
    f"{scann_connections:>5,d} connections"
)
print(
    f"MLP   accuracy {mlp.score(X_test, y_test):.3f}, "
    f"{mlp_connections:>5,d} connections"
)
print(f"the MLP has {mlp_connections / scann_connections:.0f} times more connections")

# %%
# On this split the two are about equally accurate, and SCANN needs a small
# fraction of the connections. ``summary()`` describes the kept network: its
# layers, the connections between every pair of layers and what one
# inference costs.
table = scann[-1].summary()

# %%
# The synthesis history
# ---------------------
# ``history_`` holds one record per synthesis step: the operation, the
# connections left and the score on a validation split held out from the
# training data. :func:`~sklearn_scann.plot_history` draws it; the dashed
# line marks ``best_step_``, the step that was kept: by default the one with
# the fewest connections whose validation score is within one standard error
# of the best.
import matplotlib.pyplot as plt  # noqa: E402

from sklearn_scann import plot_history  # noqa: E402

ax = plot_history(scann)
ax.figure.tight_layout()
plt.show()

"""
Compact networks for regression: R² against connections
========================================================

:class:`~sklearn_scann.SCANNRegressor` runs the same synthesis as the
classifier on a regression target: it trains on the squared error of the
standardised targets, scores every step by R² on a validation split and
keeps the smallest network within one standard error of the best. Here it
meets ``MLPRegressor(100)`` and narrower dense networks on Friedman's
first problem (a non-linear function of 5 of 10 features, plus noise), with
*raw* targets in the thousands.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# The data and the peers
# ----------------------
# ``MLPRegressor`` needs its targets standardised (on raw targets it does not
# converge), so it goes inside a ``TransformedTargetRegressor``;
# ``SCANNRegressor`` standardises them itself and folds the scaling into its
# output layer.
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

from sklearn_scann import SCANNRegressor

X, y = make_friedman1(n_samples=1500, noise=1.0, random_state=0)
y = 2000.0 + 100.0 * y  # raw units, far from a unit scale
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)


def dense(width):
    mlp = MLPRegressor(hidden_layer_sizes=(width,), max_iter=1000, random_state=0)
    return TransformedTargetRegressor(mlp, transformer=StandardScaler())


peers = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for width in (2, 4, 8, 16, 100):
        model = dense(width).fit(X_train, y_train)
        connections = sum(c.size for c in model.regressor_.coefs_)
        peers[width] = (connections, model.score(X_test, y_test))
        print(
            f"MLPRegressor(({width},)): {connections:5d} connections, "
            f"test R² {peers[width][1]:.3f}"
        )

# %%
# SCANNRegressor
# --------------
reg = SCANNRegressor(random_state=0).fit(X_train, y_train)
print(
    f"SCANNRegressor: {reg.n_connections_} connections "
    f"({peers[100][0] / reg.n_connections_:.0f}x fewer than MLPRegressor(100)), "
    f"test R² {reg.score(X_test, y_test):.3f}"
)
print(reg.predict(X_test[:3]).round(1), y_test[:3].round(1))

# %%
# R² against connections
# ----------------------
# Every network on the fitted model's frontier (:meth:`select` returns any of
# them without refitting) against the dense networks.
import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(6, 4))
frontier = [
    (p["n_connections"], reg.select(max_connections=p["n_connections"]))
    for p in reg.frontier_
]
ax.plot(
    [c for c, _ in frontier],
    [m.score(X_test, y_test) for _, m in frontier],
    "o-",
    label="SCANNRegressor frontier",
)
ax.plot(
    [c for c, _ in peers.values()],
    [r2 for _, r2 in peers.values()],
    "s--",
    label="dense MLPRegressor (2 to 100 hidden)",
)
ax.set_xscale("log")
ax.set_xlabel("connections")
ax.set_ylabel("test R²")
ax.set_ylim(max(0.0, min(r2 for _, r2 in peers.values()) - 0.05), 1.0)
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()

# %%
# Several targets, one network
# ----------------------------
# A 2-D ``y`` trains one network that predicts every column.
Y_train = np.column_stack([y_train, np.sqrt(y_train)])
Y_test = np.column_stack([y_test, np.sqrt(y_test)])
multi = SCANNRegressor(random_state=0).fit(X_train, Y_train)
print(
    f"two targets, one network of {multi.n_connections_} connections: "
    f"test R² {multi.score(X_test, Y_test):.3f}"
)

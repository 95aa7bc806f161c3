"""Pictures of a fitted model: its synthesis history and its topology (matplotlib)."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import numpy as np
from sklearn.base import is_regressor
from sklearn.utils.validation import check_is_fitted

__all__ = ["plot_frontier", "plot_history", "plot_topology"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plotting needs matplotlib: pip install 'sklearn-scann[plot]'"
        ) from exc
    return plt


def plot_history(model, ax=None):
    """Connections and validation score at every synthesis step.

    Parameters
    ----------
    model : SCANNClassifier or SCANNRegressor
        A fitted model (or a Pipeline ending in one).
    ax : matplotlib Axes, default=None
        Where to draw; a new figure is made when None.

    Returns
    -------
    ax : matplotlib Axes
        The axes holding the connection counts; the validation score is on
        its twin (``ax.right_ax``), labelled "validation R²" for a regressor
        scored by its default R².

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_scann import SCANNClassifier, plot_history
    >>> X, y = load_iris(return_X_y=True)
    >>> model = SCANNClassifier(n_rounds=1, epochs_per_step=2, random_state=0)
    >>> ax = plot_history(model.fit(X, y))
    >>> ax.get_ylabel()
    'connections'
    """
    model = _final_step(model)
    check_is_fitted(model)
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    history = model.history_
    steps = [h["step"] for h in history]
    ax.plot(
        steps,
        [h["n_connections"] for h in history],
        marker="o",
        color="tab:blue",
        label="connections",
    )
    ax.set_xlabel("synthesis step")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("connections")
    ax.set_yscale("log")
    ax.axvline(
        history[model.best_step_]["step"],
        color="gray",
        linestyle="--",
        label="kept step",
    )
    right = ax.twinx()
    right.plot(
        steps,
        [h["validation_score"] for h in history],
        marker=".",
        color="tab:orange",
        label=f"validation {_score_name(model, 'score')}",
    )
    right.set_ylabel(f"validation {_score_name(model, 'score')}")
    handles = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    ax.legend(handles[0] + more[0], handles[1] + more[1], loc="best")
    ax.set_title(f"SCANN scheme {model.scheme}: synthesis history")
    ax.right_ax = right
    return ax


_FRONTIER_AXES = {
    "connections": ("n_connections", "connections"),
    "macs": ("macs", "multiply-accumulates per sample"),
    "energy": ("energy_pj", "energy per inference (pJ)"),
}


def plot_frontier(model, x="connections", ax=None):
    """Validation score against network size at every synthesis step.

    Every step's network is a point; the accuracy-size frontier (the
    networks :meth:`SCANNClassifier.select` chooses from) is joined by a
    line, steps the adaptive schedule undid are hollow, and the network the
    model holds is circled. A regressor's score is R² (unless it was given
    another ``scoring``), and the axis says so.

    Parameters
    ----------
    model : SCANNClassifier or SCANNRegressor
        A fitted model (or a Pipeline ending in one).
    x : {"connections", "macs", "energy"}, default="connections"
        Size measure on the horizontal axis (log scale).
    ax : matplotlib Axes, default=None
        Where to draw; a new figure is made when None.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_scann import SCANNClassifier, plot_frontier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = SCANNClassifier(n_rounds=2, epochs_per_step=2, random_state=0)
    >>> ax = plot_frontier(model.fit(X, y), x="energy")
    >>> ax.get_xlabel()
    'energy per inference (pJ)'
    """
    model = _final_step(model)
    check_is_fitted(model)
    if x not in _FRONTIER_AXES:
        raise ValueError(f"x must be one of {sorted(_FRONTIER_AXES)}, got {x!r}")
    key, label = _FRONTIER_AXES[x]
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    history = model.history_
    if any(key not in h for h in history):
        raise ValueError(f"this model's history does not record {key!r}")
    sizes = np.array([h[key] for h in history], dtype=float)
    scores = np.array([h["validation_score"] for h in history], dtype=float)
    kept = np.array([h.get("accepted", True) for h in history])
    ax.scatter(sizes[kept], scores[kept], color="tab:blue", label="step", zorder=2)
    if (~kept).any():
        ax.scatter(
            sizes[~kept],
            scores[~kept],
            facecolors="none",
            edgecolors="tab:blue",
            label="undone step",
            zorder=2,
        )
    front = sorted(p["step"] for p in model.frontier_)
    front = sorted(front, key=lambda step: sizes[step])
    ax.plot(
        sizes[front],
        scores[front],
        color="tab:orange",
        drawstyle="steps-post",
        label="frontier",
        zorder=1,
    )
    chosen = model.best_step_
    ax.scatter(
        [sizes[chosen]],
        [scores[chosen]],
        s=160,
        facecolors="none",
        edgecolors="black",
        linewidths=1.5,
        label="chosen",
        zorder=3,
    )
    ax.set_xscale("log")
    ax.set_xlabel(label)
    ax.set_ylabel(f"validation {_score_name(model, 'score')}")
    score = _score_name(model, "score" if is_regressor(model) else "accuracy")
    ax.set_title(f"SCANN scheme {model.scheme}: {score} against size")
    ax.legend(loc="lower right")
    return ax


def plot_topology(model, ax=None, max_neurons_per_layer=64):
    """The network drawn as layers of neurons with their connections.

    Connections between adjacent layers are drawn in blue, skip connections
    in orange, with line width growing with ``|weight|``.

    Parameters
    ----------
    model : SCANNClassifier or SCANNRegressor
        A fitted model (or a Pipeline ending in one).
    ax : matplotlib Axes, default=None
        Where to draw; a new figure is made when None.
    max_neurons_per_layer : int, default=64
        The widest layer fills the height, unless it has more neurons than
        this: then layers of this many neurons do, and wider ones are drawn
        with their neurons packed closer.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_scann import SCANNClassifier, plot_topology
    >>> X, y = load_iris(return_X_y=True)
    >>> model = SCANNClassifier(n_rounds=1, epochs_per_step=2, random_state=0)
    >>> ax = plot_topology(model.fit(X, y))
    >>> len(ax.collections) >= 2
    True
    """
    from matplotlib.collections import LineCollection

    model = _final_step(model)
    check_is_fitted(model)
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    top = model.topology_
    layer = top.layer_of
    position = np.zeros(top.n_neurons)
    widest = max(top.layer_sizes)
    for index, size in enumerate(top.layer_sizes):
        neurons = top.layer_neurons(index)
        # Spacing is set by the widest layer drawn, capped for huge layers.
        span = min(1.0, size / min(widest, max_neurons_per_layer))
        position[neurons] = (
            np.linspace(-span, span, size) if size > 1 else np.zeros(size)
        )
    src, dst = top.edges()
    weights = np.abs(model.network_.to_arrays()["weights"])
    width = 0.3 + 2.0 * weights / max(weights.max(initial=0.0), 1e-12)
    skip = layer[dst] - layer[src] > 1
    for chosen, color, label in (
        (~skip, "tab:blue", "adjacent"),
        (skip, "tab:orange", "skip"),
    ):
        segments = np.stack(
            [
                np.column_stack([layer[src[chosen]], position[src[chosen]]]),
                np.column_stack([layer[dst[chosen]], position[dst[chosen]]]),
            ],
            axis=1,
        )
        ax.add_collection(
            LineCollection(
                segments,
                # The legend takes its line width from the first connection.
                linewidths=width[chosen] if chosen.any() else 0.3,
                colors=color,
                alpha=0.5,
                label=f"{label} ({int(chosen.sum())})",
            )
        )
    ax.scatter(layer, position, s=12, color="black", zorder=3)
    names = top.layer_names()
    ax.set_xticks(range(top.n_layers))
    ax.set_xticklabels(
        [f"{n}\n{s}" for n, s in zip(names, top.layer_sizes, strict=True)]
    )
    ax.set_yticks([])
    ax.set_xlim(-0.3, top.n_layers - 0.7)
    ax.set_ylim(-1.1, 1.1)
    ax.legend(loc="upper right")
    ax.set_title(f"{top.n_connections} connections")
    return ax


def _score_name(model, default: str) -> str:
    """What the history's ``validation_score`` measures: R² for a regressor
    with the default scoring, else ``default``."""
    return "R²" if is_regressor(model) and model.scoring is None else default


def _final_step(model):
    """The estimator itself, or the last step of a Pipeline."""
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model

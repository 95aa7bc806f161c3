"""Schemes A, B and C as data, and the synthesis loop that runs them."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ._operations import grow_connections, grow_neurons, prune_connections
from ._topology import Topology

__all__ = [
    "SCHEMES",
    "Checkpoint",
    "Scheme",
    "frontier_steps",
    "initial_network",
    "select_checkpoint",
    "synthesize",
]


@dataclass(frozen=True)
class Scheme:
    """A synthesis scheme: a starting point and the steps of one round.

    Parameters
    ----------
    name : str
    skip : bool
        Whether connections may skip layers (arbitrary feed-forward) or only
        join adjacent layers (a sparse MLP).
    hidden_layer_sizes : tuple of int or float
        Default starting hidden layers (an int is a number of neurons, a
        float a multiple of the number of input features).
    density : float
        Default fraction of the allowed connections active at the start.
    steps : tuple of str
        The operations of one round, each followed by training.
    grow_ratio, prune_ratio : float
        Default fractions grown and pruned (of the active connections) per
        step; a scheme that prunes first regrows a fraction of what it
        pruned, so that every round shrinks the network.
    """

    name: str
    skip: bool
    hidden_layer_sizes: tuple[float, ...]
    density: float
    steps: tuple[str, ...]
    grow_ratio: float
    prune_ratio: float


SCHEMES = {
    # Constructive: a small sparse seed that grows, then is trimmed.
    "A": Scheme(
        "A",
        skip=True,
        hidden_layer_sizes=(32,),
        density=0.1,
        steps=("grow_connections", "grow_neurons", "prune_connections"),
        grow_ratio=0.3,
        prune_ratio=0.3,
    ),
    # Destructive over arbitrary feed-forward nets: all skips present at start.
    "B": Scheme(
        "B",
        skip=True,
        hidden_layer_sizes=(100,),
        density=1.0,
        steps=("prune_connections", "grow_connections"),
        grow_ratio=0.2,
        prune_ratio=0.7,
    ),
    # Destructive over an MLP: dense-sparse-dense on adjacent layers only.
    "C": Scheme(
        "C",
        skip=False,
        hidden_layer_sizes=(100,),
        density=1.0,
        steps=("prune_connections", "grow_connections"),
        grow_ratio=0.2,
        prune_ratio=0.5,
    ),
}


def initial_network(layer_sizes, *, skip, density, rng: np.random.Generator):
    """Starting topology and parameters.

    Connections are drawn at random with the given density (every allowed
    connection when ``density == 1``). Weights are drawn from
    ``N(0, 2 / fan_in)`` with each neuron's *active* fan-in (He
    initialisation that stays well scaled for sparse seeds); biases start
    at 0.
    """
    if density >= 1.0:
        topology = Topology.dense(layer_sizes, skip=skip)
    else:
        topology = Topology.random(layer_sizes, density, rng, skip=skip)
    _, dst = topology.edges()
    fan_in = np.maximum(topology.fan_in(), 1)
    weights = rng.normal(0.0, 1.0, dst.size) * np.sqrt(2.0 / fan_in[dst])
    biases = np.zeros(topology.n_neurons)
    return topology, weights, biases


@dataclass
class Checkpoint:
    """Structure and parameters after one synthesis step."""

    topology: Topology
    weights: np.ndarray
    biases: np.ndarray


# The operations that prune (and may regrow at once, ``joint_regrowth``).
_PRUNING = ("prune_connections", "prune_and_regrow")


def _as_function(tolerance):
    """A tolerance as a function of the best score (a number is constant)."""
    if callable(tolerance):
        return tolerance
    return lambda best: float(tolerance)


def _validation_losses(history) -> np.ndarray:
    """Every step's validation loss; a missing or non-finite one is +inf."""
    losses = np.array([h.get("validation_loss", np.nan) for h in history], float)
    return np.where(np.isfinite(losses), losses, np.inf)


def _against_gradient(topology: Topology, weights, candidate_dst, gradients):
    """Starting weights for grown connections: a small step against ``dL/dw``.

    Each candidate gets ``-sign(dL/dw)`` times a tenth of the median
    ``|w|`` of the active connections entering its layer, so that a grown
    connection starts where one step of descent would take it, at the
    layer's own scale.
    """
    weights = np.abs(np.asarray(weights, dtype=float))
    _, dst = topology.edges()
    layer_of = topology.layer_of
    scale = np.zeros(topology.n_layers)
    for layer in range(1, topology.n_layers):
        entering = weights[layer_of[dst] == layer]
        scale[layer] = 0.1 * np.median(entering) if entering.size else 0.0
    return -np.sign(gradients) * scale[layer_of[np.asarray(candidate_dst)]]


def _connections_per_target_layer(topology: Topology) -> np.ndarray:
    """Active connections entering each layer (index 0, the input layer: 0)."""
    _, dst = topology.edges()
    return np.bincount(topology.layer_of[dst], minlength=topology.n_layers)


def synthesize(
    scheme: Scheme,
    trainer,
    topology: Topology,
    weights,
    biases,
    *,
    evaluate: Callable[[], tuple[float, float, bool]],
    rng: np.random.Generator,
    n_rounds: int,
    epochs_per_step: int | Callable[[int], int],
    initial_epochs: int,
    grow_ratio: float,
    prune_ratio: float,
    neuron_growth: int,
    noise_std: float,
    tolerance,
    adaptive: bool = True,
    growth_criterion: str = "gradient",
    growth_init: str = "zero",
    growth_grace: bool = False,
    joint_regrowth: bool = False,
    initial_learning_rate: float | None = None,
    converge: Callable[[float | None], tuple[int, int]] | None = None,
    progress=None,
):
    """Run ``scheme`` for at most ``n_rounds`` rounds; return history and checkpoints.

    Step 0 trains the starting network for ``initial_epochs`` (its cosine
    cycle peaking at ``initial_learning_rate``; None: the trainer's
    learning rate); with ``converge``, a callable training the network at
    the constant rate it is given until it converges and returning the
    epochs it trained and the epochs the decay is then to take, that
    constant part comes before the decay. Every
    later step applies one operation of the scheme and trains
    ``epochs_per_step`` epochs (half as many, at least one, after a growth
    step); ``epochs_per_step`` is a number, or a function
    of the changed network's connections giving that number;
    ``evaluate()`` then returns the held-out ``(score, loss, one_class)``
    (``one_class``: the network predicts a single class for every
    held-out row) and the step is recorded with a checkpoint of its
    parameters.

    The pruning schedule is adaptive (``adaptive=True``): a pruning step
    whose score falls more than ``tolerance`` (a number, or a function of
    the best score giving one) below the best score so far, or that leaves
    a network predicting one class where the last accepted one did not,
    is undone (the network returns to its state before the step; the step
    stays in the history and among the checkpoints, marked
    ``accepted=False``) and the pruning ratio is halved. Once the ratio
    would remove no connection, or has been halved five times, the
    structure has settled and the loop stops. With ``adaptive=False`` every
    step is kept and all ``n_rounds`` rounds run.

    Connection growth activates, per target layer, ``grow_ratio`` times the
    connections the round's pruning step removed there (schemes that prune
    first: a round always shrinks the network) or ``grow_ratio`` times the
    active connections (scheme A, which grows first). A step that changes
    nothing (nothing to grow, nothing left to prune) is recorded with
    ``changed=False`` and not trained.

    With a :class:`~sklearn_scann._progress.Progress` (``progress``), a
    line is printed per step, with the time elapsed and an estimate of the
    time left.
    """
    history, checkpoints = [], []
    if joint_regrowth and scheme.steps == ("prune_connections", "grow_connections"):
        scheme = replace(scheme, steps=("prune_and_regrow",))
    prunes_first = scheme.steps[0] in _PRUNING
    tolerance_at = _as_function(tolerance)

    def record(step, round_, operation, epochs, loss, started, *, same_as=None):
        if same_as is None:
            score, validation_loss, one_class = evaluate()
            w, b = trainer.parameters()
        else:  # nothing changed: step ``same_as``'s network and scores
            score = history[same_as]["validation_score"]
            validation_loss = history[same_as]["validation_loss"]
            one_class = history[same_as]["one_class"]
            w, b = checkpoints[same_as].weights, checkpoints[same_as].biases
            loss = history[same_as]["train_loss"]
        checkpoints.append(Checkpoint(topology, w, b))
        entry = {
            "step": step,
            "round": round_,
            "operation": operation,
            "epochs": epochs,
            "n_connections": topology.n_connections,
            "hidden_layer_sizes": topology.hidden_layer_sizes,
            "train_loss": loss,
            "validation_score": score,
            "validation_loss": validation_loss,
            "one_class": one_class,
            "accepted": True,
            "changed": same_as is None,
            "prune_ratio": ratio,
            "seconds": time.perf_counter() - started,
        }
        history.append(entry)
        if progress is not None:
            steps_left = n_rounds * len(scheme.steps) - step
            progress.plan(steps_left * round_epochs // len(scheme.steps), "synthesis")
            progress.say(
                f"step {step:3d} round {round_:2d} "
                f"{operation:<17s} connections={entry['n_connections']:7d} "
                f"hidden={entry['hidden_layer_sizes']} loss={loss:.4f} "
                f"validation={score:.4f} (loss {validation_loss:.4f}) "
                f"({entry['seconds']:.2f} s)"
            )
        return score

    def grow(topology, weights, biases, counts):
        """Grow ``counts`` connections per target layer; also their keys."""
        if counts.sum() <= 0:
            return topology, weights, biases, np.zeros(0, dtype=np.int64)
        candidate_src, candidate_dst = topology.dormant_edges()
        if growth_criterion == "random":
            scores = rng.random(candidate_src.size)
        else:
            trainer.set_parameters(topology, weights, biases)
            scores, _ = trainer.structure_scores(candidate_src, candidate_dst)
        initial = 0.0
        if growth_init == "gradient" and growth_criterion != "random":
            initial = _against_gradient(topology, weights, candidate_dst, scores)
        before = topology.edge_keys() if growth_grace else None
        topology, weights, biases = grow_connections(
            topology,
            weights,
            biases,
            candidate_src,
            candidate_dst,
            scores,
            counts=counts,
            initial_weight=initial,
        )
        # The grown connections' keys are only needed for the grace period.
        keys = (
            np.setdiff1d(topology.edge_keys(), before)
            if growth_grace
            else np.zeros(0, dtype=np.int64)
        )
        return topology, weights, biases, keys

    # A growth step trains half as long as a pruning step: grown connections
    # start at 0 (or a small step down the gradient) and split neurons share
    # their outputs, so growth leaves what the network computes (nearly) as
    # it was and only the new parameters need training, where pruning
    # removes terms the network used and must recover. On the suite this
    # left accuracy and size as they were and cut fit time by a seventh.
    def epochs_after(operation, n_connections):
        epochs = (
            epochs_per_step(n_connections)
            if callable(epochs_per_step)
            else epochs_per_step
        )
        if operation in _PRUNING or epochs <= 0:
            return epochs
        return max(1, epochs // 2)

    ratio = float(prune_ratio)
    started = time.perf_counter()
    # Epochs of one round on the starting network, for the progress plan.
    round_epochs = sum(epochs_after(op, topology.n_connections) for op in scheme.steps)
    if progress is not None:
        progress.plan(initial_epochs + n_rounds * round_epochs, "start")
    trainer.set_parameters(topology, weights, biases)
    constant, decay = (
        (0, initial_epochs) if converge is None else converge(initial_learning_rate)
    )
    loss = trainer.train(
        decay, check_progress=True, peak_learning_rate=initial_learning_rate
    )
    best = record(0, 0, "initial", constant + decay, loss, started)
    # The network the loop continues from (the last accepted step).
    current = 0
    pruned = np.zeros(topology.n_layers, dtype=np.int64)
    grown = np.zeros(0, dtype=np.int64)  # keys of connections in their grace
    settled = prune_ratio <= 0

    step = 0
    for round_ in range(1, n_rounds + 1):
        if settled and step > 0:
            break
        for operation in scheme.steps:
            step += 1
            started = time.perf_counter()
            base = checkpoints[current]
            topology, weights, biases = base.topology, base.weights, base.biases
            if operation == "grow_connections" and grow_ratio > 0:
                if prunes_first:
                    counts = np.floor(grow_ratio * pruned + 0.5)
                else:
                    counts = np.floor(
                        grow_ratio * _connections_per_target_layer(topology) + 0.5
                    )
                topology, weights, biases, grown = grow(
                    topology, weights, biases, counts
                )
            elif operation == "grow_neurons" and neuron_growth > 0:
                trainer.set_parameters(topology, weights, biases)
                none = np.zeros(0, dtype=np.int64)
                _, activations = trainer.structure_scores(none, none)
                topology, weights, biases = grow_neurons(
                    topology,
                    weights,
                    biases,
                    activations,
                    neuron_growth,
                    rng,
                    noise_std=noise_std,
                )
            elif operation in _PRUNING and not settled:
                before = _connections_per_target_layer(topology)
                # A connection grown since the last accepted prune is spared
                # once (grace period), so it has one step to prove itself.
                spared = np.isin(topology.edge_keys(), grown) if grown.size else None
                topology, weights, biases = prune_connections(
                    topology, weights, biases, ratio, keep=spared
                )
                if topology.n_connections == base.topology.n_connections:
                    settled = True  # the ratio no longer removes anything
                elif operation == "prune_and_regrow" and grow_ratio > 0:
                    # Regrow at once, scored on the pruned network: the
                    # gradient shows which dormant connections make up for
                    # the removed ones; one training serves both.
                    removed = before - _connections_per_target_layer(topology)
                    counts = np.floor(grow_ratio * np.maximum(removed, 0) + 0.5)
                    topology, weights, biases, _ = grow(
                        topology, weights, biases, counts
                    )
            if topology is base.topology or topology == base.topology:
                if operation in _PRUNING:
                    pruned[:] = 0
                record(step, round_, operation, 0, np.nan, started, same_as=current)
                current = len(checkpoints) - 1
                continue
            trainer.set_parameters(topology, weights, biases)
            is_prune = operation in _PRUNING
            epochs = epochs_after(operation, topology.n_connections)
            loss = trainer.train(epochs)
            score = record(step, round_, operation, epochs, loss, started)
            # A prune that costs more than the tolerance, or that leaves a
            # network predicting one class where the last one did not, is
            # undone.
            # The tolerance is asked only for a prune the schedule judges
            # (the regressor's resamples the validation rows to give it).
            if (
                adaptive
                and is_prune
                and (
                    (history[-1]["one_class"] and not history[current]["one_class"])
                    or score < best - tolerance_at(best) - 1e-12
                )
            ):
                history[-1]["accepted"] = False
                if progress is not None:
                    progress.say(
                        f"step {step:3d} undone; "
                        f"prune ratio {ratio:.3g} -> {ratio / 2:.3g}"
                    )
                ratio /= 2
                pruned[:] = 0
                if ratio < prune_ratio / 16:
                    settled = True
                continue
            if is_prune:
                grown = np.zeros(0, dtype=np.int64)
                # Layers are never removed, only emptied: counts stay aligned.
                after = _connections_per_target_layer(topology)
                pruned = np.maximum(before - after, 0)
            current = len(checkpoints) - 1
            best = max(best, score)
    return history, checkpoints


def _eligible(history) -> np.ndarray:
    """Steps selection and the frontier may keep.

    A step whose network predicts one class for every validation row is a
    constant predictor: it is kept only when every step is one.
    """
    one_class = np.array([bool(h.get("one_class", False)) for h in history])
    return ~one_class if not one_class.all() else np.ones_like(one_class)


def frontier_steps(history) -> list[int]:
    """Steps on the accuracy-size frontier: no other step is smaller and better.

    "Smaller" is read in connections and, where recorded, in energy per
    inference; a step is kept when it is Pareto-optimal in either, with the
    validation score (higher) and loss (lower, on equal scores) as quality.
    Of steps with the same size and quality only the earliest is kept. A
    step predicting one class is left out when another is not.
    """
    scores = np.array([h["validation_score"] for h in history], dtype=float)
    scores = np.where(_eligible(history), scores, -np.inf)
    losses = _validation_losses(history)
    kept = set()
    for key in ("n_connections", "energy_pj"):
        if not all(key in h for h in history):
            continue
        sizes = np.array([h[key] for h in history], dtype=float)
        order = np.lexsort((np.arange(scores.size), losses, -scores, sizes))
        best_score, best_loss = -np.inf, np.inf
        for i in order:
            if scores[i] == -np.inf:
                continue
            if scores[i] > best_score or (
                scores[i] == best_score and losses[i] < best_loss
            ):
                kept.add(int(i))
                best_score, best_loss = scores[i], losses[i]
    return sorted(kept)


def select_checkpoint(history, selection: str, tolerance) -> int:
    """Index of the chosen step.

    ``"best"``: the highest validation score, ties broken by the lower
    validation loss. ``"smallest"``: the fewest connections among steps
    scoring at least ``best - tolerance`` (a number, a function of
    ``best``, or one number per step), ties broken by the lower
    validation loss. ``"last"``: the last accepted step (the network the
    synthesis ended with). Remaining ties go to the earlier step. A step
    whose network predicts one class for every validation row is chosen
    only when every step does.
    """
    accepted = [i for i, h in enumerate(history) if h.get("accepted", True)]
    if selection == "last":
        return accepted[-1]
    scores = np.array([h["validation_score"] for h in history], dtype=float)
    scores = np.where(_eligible(history), scores, -np.inf)
    losses = _validation_losses(history)
    sizes = np.array([h["n_connections"] for h in history])
    steps = np.arange(len(history))
    best = scores.max()
    if selection == "best":
        margin = 0.0
    elif callable(tolerance):
        margin = tolerance(best)
    else:  # a number, or one per step
        margin = np.asarray(tolerance, dtype=float)
    eligible = np.flatnonzero(np.isfinite(scores) & (scores >= best - margin - 1e-12))
    if selection == "best":
        order = np.lexsort((steps[eligible], losses[eligible], -scores[eligible]))
    else:
        order = np.lexsort((steps[eligible], losses[eligible], sizes[eligible]))
    return int(eligible[order[0]])

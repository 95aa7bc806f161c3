"""Schemes A, B and C as data, and the synthesis loop that runs them."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._operations import grow_connections, grow_neurons, prune_connections
from ._topology import Topology

__all__ = ["SCHEMES", "Scheme", "initial_network", "select_checkpoint", "synthesize"]


@dataclass(frozen=True)
class Scheme:
    """A synthesis scheme: a starting point and the steps of one round.

    Parameters
    ----------
    name : str
    skip : bool
        Whether connections may skip layers (arbitrary feed-forward) or only
        join adjacent layers (a sparse MLP).
    hidden_layer_sizes : tuple of float
        Default starting hidden layers, as multiples of the number of input
        features.
    density : float
        Default fraction of the allowed connections active at the start.
    steps : tuple of str
        The operations of one round, each followed by training.
    grow_ratio, prune_ratio : float
        Default fractions grown (of the dormant connections) and pruned (of
        the active ones) per step. A constructive scheme grows more than it
        prunes; a destructive one prunes more than it regrows.
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
        hidden_layer_sizes=(0.25,),
        density=0.1,
        steps=("grow_connections", "grow_neurons", "prune_connections"),
        grow_ratio=0.1,
        prune_ratio=0.3,
    ),
    # Destructive over arbitrary feed-forward nets: all skips present at start.
    "B": Scheme(
        "B",
        skip=True,
        hidden_layer_sizes=(1.0,),
        density=1.0,
        steps=("prune_connections", "grow_connections"),
        grow_ratio=0.05,
        prune_ratio=0.5,
    ),
    # Destructive over an MLP: dense-sparse-dense on adjacent layers only.
    "C": Scheme(
        "C",
        skip=False,
        hidden_layer_sizes=(1.0,),
        density=1.0,
        steps=("prune_connections", "grow_connections"),
        grow_ratio=0.05,
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


def synthesize(
    scheme: Scheme,
    trainer,
    topology: Topology,
    weights,
    biases,
    *,
    evaluate: Callable[[], float],
    rng: np.random.Generator,
    n_rounds: int,
    epochs_per_step: int,
    initial_epochs: int,
    grow_ratio: float,
    prune_ratio: float,
    neuron_growth: int,
    noise_std: float,
    verbose: int = 0,
):
    """Run ``scheme`` for ``n_rounds`` rounds; return history and checkpoints.

    Step 0 trains the starting network for ``initial_epochs``. Every later
    step applies one operation of the scheme and trains ``epochs_per_step``
    epochs. After each step ``evaluate()`` scores the network on held-out
    data, and the step is recorded with a checkpoint of its parameters.
    """
    history, checkpoints = [], []

    def record(step, round_, operation, epochs, loss, started):
        score = evaluate()
        w, b = trainer.parameters()
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
            "seconds": time.perf_counter() - started,
        }
        history.append(entry)
        if verbose:
            print(
                f"[SCANN {scheme.name}] step {step:3d} round {round_:2d} "
                f"{operation:<17s} connections={entry['n_connections']:7d} "
                f"hidden={entry['hidden_layer_sizes']} loss={loss:.4f} "
                f"validation={score:.4f} ({entry['seconds']:.2f} s)",
                flush=True,
            )

    started = time.perf_counter()
    trainer.set_parameters(topology, weights, biases)
    loss = trainer.train(initial_epochs)
    record(0, 0, "initial", initial_epochs, loss, started)

    step = 0
    for round_ in range(1, n_rounds + 1):
        for operation in scheme.steps:
            step += 1
            started = time.perf_counter()
            weights, biases = trainer.parameters()
            if operation == "grow_connections" and grow_ratio > 0:
                candidate_src, candidate_dst = topology.dormant_edges()
                scores, _ = trainer.structure_scores(candidate_src, candidate_dst)
                topology, weights, biases = grow_connections(
                    topology,
                    weights,
                    biases,
                    candidate_src,
                    candidate_dst,
                    scores,
                    grow_ratio,
                )
            elif operation == "grow_neurons" and neuron_growth > 0:
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
            elif operation == "prune_connections" and prune_ratio > 0:
                topology, weights, biases = prune_connections(
                    topology, weights, biases, prune_ratio
                )
            trainer.set_parameters(topology, weights, biases)
            loss = trainer.train(epochs_per_step)
            record(step, round_, operation, epochs_per_step, loss, started)
    return history, checkpoints


def select_checkpoint(history, selection: str, tolerance: float) -> int:
    """Index of the chosen step.

    ``"best"``: the highest validation score (ties: fewest connections).
    ``"smallest"``: the fewest connections among steps scoring at least
    ``best - tolerance`` (ties: higher score). ``"last"``: the final step.
    """
    if selection == "last":
        return len(history) - 1
    scores = np.array([h["validation_score"] for h in history])
    sizes = np.array([h["n_connections"] for h in history])
    best = scores.max()
    floor = best if selection == "best" else best - tolerance
    eligible = np.flatnonzero(scores >= floor - 1e-12)
    # Fewest connections first, then the higher score, then the earlier step.
    order = np.lexsort((eligible, -scores[eligible], sizes[eligible]))
    return int(eligible[order[0]])

"""Progress lines of a fit: elapsed time and an estimate of the time left."""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import time

__all__ = ["Progress"]


def _clock(seconds: float) -> str:
    """``seconds`` as ``m:ss`` (or ``h:mm:ss``)."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts a fit's training epochs and prints where it stands.

    The fit tells it how many epochs its plan still holds
    (:meth:`plan`), the trainer reports every epoch it trains
    (:meth:`epoch`). The time left is the plan's remaining epochs at the
    pace of the latest epochs (a pruned network trains faster than the
    start), so it is an estimate that an adaptive schedule stopping early
    only shortens. Within a long phase a line is printed every
    ``interval`` seconds, so that a long fit speaks well before its first
    step ends.

    Parameters
    ----------
    name : str
        Prefix of every line (e.g. ``"[SCANN B]"``).
    interval : float, default=5.0
        Fewest seconds between two lines printed within a phase.
    clock : callable, default=time.perf_counter
        Seconds since some fixed point (tests pass a fake one).
    printer : callable, default=print
        Called with each line.
    started : float, default=None
        ``clock()`` when the fit began (None: now), for the elapsed time.
    """

    def __init__(
        self,
        name,
        *,
        interval=5.0,
        clock=time.perf_counter,
        printer=None,
        started=None,
    ):
        self.name = name
        self.interval = interval
        self.clock = clock
        self.printer = print if printer is None else printer
        self.started = clock() if started is None else started
        self.last_line = self.started
        self.last_epoch = self.started
        self.epoch_seconds = None
        self.planned = 0
        self.phase = ""
        #: Epochs the fit trains after the synthesis (the fine-tune).
        self.after = 0

    def plan(self, epochs: int, phase: str = "") -> None:
        """The plan now holds ``epochs`` more epochs (and :attr:`after`'s).

        ``phase`` names what trains now (kept when empty).
        """
        self.planned = max(int(epochs), 0) + self.after
        if phase:
            self.phase = phase

    def extend(self, epochs: int = 1) -> None:
        """Add epochs not known ahead (a phase trained until it converges)."""
        self.planned += epochs

    def epoch(self) -> None:
        """One epoch was trained; print a line if the last is ``interval`` old."""
        now = self.clock()
        seconds = now - self.last_epoch
        self.last_epoch = now
        # A moving average: the pace follows the network as it shrinks.
        self.epoch_seconds = (
            seconds
            if self.epoch_seconds is None
            else 0.7 * self.epoch_seconds + 0.3 * seconds
        )
        self.planned = max(self.planned - 1, 0)
        if now - self.last_line >= self.interval:
            self.say(f"{self.phase}: training")

    def remaining(self) -> float | None:
        """Estimated seconds left, or None before the first epoch."""
        if self.epoch_seconds is None:
            return None
        return self.planned * self.epoch_seconds

    def timing(self) -> str:
        """``elapsed m:ss, about m:ss left``."""
        elapsed = self.clock() - self.started
        left = self.remaining()
        text = f"elapsed {_clock(elapsed)}"
        return text + ("" if left is None else f", about {_clock(left)} left")

    def say(self, text: str) -> None:
        """Print ``text`` with the name and the timing."""
        self.last_line = self.clock()
        self.printer(f"{self.name} {text} ({self.timing()})")

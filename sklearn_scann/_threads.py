"""The torch thread budget of a process, shared by the fits running in it.

A fit trains with the torch intra-op threads its process was given
(``torch.get_num_threads()`` when the first fit starts; joblib's process
workers and Dask's worker processes set it to their share of the cores).
Fits that run at the same time in one process (joblib's threading backend,
a Dask worker with several threads) split that budget, so that
``fits * threads_per_fit`` does not exceed it.

torch keeps the thread count per calling thread once that thread has used
torch, so a fit cannot change another fit's count: each fit applies its own
share at every training batch (:meth:`ThreadShare.apply`).
"""

# SPDX-License-Identifier: BSD-3-Clause

from __future__ import annotations

import threading
from contextlib import contextmanager

import torch

__all__ = ["ThreadShare", "fit_threads", "running_fits"]

_lock = threading.Lock()
_active: list[ThreadShare] = []
_budget = 1


class ThreadShare:
    """One running fit's share of the budget."""

    def __init__(self, threads: int, cap: int | None = None):
        self.cap = cap  # the most this fit can use well (None: no limit)
        self.threads = threads if cap is None else min(threads, cap)
        self.applied = torch.get_num_threads()  # what its thread uses

    def apply(self):
        """Make the calling thread use this share (cheap when unchanged)."""
        threads = self.threads
        if self.applied != threads:
            torch.set_num_threads(threads)
            self.applied = threads


def _rebalance():
    share = max(1, _budget // max(len(_active), 1))
    for fit in _active:
        fit.threads = share if fit.cap is None else min(share, fit.cap)


@contextmanager
def fit_threads(cap: int | None = None):
    """Run a fit within this process's budget; yields its :class:`ThreadShare`.

    ``cap`` bounds the fit's share: a network whose batches take a few
    hundred microseconds gains nothing from more threads and loses much to
    their synchronisation when the machine is busy.
    """
    global _budget
    original = torch.get_num_threads()
    with _lock:
        if not _active:
            _budget = original
        share = ThreadShare(original, cap)
        _active.append(share)
        _rebalance()
    share.apply()
    try:
        yield share
    finally:
        with _lock:
            _active.remove(share)
            _rebalance()
        if torch.get_num_threads() != original:
            torch.set_num_threads(original)


def running_fits() -> list[int]:
    """The torch threads each fit running in this process uses now."""
    with _lock:
        return [share.applied for share in _active]

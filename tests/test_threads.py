"""Fits in parallel never ask for more torch threads than the process has."""

# SPDX-License-Identifier: BSD-3-Clause

import threading

import joblib
import numpy as np
import torch
from sklearn.model_selection import GridSearchCV

import sklearn_scann._base
from sklearn_scann import SCANNClassifier
from sklearn_scann._threads import fit_threads, running_fits

GRID = {"prune_ratio": [0.3, 0.5], "grow_ratio": [0.0, 0.1]}


def worker_threads(estimator, X, y):
    """A scorer that reports, from the worker, the threads its fits may use."""
    return torch.get_num_threads()


def test_fit_restores_the_thread_count(blobs, fast):
    before = torch.get_num_threads()
    SCANNClassifier(random_state=0, **fast).fit(*blobs)
    assert torch.get_num_threads() == before


def test_concurrent_fits_split_the_budget():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with fit_threads() as first:
            assert running_fits() == [2]
            with fit_threads() as second:
                # The running fit takes its smaller share at its next batch.
                assert (first.threads, second.threads) == (1, 1)
                first.apply()
                assert running_fits() == [1, 1]
                assert torch.get_num_threads() == 1
            assert first.threads == 2
            first.apply()
            assert running_fits() == [2]
        assert running_fits() == []
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_capped_fit_never_takes_more_than_its_cap():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with fit_threads(cap=1) as small:
            assert small.threads == 1
            with fit_threads() as large:
                assert (small.threads, large.threads) == (1, 1)
            assert small.threads == 1
        with fit_threads() as alone:
            assert alone.threads == 2
    finally:
        torch.set_num_threads(before)


def test_grid_search_processes_use_at_most_the_cores(blobs, fast):
    """joblib's process workers each get ``cores // n_jobs`` threads."""
    X, y = blobs
    cores = joblib.cpu_count()
    search = GridSearchCV(
        SCANNClassifier(random_state=0, **fast),
        GRID,
        cv=2,
        n_jobs=2,
        scoring={"accuracy": "accuracy", "threads": worker_threads},
        refit="accuracy",
    ).fit(X, y)
    threads = search.cv_results_["mean_test_threads"]
    assert threads.max() * min(2, cores) <= max(cores, 2)
    if cores >= 2:
        assert threads.max() <= cores // 2


def test_grid_search_threads_share_one_process_budget(blobs, fast, monkeypatch):
    """The threading backend runs fits side by side in this process."""
    # These networks are small enough to train on one thread each: lift
    # that cap so the shares come from the budget alone.
    monkeypatch.setattr(sklearn_scann._base, "_ONE_THREAD_MACS", 0)
    X, y = blobs
    budget = torch.get_num_threads()
    seen, done = [], threading.Event()

    def sample():
        while not done.is_set():
            seen.append(running_fits())
            done.wait(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with joblib.parallel_backend("threading", n_jobs=2):
            GridSearchCV(
                SCANNClassifier(random_state=0, **fast), GRID, cv=2, n_jobs=2
            ).fit(X, y)
    finally:
        done.set()
        sampler.join()
    fits = np.array([len(threads) for threads in seen])
    used = np.array([sum(threads) for threads in seen])
    assert fits.max() == 2, "the two fits never overlapped; the test saw nothing"
    # A fit takes its smaller share at its next batch, which on a busy
    # machine may be a while: judge the samples where both fits ran, where
    # a missing budget would oversubscribe nearly all of the time.
    both = fits == 2
    over = np.mean(used[both] > np.maximum(budget, 2))
    assert over < 0.25, f"oversubscribed in {over:.0%} of the overlapping samples"
    assert torch.get_num_threads() == budget


def test_grid_search_result_does_not_depend_on_n_jobs(blobs, fast):
    """Workers train with fewer threads than this process, to the same result."""
    X, y = blobs
    searches = [
        GridSearchCV(
            SCANNClassifier(random_state=0, **fast), GRID, cv=2, n_jobs=n_jobs
        ).fit(X, y)
        for n_jobs in (1, 2)
    ]
    for key in ("split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(
            searches[0].cv_results_[key], searches[1].cv_results_[key]
        )

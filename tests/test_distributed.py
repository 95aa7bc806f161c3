"""Searches through joblib's Dask backend match the same searches run locally."""

# SPDX-License-Identifier: BSD-3-Clause

import os
import re

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

from sklearn_scann import SCANNClassifier, make_dr_scann

distributed = pytest.importorskip("distributed")

# joblib's Dask backend names each task "batch_of_<function>_<n>_calls-<uuid>".
_BATCH_KEY = re.compile(r"batch_of__fit_and_score_(\d+)_calls")


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes on loopback, closed after the module."""
    # The nannies export OMP_NUM_THREADS=1 and the like into this process;
    # put the environment back so that later tests' subprocesses are unaffected.
    environ = dict(os.environ)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
    for name in set(os.environ) - set(environ):
        del os.environ[name]
    os.environ.update(environ)


@pytest.fixture(scope="module", autouse=True)
def torch_threads_of_workers(client):
    """Run the local fits with the workers' torch thread count.

    distributed's nanny starts workers with OMP_NUM_THREADS=MKL_NUM_THREADS=1,
    so torch uses one thread there. Past its parallel grain size torch splits
    reductions by thread: only equal thread counts make equality exact on any
    data (on data this small, other counts happen to agree too).
    """
    counts = set(client.run(torch.get_num_threads).values())
    assert len(counts) == 1
    previous = torch.get_num_threads()
    torch.set_num_threads(counts.pop())
    yield
    torch.set_num_threads(previous)


def _search_locally_and_on_cluster(search, client, X, y, **backend_params):
    """Fit ``search`` in this process and a clone through Dask; return both."""
    local = clone(search).set_params(n_jobs=1).fit(X, y)
    remote = clone(search).set_params(n_jobs=-1)
    with distributed.get_task_stream(client) as stream:
        with joblib.parallel_backend("dask", **backend_params):
            remote.fit(X, y)

    # Every candidate-fold fit ran as part of a task on one of the workers.
    workers = set(client.scheduler_info()["workers"])
    fit_calls = 0
    for task in stream.data:
        assert task["worker"] in workers
        match = _BATCH_KEY.search(task["key"])
        if match:
            fit_calls += int(match.group(1))
    assert fit_calls == len(local.cv_results_["params"]) * local.n_splits_
    return local, remote


def _assert_same_search(local, remote, X):
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    for key in ["mean_test_score", "std_test_score", "rank_test_score"]:
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    for split in range(local.n_splits_):
        key = f"split{split}_test_score"
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    assert remote.best_params_ == local.best_params_
    assert remote.best_score_ == local.best_score_
    np.testing.assert_array_equal(
        remote.best_estimator_.predict(X), local.best_estimator_.predict(X)
    )
    np.testing.assert_array_equal(
        remote.best_estimator_.predict_proba(X), local.best_estimator_.predict_proba(X)
    )


def test_grid_search_scann(client, blobs, fast):
    X, y = blobs
    search = GridSearchCV(
        SCANNClassifier("B", random_state=0, **fast),
        {"grow_ratio": [0.05, 0.2], "prune_ratio": [0.3, 0.6]},
        cv=2,
    )
    local, remote = _search_locally_and_on_cluster(search, client, X, y)
    _assert_same_search(local, remote, X)
    assert remote.best_estimator_.n_connections_ == local.best_estimator_.n_connections_


def test_grid_search_dr_scann(client, blobs, fast):
    X, y = blobs
    search = GridSearchCV(
        make_dr_scann("pca", n_components=4, random_state=0, **fast),
        {"dr__n_components": [3, 5], "scann__prune_ratio": [0.3, 0.6]},
        cv=2,
    )
    # Data scattered to every worker once, as the docs advise for larger data.
    local, remote = _search_locally_and_on_cluster(search, client, X, y, scatter=[X, y])
    _assert_same_search(local, remote, X)
    assert (
        remote.best_estimator_["scann"].n_connections_
        == local.best_estimator_["scann"].n_connections_
    )


def test_randomized_search_dr_scann(client, blobs, fast):
    X, y = blobs
    search = RandomizedSearchCV(
        make_dr_scann("pca", n_components=4, random_state=0, **fast),
        {
            "dr__n_components": [3, 4, 5, 6],
            "scann__grow_ratio": [0.05, 0.1, 0.2],
            "scann__prune_ratio": [0.3, 0.5, 0.7],
        },
        n_iter=3,
        cv=2,
        random_state=0,
    )
    local, remote = _search_locally_and_on_cluster(search, client, X, y)
    _assert_same_search(local, remote, X)


def test_fitted_estimator_travels_to_workers_and_back(client, blobs, fast):
    X, y = blobs
    model = SCANNClassifier("B", random_state=0, **fast).fit(X, y)

    proba = client.submit(lambda m, X: m.predict_proba(X), model, X).result()
    np.testing.assert_array_equal(proba, model.predict_proba(X))

    # A fit on a worker returns the same fitted estimator as a fit here.
    fitted = client.submit(lambda m, X, y: m.fit(X, y), clone(model), X, y).result()
    assert fitted is not model
    assert fitted.n_connections_ == model.n_connections_
    np.testing.assert_array_equal(fitted.predict_proba(X), model.predict_proba(X))
    for remote_record, local_record in zip(
        fitted.history_, model.history_, strict=True
    ):
        assert remote_record["n_connections"] == local_record["n_connections"]
        assert remote_record["train_loss"] == local_record["train_loss"]

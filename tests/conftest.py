"""Shared fixtures: seeded torch, small datasets."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification


@pytest.fixture(autouse=True)
def seed_torch():
    torch.manual_seed(0)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def blobs():
    """A small, well separated 3-class problem."""
    X, y = make_classification(
        n_samples=240,
        n_features=8,
        n_informative=5,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        class_sep=2.0,
        random_state=0,
    )
    return X.astype(np.float64), y


@pytest.fixture(scope="session")
def fast():
    """Settings that make a fit take well under a second."""
    return {
        "n_rounds": 1,
        "epochs_per_step": 3,
        "initial_epochs": 15,
        "learning_rate": 3e-2,
    }

"""The pictures render to PNG with the Agg backend."""

# SPDX-License-Identifier: BSD-3-Clause

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_scann import SCANNClassifier, plot_history, plot_topology  # noqa: E402


@pytest.fixture(scope="module")
def model(blobs):
    X, y = blobs
    settings = {"n_rounds": 2, "epochs_per_step": 2, "initial_epochs": 5}
    return make_pipeline(
        StandardScaler(), SCANNClassifier("B", random_state=0, **settings)
    ).fit(X, y)


def test_plot_history_png(model, tmp_path):
    ax = plot_history(model)
    history = model[-1].history_
    line = ax.get_lines()[0]
    assert list(line.get_ydata()) == [h["n_connections"] for h in history]
    assert list(ax.right_ax.get_lines()[0].get_ydata()) == [
        h["validation_score"] for h in history
    ]
    path = tmp_path / "history.png"
    ax.figure.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plt.close(ax.figure)


def test_plot_topology_png(model, tmp_path):
    ax = plot_topology(model)
    clf = model[-1]
    segments = sum(len(c.get_segments()) for c in ax.collections[:2])
    assert segments == clf.n_connections_
    labels = [t.get_label() for t in ax.collections[:2]]
    assert f"skip ({clf.n_skip_connections_})" in labels
    path = tmp_path / "topology.png"
    ax.figure.savefig(path)
    assert path.stat().st_size > 1000
    plt.close(ax.figure)


def test_unfitted_model_is_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        plot_history(SCANNClassifier())

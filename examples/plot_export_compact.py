"""
Exporting and running the compact network
=========================================

Once fitted, a :class:`~sklearn_scann.SCANNClassifier` no longer needs
PyTorch: the kept network is stored as sparse weight blocks and evaluated
with numpy. This example runs it with numpy alone, saves it to a file and
loads it back without pickle, exports it as dependency-free C99 and, when a C
compiler is available, compiles the C and checks that it predicts the same
classes. It ends by comparing the size and the prediction time with a dense
:class:`~sklearn.neural_network.MLPClassifier`.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# A network for the digits
# ------------------------
# The pixels are divided by 16, their largest value, so that the network's
# inputs lie in [0, 1]. That is the only preprocessing, and it matters below:
# the exported C function expects its inputs exactly as the classifier saw
# them in ``fit``, so whatever preprocessing a pipeline does must be repeated
# on the device.
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_scann import SCANNClassifier

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
clf = SCANNClassifier("B", n_rounds=5, epochs_per_step=4, random_state=0)
clf.fit(X_train, y_train)
print(
    f"test accuracy {clf.score(X_test, y_test):.3f}, {clf.n_connections_} connections"
)

# %%
# Prediction with numpy only
# --------------------------
# ``network_`` holds the kept network. Its ``decision_function`` returns the
# logits of the output layer; the predicted class is the largest one, looked
# up in ``classes_``. This is what ``predict`` does.
logits = clf.network_.decision_function(X_test)
predicted = clf.classes_[logits.argmax(axis=1)]
print("same as predict:", np.array_equal(predicted, clf.predict(X_test)))

# %%
# ``network_.to_arrays()`` describes the network as plain arrays: the layer
# sizes, one ``(src, dst, weight)`` triple per connection between neurons
# numbered layer by layer, and a bias per neuron. That is enough to write the
# forward pass by hand. Every neuron's input is the weighted sum of the
# neurons that feed it, skip connections included, and every hidden neuron
# applies a ReLU.
arrays = clf.network_.to_arrays()
sizes = arrays["layer_sizes"]
bounds = np.concatenate([[0], np.cumsum(sizes)])
weights = np.zeros((bounds[-1], bounds[-1]))
weights[arrays["src"], arrays["dst"]] = arrays["weights"]

activations = np.zeros((X_test.shape[0], bounds[-1]))
activations[:, : sizes[0]] = X_test
for layer in range(1, len(sizes)):
    neurons = slice(bounds[layer], bounds[layer + 1])
    z = activations @ weights[:, neurons] + arrays["biases"][neurons]
    activations[:, neurons] = z if layer == len(sizes) - 1 else np.maximum(z, 0)
by_hand = activations[:, bounds[-2] :]
print("largest difference from decision_function:", np.abs(by_hand - logits).max())

# %%
# Saving and loading without pickle
# ---------------------------------
# ``save`` writes an ``.npz`` file holding numeric arrays and a JSON document
# (parameters, classes, history); :func:`sklearn_scann.load` reads it back
# without running pickle, so loading a file from elsewhere cannot execute
# code. The loaded model is a fitted ``SCANNClassifier`` that predicts the
# same probabilities.
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from sklearn_scann import load  # noqa: E402

with tempfile.TemporaryDirectory() as directory:
    path = clf.save(Path(directory) / "digits.npz")
    print(f"{path.name}: {path.stat().st_size:,d} bytes on disk")
    loaded = load(path)
print(type(loaded).__name__, loaded.n_connections_, "connections")
print(
    "same probabilities:",
    np.array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test)),
)

# %%
# Exporting C
# -----------
# ``export_c`` writes a header and a source file that need nothing but
# ``<math.h>``: the weights are ``static const`` CSR arrays and the forward
# pass allocates no memory. The header declares three functions for one
# sample each: the logits, the probabilities and the predicted class index.
# Here the header is printed; the source file holds the weights and the loops.
import shutil  # noqa: E402
import subprocess  # noqa: E402

build = tempfile.TemporaryDirectory()
header, source = clf.export_c(build.name, name="digits_net")
print(header.read_text())

# %%
# Compiling and checking the C
# ----------------------------
# If a C compiler is found, a small ``main`` reads test rows from its standard
# input, one row of 64 numbers per line, and prints the class index that
# ``digits_net_predict`` returns for each. The C code computes in single
# precision (``dtype="float"``, the default), so on a row whose two largest
# logits are nearly equal it could in principle disagree with the double
# precision of numpy; ``dtype="double"`` would make the two agree more
# closely.
MAIN = """\
#include <stdio.h>
#include "digits_net.h"

int main(void)
{
    float x[DIGITS_NET_N_FEATURES];
    int j;

    while (scanf("%f", &x[0]) == 1) {
        for (j = 1; j < DIGITS_NET_N_FEATURES; ++j)
            if (scanf("%f", &x[j]) != 1)
                return 1;
        printf("%d\\n", digits_net_predict(x));
    }
    return 0;
}
"""

compiler = shutil.which("cc")
if compiler is None:
    print("No C compiler (cc) found: the C code was written but not compiled.")
else:
    directory = Path(build.name)
    (directory / "main.c").write_text(MAIN)
    subprocess.run(
        [compiler, "-std=c99", "-O2", "main.c", "digits_net.c", "-o", "main", "-lm"],
        cwd=directory,
        check=True,
    )
    rows = "\n".join(" ".join(repr(float(v)) for v in row) for row in X_test)
    result = subprocess.run(
        [str(directory / "main")],
        input=rows,
        capture_output=True,
        text=True,
        check=True,
    )
    c_predicted = clf.classes_[np.array(result.stdout.split(), dtype=int)]
    agree = np.sum(c_predicted == clf.predict(X_test))
    print(f"C and Python agree on {agree} of {len(X_test)} test rows")
build.cleanup()

# %%
# Size and speed against a dense MLP
# ----------------------------------
# A dense MLP with one hidden layer of 64 neurons (the starting size of
# scheme B) stores every weight. Its size here is the bytes of its weight
# matrices and biases; the compact network's ``model_bytes_`` counts its
# sparse blocks (values, column indices, row pointers) and biases, all
# 64-bit. The time is that of ``predict`` on one row, the case of a model
# answering requests one at a time; it is measured on the machine that built
# this page, and varies from run to run.
import timeit  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

mlp = MLPClassifier(hidden_layer_sizes=(64,), max_iter=400, random_state=0)
mlp.fit(X_train, y_train)
mlp_connections = sum(w.size for w in mlp.coefs_)
mlp_bytes = sum(w.nbytes for w in mlp.coefs_) + sum(b.nbytes for b in mlp.intercepts_)


def microseconds_per_row(model, row):
    """Microseconds per call of ``model.predict(row)``, fastest of five runs."""
    times = timeit.repeat(lambda: model.predict(row), number=200, repeat=5)
    return min(times) / 200 * 1e6


row = X_test[:1]
figures = {
    "connections": (clf.n_connections_, mlp_connections),
    "weight and bias bytes": (clf.model_bytes_, mlp_bytes),
    "µs per single-row predict": (
        microseconds_per_row(clf, row),
        microseconds_per_row(mlp, row),
    ),
}
print(f"{'':<26s} {'SCANN':>9s} {'MLP':>9s}")
for name, (scann_value, mlp_value) in figures.items():
    print(f"{name:<26s} {scann_value:>9,.0f} {mlp_value:>9,.0f}")
print(
    f"test accuracy              {clf.score(X_test, y_test):>9.3f} "
    f"{mlp.score(X_test, y_test):>9.3f}"
)

fig, axes = plt.subplots(1, 3, figsize=(10, 3.5))
for ax, (name, values) in zip(axes, figures.items(), strict=True):
    bars = ax.bar(["SCANN", "dense MLP"], values, color=["tab:orange", "tab:gray"])
    ax.bar_label(bars, fmt="{:,.0f}")
    ax.set_title(name)
    ax.margins(y=0.15)
fig.suptitle("Digits: compact SCANN network against a dense MLP")
fig.tight_layout()
plt.show()

# %%
# The compact network has about a sixth of the MLP's connections, with the same
# test accuracy within a sample or two. Its bytes shrink less than its
# connections, because every sparse weight also stores a 32-bit column index
# (the exported C uses the smallest index type that fits, here one byte).
#
# On a single row, SCANN's ``predict`` is several times faster than the
# MLP's, but do not read that as the effect of the smaller network. At this
# size the arithmetic takes microseconds either way; on one row, the MLP's
# dense matrix products written directly in numpy are in fact faster than the
# compact network's sparse blocks. Most of the time is Python overhead:
# ``SCANNClassifier`` takes a short path for plain float arrays that skips
# scikit-learn's general input validation, and that is most of the
# difference. The saving in arithmetic matters on small devices, where the
# multiply-accumulates dominate: the case the C export is for.

"""The torch module, the trainer's gradient scores and mask safety."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
import torch

from sklearn_scann import Topology
from sklearn_scann._compact import CompactNetwork
from sklearn_scann._network import build_network, read_parameters
from sklearn_scann._operations import grow_connections
from sklearn_scann._training import BatchDataset, Trainer


def test_full_masks_without_skips_equal_a_dense_mlp(rng):
    sizes = [5, 7, 4, 3]
    top = Topology.dense(sizes, skip=False)
    weights = rng.normal(size=top.n_connections)
    biases = rng.normal(size=top.n_neurons)
    module = build_network(top, weights, biases, dtype=torch.float64)

    mlp = torch.nn.Sequential(
        torch.nn.Linear(5, 7),
        torch.nn.ReLU(),
        torch.nn.Linear(7, 4),
        torch.nn.ReLU(),
        torch.nn.Linear(4, 3),
    ).double()
    offsets = top.offsets
    src, dst = top.edges()
    with torch.no_grad():
        for i, linear in enumerate(mlp[::2]):
            dense = np.zeros((sizes[i + 1], sizes[i]))
            here = top.layer_of[dst] == i + 1
            dense[dst[here] - offsets[i + 1], src[here] - offsets[i]] = weights[here]
            linear.weight.copy_(torch.as_tensor(dense))
            linear.bias.copy_(torch.as_tensor(biases[top.layer_neurons(i + 1)]))
    X = torch.as_tensor(rng.normal(size=(16, 5)))
    torch.testing.assert_close(module(X), mlp(X))


def test_read_parameters_round_trips(rng):
    top = Topology.random([6, 5, 4, 3], 0.4, rng)
    weights = rng.normal(size=top.n_connections)
    biases = np.concatenate([np.zeros(6), rng.normal(size=12)])
    module = build_network(top, weights, biases, dtype=torch.float64)
    w, b = read_parameters(module, top)
    np.testing.assert_array_equal(w, weights)
    np.testing.assert_array_equal(b, biases)


def test_module_matches_compact_numpy_forward_with_skips(rng):
    top = Topology.random([6, 5, 4, 3], 0.4, rng)
    assert (top.layer_of[top.edges()[1]] - top.layer_of[top.edges()[0]]).max() > 1
    weights = rng.normal(size=top.n_connections)
    biases = rng.normal(size=top.n_neurons)
    module = build_network(top, weights, biases, dtype=torch.float64)
    X = rng.normal(size=(32, 6))
    with torch.no_grad():
        torch_out = module(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(
        CompactNetwork(top, weights, biases).decision_function(X), torch_out, atol=1e-10
    )


def _trainer(X, y, **kwargs):
    return Trainer(BatchDataset(X, y, np.ones(len(y))), batch_size=16, **kwargs)


def test_masked_weights_stay_zero_after_many_steps(rng):
    X = rng.normal(size=(64, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=64)
    top = Topology.random([6, 5, 3], 0.3, rng)
    weights = rng.normal(size=top.n_connections)
    trainer = _trainer(X, y, solver="sgd", momentum=0.9, alpha=0.1, learning_rate=0.1)
    trainer.set_parameters(top, weights, np.zeros(top.n_neurons))
    trainer.train(25)  # 100 SGD steps with momentum and strong weight decay
    module = trainer.net.module_
    changed = False
    for layer, weight in enumerate(module.weight):
        mask = getattr(module, module.masks[layer])
        assert torch.all(weight[mask == 0] == 0)
        changed |= bool(torch.any(weight[mask == 1] != 0))
    assert changed
    w, _ = trainer.parameters()
    assert not np.allclose(w, weights)  # training did move the active weights

    # Adam, rebuilt after a structural change, does not revive pruned weights either
    trainer = _trainer(X, y, solver="adam", alpha=0.1, learning_rate=0.1)
    trainer.set_parameters(top, weights, np.zeros(top.n_neurons))
    trainer.train(5)
    w, b = trainer.parameters()
    src, dst = top.edges()
    keep = np.arange(top.n_connections) % 2 == 0
    pruned = top.with_edges(src[keep], dst[keep])
    trainer.set_parameters(pruned, w[keep], b)
    trainer.train(10)
    module = trainer.net.module_
    for layer, weight in enumerate(module.weight):
        mask = getattr(module, module.masks[layer])
        assert torch.all(weight[mask == 0] == 0)


def _dense_reference_gradient(top, weights, biases, X, y):
    """dL/dW for every (i, j) pair of a dense matrix, by plain autograd."""
    n = top.n_neurons
    W = torch.zeros((n, n), dtype=torch.float64)
    src, dst = top.edges()
    W[src, dst] = torch.as_tensor(weights)
    W.requires_grad_(True)
    b = torch.as_tensor(biases)
    h = torch.zeros((X.shape[0], n), dtype=torch.float64)
    h[:, : top.layer_sizes[0]] = torch.as_tensor(X, dtype=torch.float64)
    values = [h[:, : top.layer_sizes[0]]]
    for layer in range(1, top.n_layers):
        lo, hi = top.offsets[layer], top.offsets[layer + 1]
        prev = torch.cat(values, dim=1)
        z = prev @ W[: top.offsets[layer], lo:hi] + b[lo:hi]
        values.append(z if layer == top.n_layers - 1 else torch.relu(z))
    loss = torch.nn.functional.cross_entropy(values[-1], torch.as_tensor(y))
    loss.backward()
    return W.grad.numpy()


def test_growth_picks_dormant_edges_with_largest_true_gradient(rng):
    X = rng.normal(size=(50, 4))
    y = rng.integers(0, 3, size=50)
    top = Topology.random([4, 5, 3], 0.3, rng, skip=True)
    weights = rng.normal(size=top.n_connections)
    biases = np.concatenate([np.zeros(4), rng.normal(size=8) * 0.1])
    trainer = _trainer(X, y)
    trainer.set_parameters(top, weights, biases)

    cand_src, cand_dst = top.dormant_edges()
    scores, _ = trainer.structure_scores(cand_src, cand_dst)
    reference = _dense_reference_gradient(top, weights, biases, X, y)
    np.testing.assert_allclose(scores, reference[cand_src, cand_dst], atol=1e-5)
    assert np.abs(scores).max() > 1e-3  # dormant weights do have a gradient

    new, _, _ = grow_connections(top, weights, biases, cand_src, cand_dst, scores, 0.3)
    added = set(zip(*new.edges(), strict=True)) - set(zip(*top.edges(), strict=True))
    expected = set()
    for layer in (1, 2):
        entering = np.flatnonzero(top.layer_of[cand_dst] == layer)
        k = int(np.floor(0.3 * entering.size + 0.5))
        magnitude = np.abs(reference[cand_src[entering], cand_dst[entering]])
        best = entering[np.argsort(-magnitude)[:k]]
        expected |= {(cand_src[i], cand_dst[i]) for i in best}
    assert added == expected


def test_training_reproducible_with_same_seed(rng):
    X = rng.normal(size=(64, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=64)
    top = Topology.random([6, 5, 3], 0.5, rng)
    weights = rng.normal(size=top.n_connections)
    results = []
    for _ in range(2):
        trainer = _trainer(X, y, seed=7)
        trainer.set_parameters(top, weights, np.zeros(top.n_neurons))
        trainer.train(3)
        results.append(trainer.parameters()[0])
    np.testing.assert_array_equal(results[0], results[1])


def test_batch_dataset_reads_rows_in_place(rng):
    X = rng.normal(size=(50, 4))  # float64, C-ordered: wrapped, not copied
    y = rng.integers(0, 3, size=50)
    rows = rng.permutation(50)[:30]
    dataset = BatchDataset(X, y, np.ones(50), rows=rows)
    assert np.shares_memory(dataset.X.numpy(), X)
    assert len(dataset) == 30 and dataset.sample_weight is None
    positions = torch.tensor([0, 7, 29])
    batch, target = dataset[positions]
    assert batch["X"].dtype == torch.float32
    np.testing.assert_array_equal(
        batch["X"].numpy(), X[rows[[0, 7, 29]]].astype(np.float32)
    )
    np.testing.assert_array_equal(target.numpy(), y[rows[[0, 7, 29]]])


@pytest.mark.parametrize("sparse", [False, True])
def test_kept_dataset_yields_the_batches_of_per_batch_gathers(rng, sparse):
    import scipy.sparse as sp

    from sklearn_scann._training import ShuffledBatches

    X = rng.normal(size=(70, 4)) * (rng.random((70, 4)) < 0.5)
    y = rng.integers(0, 3, size=70)
    weight = rng.uniform(0.5, 2.0, size=70)
    rows = rng.permutation(70)[:53]
    X = sp.csr_array(X) if sparse else X
    epochs = []
    for keep in (True, False):
        dataset = BatchDataset(X, y, weight, rows=rows)
        if not keep:
            dataset._WHOLE_BATCH_VALUES = 0  # too big to keep: gather per batch
        batches = ShuffledBatches(
            dataset, 20, shuffle=True, generator=torch.Generator().manual_seed(3)
        )
        epochs.append([list(batches) for _ in range(2)])
        assert (dataset.kept_batch(20) is None) == (not keep)
    kept, gathered = epochs
    for epoch_kept, epoch_gathered in zip(kept, gathered, strict=True):
        assert [b[1].shape[0] for b in epoch_kept] == [20, 20, 13]
        for (Xk, yk), (Xg, yg) in zip(epoch_kept, epoch_gathered, strict=True):
            assert torch.equal(Xk["X"], Xg["X"]) and torch.equal(yk, yg)
            assert torch.equal(Xk["sample_weight"], Xg["sample_weight"])
    # a new epoch is a new order
    assert not torch.equal(kept[0][0][1], kept[1][0][1])
    # many batches are gathered one by one: no copy of the dataset is kept
    dataset = BatchDataset(X, y, weight, rows=rows)
    assert len(list(ShuffledBatches(dataset, 5, shuffle=True))) == 11
    assert dataset._whole is None


def test_weighted_loss_has_no_division_by_a_batch_total(rng):
    X = rng.normal(size=(40, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=40)
    weight = np.r_[np.zeros(20), rng.uniform(1, 3, size=20)]
    dataset = BatchDataset(X, y, weight)
    np.testing.assert_allclose(dataset.sample_weight.mean().item(), 1.0, rtol=1e-6)
    top = Topology.random([4, 5, 3], 0.6, rng)
    trainer = Trainer(dataset, batch_size=10, seed=0)
    trainer.set_parameters(top, rng.normal(size=top.n_connections), np.zeros(12))
    # Every batch of the first half weighs 0: its loss is 0, not 0 / 0.
    batch = dataset[torch.arange(0, 10)]
    logits = trainer.net.module_(batch[0]["X"])
    assert trainer.net.get_loss(logits, batch[1], X=batch[0]).item() == 0.0
    assert np.isfinite(trainer.train(2))
    # The weighted mean loss over the whole dataset, batch by batch.
    full = dataset[torch.arange(40)]
    logits = trainer.net.module_(full[0]["X"])
    per_sample = torch.nn.functional.cross_entropy(logits, full[1], reduction="none")
    expected = np.average(per_sample.detach().numpy(), weights=weight)
    loss = trainer.net.get_loss(logits, full[1], X=full[0]).item()
    np.testing.assert_allclose(loss, expected, rtol=1e-5)


def test_lean_epoch_matches_skorch_epoch_with_callbacks(rng):
    """The trimmed per-batch path trains as skorch's own loop does."""
    from skorch.callbacks import Callback

    class CountBatches(Callback):
        def initialize(self):
            self.seen = 0
            return self

        def on_batch_end(self, net, **kwargs):
            self.seen += 1

    X = rng.normal(size=(70, 6))
    y = rng.integers(0, 3, size=70)
    weight = rng.uniform(0.5, 2.0, size=70)
    top = Topology.random([6, 5, 3], 0.5, rng)
    weights = rng.normal(size=top.n_connections)
    results = []
    for callbacks in ("disable", [CountBatches()]):
        trainer = Trainer(BatchDataset(X, y, weight), batch_size=16, seed=3)
        trainer.net_kwargs["callbacks"] = callbacks
        trainer.set_parameters(top, weights, np.zeros(top.n_neurons))
        loss = trainer.train(3)
        results.append((trainer.parameters()[0], loss, trainer.net))
    (lean, lean_loss, _), (full, full_loss, net) = results
    assert dict(net.callbacks_)["CountBatches"].seen == 3 * 5  # skorch's own loop ran
    # skorch's loop takes autograd's gradients and Adam.step; the lean one
    # its written-out gradients and fast_step: equal up to float rounding.
    np.testing.assert_allclose(lean, full, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lean_loss, full_loss, rtol=1e-5)


def test_lean_adam_steps_as_torch_adam(rng):
    """fast_step updates parameters and state exactly as Adam.step would."""
    from sklearn_scann._training import LeanAdam, _fused_adam_options

    if not _fused_adam_options():
        # This torch has no fused CPU Adam: the Trainer uses torch's Adam.
        assert (
            Trainer(BatchDataset(np.zeros((2, 1)), [0, 1])).net_kwargs["optimizer"]
            is torch.optim.Adam
        )
        return
    shapes = [(4, 3), (4,), (2, 7), (2,)]
    start = [torch.as_tensor(rng.normal(size=s), dtype=torch.float32) for s in shapes]
    grads = [
        [torch.as_tensor(rng.normal(size=s), dtype=torch.float32) for s in shapes]
        for _ in range(5)
    ]
    results = []
    for kind in ("torch", "lean"):
        params = [torch.nn.Parameter(p.clone()) for p in start]
        optimizer = (torch.optim.Adam if kind == "torch" else LeanAdam)(
            params, lr=0.01, weight_decay=1e-3, fused=True
        )
        for step, step_grads in enumerate(grads):
            for p, g in zip(params, step_grads, strict=True):
                p.grad = g.clone()
            optimizer.param_groups[0]["lr"] = 0.01 / (step + 1)  # a schedule
            optimizer.step() if kind == "torch" else optimizer.fast_step()
        results.append((params, optimizer))
    (torch_params, torch_opt), (lean_params, lean_opt) = results
    for a, b in zip(torch_params, lean_params, strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        for key in ("exp_avg", "exp_avg_sq", "step"):
            np.testing.assert_array_equal(
                torch_opt.state[a][key].numpy(), lean_opt.state[b][key].numpy()
            )


def test_training_path_is_autograd_free_and_matches_it(rng):
    """A training update sets the gradients autograd would, without a graph."""
    X = rng.normal(size=(40, 5))
    y = rng.integers(0, 3, size=40)
    top = Topology.random([5, 6, 4, 3], 0.6, rng, skip=True)
    weights = rng.normal(size=top.n_connections)
    trainer = Trainer(BatchDataset(X, y), batch_size=40, seed=0)
    trainer.set_parameters(top, weights, np.zeros(top.n_neurons))
    batch = trainer.dataset.whole_batch()
    step = trainer.net.train_step_single(batch)
    assert not step["loss"].requires_grad  # no autograd graph was built
    written = [p.grad.clone() for p in trainer.net.module_.parameters()]
    for p in trainer.net.module_.parameters():
        p.grad = None
    logits = trainer.net.module_(batch[0]["X"])
    trainer.net.get_loss(logits, batch[1]).backward()
    for got, p in zip(written, trainer.net.module_.parameters(), strict=True):
        np.testing.assert_allclose(got.numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-7)

    # A later update writes into the gradients already there (in place) and
    # gets what a first one, assigning them, gets: other rows, same result.
    half = ({"X": batch[0]["X"][:20], "sample_weight": None}, batch[1][:20])
    buffers = [p.grad for p in trainer.net.module_.parameters()]
    trainer.net.train_step_single(half)
    in_place = [p.grad.clone() for p in trainer.net.module_.parameters()]
    assert all(p.grad is b for p, b in zip(trainer.net.module_.parameters(), buffers))
    for p in trainer.net.module_.parameters():
        p.grad = None
    trainer.net.train_step_single(half)
    for got, p in zip(in_place, trainer.net.module_.parameters(), strict=True):
        assert torch.equal(got, p.grad)


@pytest.mark.parametrize("sizes", [[5, 20, 3], [3, 40, 16, 1], [12, 16, 2]])
def test_in_place_gradients_of_tall_narrow_layers_match_autograd(rng, sizes):
    """Layers of many neurons reading few inputs take their gradient transposed.

    Whichever way a layer's product is taken, an update that writes into
    the gradients already there gets autograd's gradients.
    """
    from sklearn_scann._network import _NARROW_GRADIENT

    X = rng.normal(size=(30, sizes[0]))
    y = rng.integers(0, max(sizes[-1], 2), size=30)
    top = Topology.random(sizes, 0.7, rng, skip=True)
    trainer = Trainer(BatchDataset(X, y), batch_size=30, seed=0)
    trainer.set_parameters(
        top, rng.normal(size=top.n_connections), np.zeros(top.n_neurons)
    )
    module = trainer.net.module_
    shapes = [tuple(w.shape) for w in module.parts()[0]]
    # The transposed product is taken for at least one layer here.
    assert any(cols < _NARROW_GRADIENT <= rows for rows, cols in shapes)
    batch = trainer.dataset.whole_batch()
    first = ({"X": batch[0]["X"][:10], "sample_weight": None}, batch[1][:10])
    trainer.net.train_step_single(first)  # assigns the gradients
    buffers = [p.grad for p in module.parameters()]
    trainer.net.train_step_single(batch)  # writes into them
    assert all(p.grad is b for p, b in zip(module.parameters(), buffers))
    written = [p.grad.clone() for p in module.parameters()]
    for p in module.parameters():
        p.grad = None
    trainer.net.get_loss(module(batch[0]["X"]), batch[1]).backward()
    for got, p in zip(written, module.parameters(), strict=True):
        np.testing.assert_allclose(got.numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_only_the_first_and_last_epoch_compute_the_loss(rng):
    """The epochs between train on the gradient alone and leave no history row."""
    X = rng.normal(size=(60, 4))
    y = rng.integers(0, 3, size=60)
    top = Topology.random([4, 5, 3], 0.8, rng, skip=True)
    weights = rng.normal(size=top.n_connections)
    losses = []

    def record(original):
        def step(batch, **kwargs):
            result = original(batch, **kwargs)
            losses.append(result["loss"])
            return result

        return step

    trainer = Trainer(BatchDataset(X, y), batch_size=25, seed=0)
    trainer.set_parameters(top, weights, np.zeros(top.n_neurons))
    trainer.net.train_step_single = record(trainer.net.train_step_single)
    last = trainer.train(6)
    # 3 batches per epoch: the first and the sixth epoch's carry a loss.
    assert [loss is not None for loss in losses] == [True] * 3 + [False] * 12 + [
        True
    ] * 3
    assert len(trainer.net.history) == 2
    assert last == trainer.net.history[-1, "train_loss"]
    assert trainer.net.loss_wanted  # restored after the loop
    # The first epoch's history row is the size-weighted mean of its batches.
    first = sum(float(loss) * n for loss, n in zip(losses[:3], (25, 25, 10))) / 60
    np.testing.assert_allclose(trainer.net.history[0, "train_loss"], first, rtol=1e-6)


def test_cosine_cycle_starts_at_the_given_peak(rng):
    X = rng.normal(size=(64, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=64)
    top = Topology.dense([6, 5, 3])
    trainer = _trainer(X, y, learning_rate=0.01, lr_schedule="cosine")
    seen = []
    for peak in (None, 0.2):
        trainer.set_parameters(
            top, rng.normal(size=top.n_connections), np.zeros(top.n_neurons)
        )
        step = trainer.net.train_step

        def record(batch, _step=step, **kwargs):
            out = _step(batch, **kwargs)
            seen.append(trainer.net.optimizer_.param_groups[0]["lr"])
            return out

        trainer.net.train_step = record
        seen.clear()
        trainer.train(3, peak_learning_rate=peak)
        del trainer.net.train_step
        top_lr = 0.01 if peak is None else peak
        # 3 epochs of 4 batches: from the peak down to 0 along a half cosine
        assert len(seen) == 12
        assert seen[0] == pytest.approx(top_lr)
        assert seen[-1] == pytest.approx(0.0, abs=1e-12)
        assert np.all(np.diff(seen) < 0)

    # a constant schedule ignores the peak
    trainer = _trainer(X, y, learning_rate=0.01, lr_schedule="constant")
    trainer.set_parameters(
        top, rng.normal(size=top.n_connections), np.zeros(top.n_neurons)
    )
    trainer.train(2, peak_learning_rate=0.5)
    assert trainer.net.optimizer_.param_groups[0]["lr"] == pytest.approx(0.01)

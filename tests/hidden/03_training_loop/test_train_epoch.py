"""Hidden tests for 03_training_loop/train_epoch."""

import copy

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from grader.checks import assert_close, assert_scalar_close, expect, expect_type, manual_seed

WEIGHTED = (
    "the returned loss is not the mean over all samples of the epoch: weight each batch's loss by "
    "its real batch size (sum loss.item() * inputs.shape[0], then divide by the number of samples), "
    "not by the number of batches; the last batch is smaller"
)
TRAIN_MODE = (
    "the forward passes did not all run in training mode: call model.train() before the loop "
    "(setting model.training = True changes only the top module, not the Dropout/BatchNorm "
    "layers inside it)"
)
STALE_GRADS = (
    "the parameters after the epoch differ from a correct epoch: call optimizer.zero_grad() for "
    "every batch, since gradients accumulate across batches; then forward, loss, backward, step"
)


class ModeProbe(nn.Module):
    """Passes its input through; records the training flag and the batch size of every call."""

    def __init__(self):
        super().__init__()
        self.modes = []
        self.sizes = []

    def forward(self, x):
        self.modes.append(self.training)
        self.sizes.append(x.shape[0])
        return x


def _dataset(seed, n, features=4, outputs=2, device="cpu", classes=None):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=g)
    if classes:
        y = torch.randint(0, classes, (n,), generator=g)
    else:
        y = torch.randn(n, outputs, generator=g)
    return TensorDataset(x.to(device), y.to(device))


def _model(seed, features=4, outputs=2, device="cpu"):
    manual_seed(seed)
    return nn.Sequential(nn.Linear(features, 8), nn.Tanh(), nn.Linear(8, outputs)).to(device)


def _sgd(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


def _reference_epoch(model, loader, loss_fn, make_opt, epochs=1):
    """Trusted: train a copy of `model`; returns (copy, per-epoch weighted mean losses)."""
    ref = copy.deepcopy(model)
    ref.train()
    opt = make_opt(ref.parameters())
    means = []
    for _ in range(epochs):
        total, count = 0.0, 0
        for x, y in loader:
            opt.zero_grad()
            loss = loss_fn(ref(x), y)
            loss.backward()
            opt.step()
            total += loss.item() * x.shape[0]
            count += x.shape[0]
        means.append(total / count)
    return ref, means


def _compare_params(model, ref, hint):
    for (name, p), q in zip(model.named_parameters(), ref.parameters()):
        assert_close(p.detach(), q.detach(), what=f"parameter {name!r} after the epoch", hint=hint,
                     rtol=1e-5, atol=1e-6)


def test_returns_a_float(kata, device):
    """returns the mean loss as a Python float"""
    model = _model(1, device=device)
    loader = DataLoader(_dataset(2, 10, device=device), batch_size=4)
    result = kata.train_epoch(model, loader, F.mse_loss, _sgd(model.parameters()))
    expect_type(result, float, "train_epoch's return value",
                hint="return a Python float: accumulate loss.item(), not the loss tensor "
                     "(adding tensors keeps every batch's graph alive)")


@pytest.mark.weight(2)
@pytest.mark.parametrize("n,batch", [(10, 4), (7, 3), (13, 5)])
def test_mean_is_weighted_by_batch_size(kata, n, batch):
    """returns the per-sample mean loss: batches weighted by their size, last one smaller"""
    model = _model(3 + n)
    loader = DataLoader(_dataset(4 + n, n), batch_size=batch)
    _, means = _reference_epoch(model, loader, F.mse_loss, _sgd)
    result = kata.train_epoch(model, loader, F.mse_loss, _sgd(model.parameters()))
    assert_scalar_close(result, means[0], what=f"the mean loss ({n} samples in batches of {batch})",
                        hint=WEIGHTED)


def test_cross_entropy_classification(kata):
    """works for classification with cross-entropy and class-index targets"""
    model = _model(5, features=6, outputs=3)
    loader = DataLoader(_dataset(6, 11, features=6, classes=3), batch_size=4)
    ref, means = _reference_epoch(model, loader, F.cross_entropy, _sgd)
    result = kata.train_epoch(model, loader, F.cross_entropy, _sgd(model.parameters()))
    assert_scalar_close(result, means[0], what="the mean cross-entropy of the epoch", hint=WEIGHTED)
    _compare_params(model, ref, STALE_GRADS)


def test_counts_only_the_samples_trained_on(kata):
    """with drop_last=True, averages over the samples actually used"""
    model = _model(7)
    loader = DataLoader(_dataset(8, 11), batch_size=4, drop_last=True)  # 8 of 11 samples used
    _, means = _reference_epoch(model, loader, F.mse_loss, _sgd)
    result = kata.train_epoch(model, loader, F.mse_loss, _sgd(model.parameters()))
    assert_scalar_close(result, means[0], what="the mean loss with drop_last=True",
                        hint="divide by the number of samples you trained on, counted batch by "
                             "batch: len(loader.dataset) also counts the samples a drop_last=True "
                             "loader never yields. " + WEIGHTED)


@pytest.mark.weight(2)
def test_parameters_match_a_correct_epoch(kata, device):
    """updates the parameters exactly like a correct epoch"""
    model = _model(9, device=device)
    loader = DataLoader(_dataset(10, 14, device=device), batch_size=4)
    ref, _ = _reference_epoch(model, loader, F.mse_loss, _sgd)
    before = [p.detach().clone() for p in model.parameters()]
    kata.train_epoch(model, loader, F.mse_loss, _sgd(model.parameters()))
    expect(any(not torch.equal(p.detach(), b) for p, b in zip(model.parameters(), before)),
           "the parameters did not change: for every batch call loss.backward() and then "
           "optimizer.step()")
    _compare_params(model, ref, STALE_GRADS)


def test_uses_every_batch(kata):
    """runs the model once on every batch of the loader"""
    manual_seed(11)
    probe = ModeProbe()
    model = nn.Sequential(nn.Linear(4, 4), probe, nn.Linear(4, 2))
    loader = DataLoader(_dataset(12, 10), batch_size=3)
    kata.train_epoch(model, loader, F.mse_loss, _sgd(model.parameters()))
    expect(len(probe.sizes) == len(loader),
           f"the model ran on {len(probe.sizes)} batches, but the loader has {len(loader)}: train on "
           "every batch, once (is the `return` inside the loop?)")
    expect(probe.sizes == [3, 3, 3, 1],
           f"the model saw batches of sizes {probe.sizes}, expected [3, 3, 3, 1]: pass each batch "
           "from the loader to the model as it is")


@pytest.mark.weight(2)
def test_puts_the_model_in_training_mode(kata):
    """runs every forward pass in training mode, submodules included"""
    manual_seed(13)
    probe = ModeProbe()
    model = nn.Sequential(nn.Linear(4, 6), nn.Dropout(0.3), probe, nn.Linear(6, 2))
    model.eval()  # left in eval mode by an earlier evaluation
    loader = DataLoader(_dataset(14, 8), batch_size=4)
    kata.train_epoch(model, loader, F.mse_loss, _sgd(model.parameters()))
    expect(len(probe.modes) > 0, "the model was never called on a batch")
    expect(all(probe.modes), TRAIN_MODE)


def test_batchnorm_statistics_are_updated(kata):
    """trains BatchNorm like a training epoch: running statistics follow the batches"""
    manual_seed(15)
    model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
    model.eval()
    loader = DataLoader(_dataset(16, 12), batch_size=4)
    ref, means = _reference_epoch(model, loader, F.mse_loss, _sgd)
    result = kata.train_epoch(model, loader, F.mse_loss, _sgd(model.parameters()))
    bn, ref_bn = model[1], ref[1]
    assert_close(bn.running_mean, ref_bn.running_mean, what="BatchNorm's running mean after the epoch",
                 hint=TRAIN_MODE, rtol=1e-5, atol=1e-6)
    assert_scalar_close(result, means[0], what="the mean loss with BatchNorm", hint=WEIGHTED)


def test_two_epochs_with_adam(kata):
    """two calls in a row train like two correct epochs"""
    model = _model(17)
    loader = DataLoader(_dataset(18, 9), batch_size=4)
    make_adam = lambda params: torch.optim.Adam(params, lr=0.02)  # noqa: E731
    ref, means = _reference_epoch(model, loader, F.mse_loss, make_adam, epochs=2)
    opt = make_adam(model.parameters())
    got = [kata.train_epoch(model, loader, F.mse_loss, opt) for _ in range(2)]
    for i in range(2):
        assert_scalar_close(got[i], means[i], what=f"the mean loss of epoch {i + 1}", hint=WEIGHTED)
    _compare_params(model, ref, STALE_GRADS)


def test_single_small_batch(kata):
    """works when the whole dataset is one batch smaller than batch_size"""
    model = _model(19)
    loader = DataLoader(_dataset(20, 3), batch_size=8)
    _, means = _reference_epoch(model, loader, F.mse_loss, _sgd)
    result = kata.train_epoch(model, loader, F.mse_loss, _sgd(model.parameters()))
    assert_scalar_close(result, means[0], what="the mean loss of a single batch of 3 samples",
                        hint="use the real batch size inputs.shape[0], not loader.batch_size. " + WEIGHTED)


def test_does_not_change_the_data(kata):
    """leaves the dataset's tensors unchanged"""
    model = _model(21)
    data = _dataset(22, 8)
    x0, y0 = data.tensors[0].clone(), data.tensors[1].clone()
    kata.train_epoch(model, DataLoader(data, batch_size=4), F.mse_loss, _sgd(model.parameters()))
    assert_close(data.tensors[0], x0, what="the dataset's inputs after the epoch",
                 hint="train_epoch changed the data in place: leave the batches as they are")
    assert_close(data.tensors[1], y0, what="the dataset's targets after the epoch",
                 hint="train_epoch changed the data in place: leave the batches as they are")

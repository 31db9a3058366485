"""Hidden tests for 03_training_loop/train_epoch: the checks. The scenarios are in
observe_train_epoch.py."""

import copy

import pytest
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader

from grader.checks import assert_close, assert_scalar_close, expect, expect_type
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

WEIGHTED = (
    "the returned loss is not the mean over all samples of the epoch: weight each batch's loss by "
    "its real batch size (sum loss.item() * inputs.shape[0], then divide by the number of "
    "samples), not by the number of batches; the last batch is smaller"
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


def _compare_params(seen, ref, hint):
    for name, q in ref.named_parameters():
        assert_close(seen.get(name), q.detach(), what=f"parameter {name!r} after the epoch",
                     hint=hint, rtol=1e-5, atol=1e-6)


def test_returns_a_float(observed, device):
    """returns the mean loss as a Python float"""
    expect_type(observed, float, "train_epoch's return value",
                hint="return a Python float: accumulate loss.item(), not the loss tensor "
                     "(adding tensors keeps every batch's graph alive)")


@pytest.mark.weight(2)
@pytest.mark.parametrize("n,batch", [(10, 4), (7, 3), (13, 5)])
def test_mean_is_weighted_by_batch_size(observed, n, batch):
    """returns the per-sample mean loss: batches weighted by their size, last one smaller"""
    loader = DataLoader(scenes.dataset(4 + n, n), batch_size=batch)
    _, means = _reference_epoch(scenes.model(3 + n), loader, F.mse_loss, scenes.sgd)
    assert_scalar_close(observed, means[0],
                        what=f"the mean loss ({n} samples in batches of {batch})", hint=WEIGHTED)


def test_cross_entropy_classification(observed):
    """works for classification with cross-entropy and class-index targets"""
    loader = DataLoader(scenes.dataset(6, 11, features=6, classes=3), batch_size=4)
    model = scenes.model(5, features=6, outputs=3)
    ref, means = _reference_epoch(model, loader, F.cross_entropy, scenes.sgd)
    assert_scalar_close(observed["result"], means[0], what="the mean cross-entropy of the epoch",
                        hint=WEIGHTED)
    _compare_params(observed["params"], ref, STALE_GRADS)


def test_counts_only_the_samples_trained_on(observed):
    """with drop_last=True, averages over the samples actually used"""
    # 8 of 11 samples used
    loader = DataLoader(scenes.dataset(8, 11), batch_size=4, drop_last=True)
    _, means = _reference_epoch(scenes.model(7), loader, F.mse_loss, scenes.sgd)
    assert_scalar_close(observed, means[0], what="the mean loss with drop_last=True",
                        hint="divide by the number of samples you trained on, counted batch by "
                             "batch: len(loader.dataset) also counts the samples a drop_last=True "
                             "loader never yields. " + WEIGHTED)


@pytest.mark.weight(2)
def test_parameters_match_a_correct_epoch(observed, device):
    """updates the parameters exactly like a correct epoch"""
    model = scenes.model(9, device=device)
    loader = DataLoader(scenes.dataset(10, 14, device=device), batch_size=4)
    ref, _ = _reference_epoch(model, loader, F.mse_loss, scenes.sgd)
    before = scenes.params_of(model)
    expect(any(type(observed.get(n)) is not torch.Tensor or not torch.equal(observed[n], b)
               for n, b in before.items()),
           "the parameters did not change: for every batch call loss.backward() and then "
           "optimizer.step()")
    _compare_params(observed, ref, STALE_GRADS)


def test_uses_every_batch(observed):
    """runs the model once on every batch of the loader"""
    batches = len(DataLoader(scenes.dataset(12, 10), batch_size=3))
    expect(type(observed) is list, "the model's calls were not observed")
    expect(len(observed) == batches,
           f"the model ran on {len(observed)} batches, but the loader has {batches}: train on "
           "every batch, once (is the `return` inside the loop?)")
    expect(observed == [3, 3, 3, 1],
           f"the model saw batches of sizes {observed}, expected [3, 3, 3, 1]: pass each batch "
           "from the loader to the model as it is")


@pytest.mark.weight(2)
def test_puts_the_model_in_training_mode(observed):
    """runs every forward pass in training mode, submodules included"""
    expect(type(observed) is list and len(observed) > 0, "the model was never called on a batch")
    expect(all(mode is True for mode in observed), TRAIN_MODE)


def test_batchnorm_statistics_are_updated(observed):
    """trains BatchNorm like a training epoch: running statistics follow the batches"""
    model = scenes.batchnorm_model_left_in_eval()
    loader = DataLoader(scenes.dataset(16, 12), batch_size=4)
    ref, means = _reference_epoch(model, loader, F.mse_loss, scenes.sgd)
    assert_close(observed["running_mean"], ref[1].running_mean,
                 what="BatchNorm's running mean after the epoch", hint=TRAIN_MODE,
                 rtol=1e-5, atol=1e-6)
    assert_scalar_close(observed["result"], means[0], what="the mean loss with BatchNorm",
                        hint=WEIGHTED)


def test_two_epochs_with_adam(observed):
    """two calls in a row train like two correct epochs"""
    loader = DataLoader(scenes.dataset(18, 9), batch_size=4)
    ref, means = _reference_epoch(scenes.model(17), loader, F.mse_loss, scenes.adam, epochs=2)
    got = observed["results"]
    for i in range(2):
        assert_scalar_close(got[i], means[i], what=f"the mean loss of epoch {i + 1}",
                            hint=WEIGHTED)
    _compare_params(observed["params"], ref, STALE_GRADS)


def test_single_small_batch(observed):
    """works when the whole dataset is one batch smaller than batch_size"""
    loader = DataLoader(scenes.dataset(20, 3), batch_size=8)
    _, means = _reference_epoch(scenes.model(19), loader, F.mse_loss, scenes.sgd)
    assert_scalar_close(observed, means[0], what="the mean loss of a single batch of 3 samples",
                        hint="use the real batch size inputs.shape[0], not loader.batch_size. "
                             + WEIGHTED)


def test_does_not_change_the_data(observed):
    """leaves the dataset's tensors unchanged"""
    x0, y0 = scenes.dataset(22, 8).tensors
    assert_close(observed["inputs"], x0, what="the dataset's inputs after the epoch",
                 hint="train_epoch changed the data in place: leave the batches as they are")
    assert_close(observed["targets"], y0, what="the dataset's targets after the epoch",
                 hint="train_epoch changed the data in place: leave the batches as they are")

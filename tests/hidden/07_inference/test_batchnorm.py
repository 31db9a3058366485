"""Hidden tests for 07_inference/batchnorm."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grader.checks import assert_close, expect, expect_tensor, explain, manual_seed

UNBIASED = ("running_var must be updated with the UNBIASED batch variance (divide by n - 1, "
            "x.var(unbiased=True)), while the output is normalised with the biased one (divide by n)")
CHANNELS = {r"doesn't match the broadcast shape|must match the size of tensor|shapes cannot be":
            "the statistics are per channel (dim 1): for (N, C, L) inputs reduce over dims 0 and 2, "
            "giving (C,) statistics, and reshape them to (1, C, 1) to normalise"}
_BN = nn.modules.batchnorm._BatchNorm


# ------------------------------------------------------------------------------ manual step


def _batch(shape, seed, device="cpu", dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    c = shape[1]
    offset = torch.randn(c, generator=g, dtype=dtype).reshape(1, c, *[1] * (len(shape) - 2))
    x = torch.randn(shape, generator=g, dtype=dtype) * 3 + offset
    rm = torch.randn(c, generator=g, dtype=dtype)
    rv = torch.rand(c, generator=g, dtype=dtype) + 0.5
    return x.to(device), rm.to(device), rv.to(device)


def _step(kata, x, rm, rv, **kw):
    with explain(CHANNELS):
        return kata.manual_batchnorm_train_step(x, rm, rv, **kw)


@pytest.mark.weight(2)
@pytest.mark.parametrize("shape", [(16, 4), (5, 3), (4, 3, 6)])
def test_output_matches_batchnorm(kata, shape, device):
    """normalises with the batch's mean and biased variance, per channel, like F.batch_norm"""
    x, rm, rv = _batch(shape, 1, device)
    expected = F.batch_norm(x, rm.clone(), rv.clone(), training=True, momentum=0.1, eps=1e-5)
    out = _step(kata, x, rm, rv, momentum=0.1, eps=1e-5)
    assert_close(out, expected, what=f"the normalised batch of shape {shape}",
                 hint="in train mode normalise with the CURRENT batch's statistics per channel "
                      "(every dim except 1), using the biased variance (divide by n) for the output",
                 rtol=1e-4, atol=1e-5)


@pytest.mark.weight(2)
@pytest.mark.parametrize("shape", [(16, 4), (4, 3, 6)])
def test_running_mean_update(kata, shape):
    """updates running_mean in place: (1 - momentum) * old + momentum * batch mean"""
    x, rm, rv = _batch(shape, 2)
    rm_want = rm.clone()
    F.batch_norm(x, rm_want, rv.clone(), training=True, momentum=0.1)
    _step(kata, x, rm, rv, momentum=0.1, eps=1e-5)
    assert_close(rm, rm_want, what="running_mean after the step", rtol=1e-5, atol=1e-6,
                 hint="update running_mean IN PLACE (running_mean.mul_(1 - m).add_(m * mean)): "
                      "`running_mean = ...` only rebinds a local name. The new batch gets weight "
                      "momentum, the old value 1 - momentum")


@pytest.mark.weight(2)
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 3)])
def test_running_var_is_unbiased(kata, shape):
    """updates running_var in place with the unbiased batch variance"""
    x, rm, rv = _batch(shape, 3)
    rv_want = rv.clone()
    F.batch_norm(x, rm.clone(), rv_want, training=True, momentum=0.1)
    _step(kata, x, rm, rv, momentum=0.1, eps=1e-5)
    assert_close(rv, rv_want, what="running_var after the step", hint=UNBIASED, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("momentum", [0.5, 1.0, 0.01])
def test_uses_the_given_momentum(kata, momentum):
    """weights the new batch by the momentum it is given"""
    x, rm, rv = _batch((8, 3), 4)
    rm_want, rv_want = rm.clone(), rv.clone()
    F.batch_norm(x, rm_want, rv_want, training=True, momentum=momentum)
    _step(kata, x, rm, rv, momentum=momentum, eps=1e-5)
    hint = (f"with momentum={momentum} the running statistics become (1 - momentum) * old + "
            "momentum * new: use the momentum passed in, on the new batch's statistics")
    assert_close(rm, rm_want, what=f"running_mean with momentum={momentum}", hint=hint, rtol=1e-5, atol=1e-6)
    assert_close(rv, rv_want, what=f"running_var with momentum={momentum}", hint=hint, rtol=1e-5, atol=1e-6)


def test_uses_the_given_eps(kata):
    """adds eps to the variance inside the square root"""
    x, rm, rv = _batch((6, 3), 5)
    x = x / 4  # small variance, so eps matters
    expected = F.batch_norm(x, rm.clone(), rv.clone(), training=True, eps=0.5)
    out = _step(kata, x, rm, rv, momentum=0.1, eps=0.5)
    assert_close(out, expected, what="the output with eps=0.5", rtol=1e-5, atol=1e-6,
                 hint="divide by sqrt(var + eps), with the eps passed in (not sqrt(var) + eps)")


@pytest.mark.weight(2)
def test_gradients_and_no_graph_in_running_stats(kata):
    """keeps the output differentiable and the running statistics out of the graph"""
    x, rm, rv = _batch((10, 4), 6, dtype=torch.float64)
    x.requires_grad_()
    xr = x.detach().clone().requires_grad_()
    expected = F.batch_norm(xr, rm.clone(), rv.clone(), training=True)
    out = _step(kata, x, rm, rv, momentum=0.1, eps=1e-5)
    expect_tensor(out, "the output", requires_grad=True,
                  hint="the normalised output must stay in the autograd graph: only the running-"
                       "statistics update goes under torch.no_grad()")
    weights = torch.randn(10, 4, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    (out * weights).sum().backward()
    (expected * weights).sum().backward()
    assert_close(x.grad, xr.grad, what="the gradient with respect to x",
                 hint="the output must depend on x through the batch mean and variance too, as in BatchNorm")
    for name, stat in (("running_mean", rm), ("running_var", rv)):
        expect(not stat.requires_grad and stat.grad_fn is None,
               f"{name} became part of the autograd graph: update it under torch.no_grad() "
               "(running statistics are buffers, not trained)")


def test_input_unchanged_and_device_kept(kata):
    """does not change x and keeps everything on x's device (checked with the meta device)"""
    x, rm, rv = _batch((6, 3), 8)
    x_before = x.clone()
    _step(kata, x, rm, rv)
    assert_close(x, x_before, what="the input after the step", hint="the step changed x in place")
    out = _step(kata, torch.empty(4, 3, 5, device="meta"), torch.empty(3, device="meta"),
                torch.empty(3, device="meta"))
    expect_tensor(out, "the output on the meta device", shape=(4, 3, 5), device="meta",
                  hint="create no tensors on a fixed device: work with x's own device")


# ------------------------------------------------------------------------------ recalibrate_bn


class GradProbe(nn.Module):
    def __init__(self):
        super().__init__()
        self.grad_seen = []

    def forward(self, x):
        self.grad_seen.append(torch.is_grad_enabled())
        return x


def _mlp(seed, dropout=0.0):
    manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(dropout), nn.BatchNorm1d(8), nn.ReLU(),
                          nn.Linear(8, 6), nn.BatchNorm1d(6, momentum=0.3), GradProbe())
    with torch.no_grad():  # stale statistics and trained affine parameters
        for bn in (model[2], model[5]):
            bn.running_mean.uniform_(5, 6)
            bn.running_var.uniform_(5, 6)
            bn.num_batches_tracked += 7
            bn.weight.uniform_(0.5, 2)
            bn.bias.uniform_(-1, 1)
    return model


def _data(seed, n=50, d=4):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g) * 2 + 1
    y = torch.randint(0, 3, (n,), generator=g)
    return x, y


def _reference(model, inputs):
    """torch's own cumulative average: BatchNorms in train mode, momentum None, fresh stats."""
    ref = copy.deepcopy(model)
    ref.eval()
    for m in ref.modules():
        if isinstance(m, _BN):
            m.reset_running_stats()
            m.momentum = None
            m.train()
    with torch.no_grad():
        for batch in inputs:
            ref(batch)
    return [m for m in ref.modules() if isinstance(m, _BN)]


def _bns(model):
    return [m for m in model.modules() if isinstance(m, _BN)]


def _recalibrate(kata, model, loader):
    with explain({r"not tuple|not list|must be Tensor, not": "the loader yields (inputs, targets) "
                  "pairs: feed only the inputs, batch[0], to the model"}):
        kata.recalibrate_bn(model, loader)


def _compare(model, reference, hint):
    for i, (bn, ref) in enumerate(zip(_bns(model), reference)):
        assert_close(bn.running_mean, ref.running_mean, what=f"BatchNorm {i}'s running_mean",
                     hint=hint, rtol=1e-4, atol=1e-5)
        assert_close(bn.running_var, ref.running_var, what=f"BatchNorm {i}'s running_var",
                     hint=hint, rtol=1e-4, atol=1e-5)


STATS = ("the recalibrated statistics are wrong: reset each BatchNorm's running statistics "
         "(reset_running_stats()), set momentum = None for a cumulative average over all batches, "
         "and run the batches with the BatchNorm layers in train mode")


@pytest.mark.weight(3)
def test_recalibrates_from_a_loader_of_pairs(kata):
    """recomputes every BatchNorm's statistics as a cumulative average over (x, y) batches"""
    model = _mlp(10)
    x, y = _data(11)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)  # batches of 16, 16, 16, 2
    reference = _reference(model, [b for b, _ in loader])
    _recalibrate(kata, model, loader)
    _compare(model, reference, STATS)


def test_recalibrates_from_a_list_of_tensors(kata):
    """accepts an iterable of plain input tensors"""
    model = _mlp(12)
    x, _ = _data(13, n=40)
    batches = list(x.split(10))
    reference = _reference(model, batches)
    _recalibrate(kata, model, batches)
    _compare(model, reference, "batches may be plain tensors: feed a tensor batch as it is "
                               "(take batch[0] only from tuples or lists). " + STATS)


@pytest.mark.weight(2)
def test_dropout_stays_off(kata):
    """keeps Dropout in eval mode, so BatchNorm sees the activations inference will see"""
    model = _mlp(14, dropout=0.5)
    x, y = _data(15, n=64)
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    reference = _reference(model, [b for b, _ in loader])
    _recalibrate(kata, model, loader)
    _compare(model, reference,
             "the statistics do not match those of eval-mode activations: put only the BatchNorm "
             "layers in train mode and everything else (Dropout!) in eval mode; model.train() "
             "would feed BatchNorm dropped-out activations")


@pytest.mark.weight(2)
def test_restores_momentum_and_modes(kata):
    """restores each BatchNorm's momentum and every module's train/eval mode"""
    model = _mlp(16)
    model.train()
    model[5].eval()  # a frozen BatchNorm
    before = {n: m.training for n, m in model.named_modules()}
    x, y = _data(17)
    _recalibrate(kata, model, DataLoader(TensorDataset(x, y), batch_size=25))
    expect(model[2].momentum == 0.1 and model[5].momentum == 0.3,
           f"the momenta are {model[2].momentum} and {model[5].momentum} after recalibration, "
           "expected 0.1 and 0.3: put each BatchNorm's momentum back afterwards")
    changed = sorted(n for n, m in model.named_modules() if m.training != before[n])
    expect(not changed, f"the train/eval modes of {changed} changed: remember every module's "
                        ".training flag and set it back afterwards (model.train() is not enough)")
    model.eval()
    _recalibrate(kata, model, [x[:10], x[10:20]])
    expect(not any(m.training for m in model.modules()),
           "a model in eval mode was left in train mode: restore the previous modes")


@pytest.mark.weight(2)
def test_parameters_unchanged_no_autograd(kata):
    """changes no parameter, makes no gradient, and runs under torch.no_grad()"""
    model = _mlp(18)
    params = {n: p.detach().clone() for n, p in model.named_parameters()}
    x, y = _data(19)
    _recalibrate(kata, model, DataLoader(TensorDataset(x, y), batch_size=10))
    for name, p in model.named_parameters():
        assert_close(p.detach(), params[name], what=f"the parameter {name!r}",
                     hint="recalibration must not change parameters: use reset_running_stats(), "
                          "not reset_parameters() (which also resets the BatchNorm weight and bias)")
        expect(p.grad is None, f"{name!r} got a gradient: recalibration needs no backward pass")
    seen = model[6].grad_seen
    expect(len(seen) == 5, f"the model was called {len(seen)} times for 5 batches")
    expect(not any(seen), "the forward passes recorded autograd graphs: run them under torch.no_grad()")
    expect(torch.is_grad_enabled(), "autograd was left switched off: use `with torch.no_grad():`")


def test_all_batchnorm_kinds(kata):
    """recalibrates BatchNorm2d layers too (any _BatchNorm)"""
    manual_seed(20)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU())
    with torch.no_grad():
        model[1].running_mean.fill_(9.0)
    x = torch.randn(12, 2, 5, 5, generator=torch.Generator().manual_seed(21))
    batches = list(x.split(4))
    reference = _reference(model, batches)
    _recalibrate(kata, model, batches)
    _compare(model, reference, "the BatchNorm2d layer was not recalibrated: find every BatchNorm "
                               "with isinstance(m, nn.modules.batchnorm._BatchNorm) (1d, 2d and 3d)")

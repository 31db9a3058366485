"""Scenarios for 07_inference/batchnorm: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_batchnorm.py, which rebuilds the inputs with the builders below."""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grader.checks import explain, manual_seed
from grader.observe import scenario

CHANNELS = {r"doesn't match the broadcast shape|must match the size of tensor|shapes cannot be":
            "the statistics are per channel (dim 1): for (N, C, L) inputs reduce over dims 0 "
            "and 2, giving (C,) statistics, and reshape them to (1, C, 1) to normalise"}
PAIRS = {r"not tuple|not list|must be Tensor, not": "the loader yields (inputs, targets) "
         "pairs: feed only the inputs, batch[0], to the model"}
_BN = nn.modules.batchnorm._BatchNorm


# ------------------------------------------------------------------------------ manual step


def batch(shape, seed, device="cpu", dtype=torch.float32):
    """(x, running_mean, running_var): x with a per-channel offset, stale running statistics."""
    g = torch.Generator().manual_seed(seed)
    c = shape[1]
    offset = torch.randn(c, generator=g, dtype=dtype).reshape(1, c, *[1] * (len(shape) - 2))
    x = torch.randn(shape, generator=g, dtype=dtype) * 3 + offset
    rm = torch.randn(c, generator=g, dtype=dtype)
    rv = torch.rand(c, generator=g, dtype=dtype) + 0.5
    return x.to(device), rm.to(device), rv.to(device)


def small_variance_batch():
    x, rm, rv = batch((6, 3), 5)
    return x / 4, rm, rv  # small variance, so eps matters


def output_weights():
    """Weights of the output in the scalar whose gradient with respect to x is compared."""
    return torch.randn(10, 4, generator=torch.Generator().manual_seed(7), dtype=torch.float64)


def _step(kata, x, rm, rv, **kw):
    with explain(CHANNELS):
        return kata.manual_batchnorm_train_step(x, rm, rv, **kw)


def _graph_facts(t):
    return {"requires_grad": t.requires_grad, "has_grad_fn": t.grad_fn is not None}


@scenario
def output_matches_batchnorm(kata, shape, device):
    x, rm, rv = batch(shape, 1, device)
    return _step(kata, x, rm, rv, momentum=0.1, eps=1e-5)


@scenario
def running_mean_update(kata, shape):
    x, rm, rv = batch(shape, 2)
    _step(kata, x, rm, rv, momentum=0.1, eps=1e-5)
    return rm


@scenario
def running_var_is_unbiased(kata, shape):
    x, rm, rv = batch(shape, 3)
    _step(kata, x, rm, rv, momentum=0.1, eps=1e-5)
    return rv


@scenario
def uses_the_given_momentum(kata, momentum):
    x, rm, rv = batch((8, 3), 4)
    _step(kata, x, rm, rv, momentum=momentum, eps=1e-5)
    return {"running_mean": rm, "running_var": rv}


@scenario
def uses_the_given_eps(kata):
    x, rm, rv = small_variance_batch()
    return _step(kata, x, rm, rv, momentum=0.1, eps=0.5)


@scenario
def gradients_and_no_graph_in_running_stats(kata):
    x, rm, rv = batch((10, 4), 6, dtype=torch.float64)
    x.requires_grad_()
    out = _step(kata, x, rm, rv, momentum=0.1, eps=1e-5)
    if isinstance(out, torch.Tensor) and out.requires_grad:
        (out * output_weights()).sum().backward()
    return {"out": out, "x_grad": x.grad,
            "running_mean": _graph_facts(rm), "running_var": _graph_facts(rv)}


@scenario
def input_unchanged_and_device_kept(kata):
    x, rm, rv = batch((6, 3), 8)
    _step(kata, x, rm, rv)
    meta_out = _step(kata, torch.empty(4, 3, 5, device="meta"), torch.empty(3, device="meta"),
                     torch.empty(3, device="meta"))
    return {"x_after": x, "meta_out": meta_out}


# ------------------------------------------------------------------------------ recalibrate_bn


class GradProbe(nn.Module):
    def __init__(self):
        super().__init__()
        self.grad_seen = []

    def forward(self, x):
        self.grad_seen.append(torch.is_grad_enabled())
        return x


def mlp(seed, dropout=0.0):
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


def mlp_in_train_mode_with_a_frozen_batchnorm():
    model = mlp(16)
    model.train()
    model[5].eval()  # a frozen BatchNorm
    return model


def data(seed, n=50, d=4):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g) * 2 + 1
    y = torch.randint(0, 3, (n,), generator=g)
    return x, y


def conv_model_and_batches():
    manual_seed(20)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU())
    with torch.no_grad():
        model[1].running_mean.fill_(9.0)
    x = torch.randn(12, 2, 5, 5, generator=torch.Generator().manual_seed(21))
    return model, list(x.split(4))


def batchnorms(model):
    return [m for m in model.modules() if isinstance(m, _BN)]


def _recalibrate(kata, model, loader):
    with explain(PAIRS):
        kata.recalibrate_bn(model, loader)


def _statistics(model):
    return [{"running_mean": bn.running_mean, "running_var": bn.running_var}
            for bn in batchnorms(model)]


@scenario
def recalibrates_from_a_loader_of_pairs(kata):
    model = mlp(10)
    x, y = data(11)
    _recalibrate(kata, model, DataLoader(TensorDataset(x, y), batch_size=16))
    return _statistics(model)


@scenario
def recalibrates_from_a_list_of_tensors(kata):
    model = mlp(12)
    x, _ = data(13, n=40)
    _recalibrate(kata, model, list(x.split(10)))
    return _statistics(model)


@scenario
def dropout_stays_off(kata):
    model = mlp(14, dropout=0.5)
    x, y = data(15, n=64)
    _recalibrate(kata, model, DataLoader(TensorDataset(x, y), batch_size=32))
    return _statistics(model)


@scenario
def restores_momentum_and_modes(kata):
    model = mlp_in_train_mode_with_a_frozen_batchnorm()
    x, y = data(17)
    _recalibrate(kata, model, DataLoader(TensorDataset(x, y), batch_size=25))
    momenta = [model[2].momentum, model[5].momentum]
    modes = {name: m.training for name, m in model.named_modules()}
    model.eval()
    _recalibrate(kata, model, [x[:10], x[10:20]])
    return {"momenta": momenta, "modes": modes,
            "modes_after_eval": [m.training for m in model.modules()]}


@scenario
def parameters_unchanged_no_autograd(kata):
    model = mlp(18)
    x, y = data(19)
    _recalibrate(kata, model, DataLoader(TensorDataset(x, y), batch_size=10))
    return {"params": {name: {"value": p.detach(), "grad": p.grad}
                       for name, p in model.named_parameters()},
            "grad_seen": model[6].grad_seen, "grad_enabled": torch.is_grad_enabled()}


@scenario
def all_batchnorm_kinds(kata):
    model, batches = conv_model_and_batches()
    _recalibrate(kata, model, batches)
    return _statistics(model)

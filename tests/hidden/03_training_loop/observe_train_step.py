"""Scenarios for 03_training_loop/train_step: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_train_step.py, which rebuilds the inputs with the builders below."""

import torch
from torch import nn
from torch.nn import functional as F

from grader.checks import manual_seed
from grader.observe import scenario


class ModeProbe(nn.Module):
    """Passes its input through and records whether it ran in training mode."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append(self.training)
        return x


def data(seed, batch, features, outputs, device):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, features, generator=g).to(device)
    y = torch.randn(batch, outputs, generator=g).to(device)
    return x, y


def model(seed, features, outputs, device, hidden=6):
    manual_seed(seed)
    return nn.Sequential(nn.Linear(features, hidden), nn.Tanh(),
                         nn.Linear(hidden, outputs)).to(device)


def optimizers(kind):
    if kind == "sgd":
        return lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9)
    return lambda params: torch.optim.Adam(params, lr=0.05)


def model_with_stale_gradients(seed):
    net = model(seed, 5, 2, "cpu")
    g = torch.Generator().manual_seed(seed)
    for p in net.parameters():  # stale gradients from an earlier backward()
        p.grad = 10 * torch.randn(p.shape, generator=g)
    return net


def linear_model_and_probabilities(device):
    """A linear model and (inputs, targets) with targets in [0, 1], for BCEWithLogitsLoss."""
    manual_seed(13)
    net = nn.Linear(4, 3).to(device)
    g = torch.Generator().manual_seed(14)
    x = torch.randn(9, 4, generator=g).to(device)
    y = torch.rand(9, 3, generator=g).to(device)
    return net, x, y


def probed_model(training):
    manual_seed(15)
    net = nn.Sequential(nn.Linear(4, 4), ModeProbe(), nn.ReLU(), nn.Linear(4, 2))
    net.train(training)
    return net


def adam_batches():
    g = torch.Generator().manual_seed(18)
    return [(torch.randn(6, 5, generator=g), torch.randn(6, 2, generator=g)) for _ in range(4)]


def params_of(net):
    return {name: p.detach() for name, p in net.named_parameters()}


def _sgd(net, lr=0.1):
    return torch.optim.SGD(net.parameters(), lr=lr)


@scenario
def returns_the_loss_as_a_float(kata, device):
    net = model(1, 5, 3, device)
    x, y = data(2, 8, 5, 3, device)
    result = kata.train_step(net, x, y, F.mse_loss, optimizers("sgd")(net.parameters()))
    return {"result": result, "grad_enabled": torch.is_grad_enabled()}


@scenario
def parameters_change(kata, device):
    net = model(3, 4, 2, device)
    x, y = data(4, 6, 4, 2, device)
    kata.train_step(net, x, y, F.mse_loss, _sgd(net))
    return params_of(net)


@scenario
def update_matches_one_correct_step(kata, device, kind):
    net = model(5, 6, 3, device)
    x, y = data(6, 10, 6, 3, device)
    kata.train_step(net, x, y, F.mse_loss, optimizers(kind)(net.parameters()))
    return params_of(net)


@scenario
def clears_stale_gradients(kata, seed):
    net = model_with_stale_gradients(seed)
    x, y = data(seed + 100, 7, 5, 2, "cpu")
    kata.train_step(net, x, y, F.mse_loss, optimizers("sgd")(net.parameters()))
    return params_of(net)


@scenario
def leaves_this_steps_gradients(kata):
    net = model(9, 4, 3, "cpu")
    x, y = data(10, 5, 4, 3, "cpu")
    kata.train_step(net, x, y, F.mse_loss, _sgd(net, lr=0.05))
    return {name: p.grad for name, p in net.named_parameters()}


@scenario
def calls_loss_fn_with_outputs_then_targets(kata):
    net = model(11, 3, 2, "cpu")
    x, y = data(12, 4, 3, 2, "cpu")
    calls = []

    def recording_loss(first, second):
        calls.append((first, second))
        return F.mse_loss(first, second)

    kata.train_step(net, x, y, recording_loss, _sgd(net))
    if not calls:
        return {"calls": 0}
    first, second = calls[0]
    return {"calls": len(calls),
            "first_has_grad_fn": isinstance(first, torch.Tensor) and first.grad_fn is not None,
            "second": second}


@scenario
def asymmetric_loss(kata, device):
    net, x, y = linear_model_and_probabilities(device)
    loss_fn = nn.BCEWithLogitsLoss()
    result = kata.train_step(net, x, y, loss_fn, optimizers("sgd")(net.parameters()))
    return {"result": result, "params": params_of(net)}


@scenario
def keeps_the_callers_mode(kata, training):
    net = probed_model(training)
    x, y = data(16, 6, 4, 2, "cpu")
    kata.train_step(net, x, y, F.mse_loss, _sgd(net))
    return {"seen": net[1].seen, "modes_after": [m.training for m in net.modules()]}


@scenario
def several_steps_with_adam(kata):
    net = model(17, 5, 2, "cpu", hidden=8)
    opt = optimizers("adam")(net.parameters())
    results = [kata.train_step(net, x, y, F.mse_loss, opt) for x, y in adam_batches()]
    return {"results": results, "params": params_of(net)}


@scenario
def does_not_change_inputs_or_targets(kata):
    net = model(19, 3, 3, "cpu")
    x, y = data(20, 5, 3, 3, "cpu")
    kata.train_step(net, x, y, F.mse_loss, _sgd(net))
    return {"inputs": x, "targets": y}

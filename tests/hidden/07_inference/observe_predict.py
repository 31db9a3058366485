"""Scenarios for 07_inference/predict: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_predict.py, which rebuilds the inputs with the builders below."""

import torch
from torch import nn

from grader.checks import manual_seed
from grader.observe import scenario


class Probe(nn.Module):
    """Passes its input through and records (training, grad enabled) at each call."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, torch.is_grad_enabled()))
        return x


class Boom(nn.Module):
    def forward(self, x):
        raise RuntimeError("boom: the forward pass failed")


class Net(nn.Module):
    """Linear -> BatchNorm -> ReLU -> Dropout -> Probe -> Linear; works on (..., d_in)."""

    def __init__(self, d_in=6, hidden=16, classes=5):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(0.5)
        self.probe = Probe()
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        h = self.fc1(x)
        lead = h.shape[:-1]
        h = self.bn(h.reshape(-1, h.shape[-1])).reshape(*lead, -1)
        return self.fc2(self.probe(self.drop(torch.relu(h))))


def net(seed, device="cpu", **kw):
    manual_seed(seed)
    model = Net(**kw).to(device)
    with torch.no_grad():  # give BatchNorm non-trivial running statistics
        model.bn.running_mean.uniform_(-1, 1)
        model.bn.running_var.uniform_(0.5, 2)
    return model


def net_and_input(seed, n):
    """A net and an (n, 6) input drawn right after it from the seeded global generator."""
    model = net(seed)
    return model, torch.randn(n, 6)


def lead_input(lead, device):
    return torch.randn(*lead, 6, generator=torch.Generator().manual_seed(2)).to(device)


def mixed_modes_net():
    """A training net with a frozen (eval mode) BatchNorm, as in fine-tuning."""
    model = net(6)
    model.train()
    model.bn.eval()
    return model


def failing_model(training):
    """A model whose forward raises, its first layer in the other mode than the rest."""
    manual_seed(7)
    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.Dropout(0.1), Boom()))
    model.train(training)
    model[0].train(not training)
    return model


def modes(model):
    return {name: m.training for name, m in model.named_modules()}


def _raised(err):
    return {"raised": type(err).__name__, "message": str(err)[:500]}


@scenario
def class_indices(kata, lead, device):
    model = net(1, device)
    model.train()
    return kata.predict(model, lead_input(lead, device))


@scenario
def forward_in_eval_mode(kata):
    model, x = net_and_input(3, 12)
    model.train()
    kata.predict(model, x)
    return {"seen": model.probe.seen, "running_mean": model.bn.running_mean,
            "running_var": model.bn.running_var}


@scenario
def no_autograd(kata):
    model, x = net_and_input(4, 5)
    kata.predict(model, x)
    return {"seen": model.probe.seen, "grad_enabled": torch.is_grad_enabled()}


@scenario
def restores_the_mode(kata, training):
    model, x = net_and_input(5, 4)
    model.train(training)
    kata.predict(model, x)
    return modes(model)


@scenario
def restores_mixed_modes(kata):
    model = mixed_modes_net()
    kata.predict(model, torch.randn(4, 6))
    return modes(model)


@scenario
def restores_after_an_error(kata, training):
    model = failing_model(training)
    try:
        kata.predict(model, torch.randn(2, 3))
        error = {"raised": None}
    except NotImplementedError:  # a RuntimeError too: the stub, not the model's error
        raise
    except RuntimeError as err:
        error = _raised(err)
    return {"error": error, "modes": modes(model), "grad_enabled": torch.is_grad_enabled()}


@scenario
def input_unchanged(kata):
    model, x = net_and_input(8, 6)
    kata.predict(model, x)
    return x


@scenario
def meta_device(kata):
    model = nn.Sequential(nn.Linear(4, 8, device="meta"), nn.ReLU(),
                          nn.Linear(8, 3, device="meta"))
    try:
        return {"raised": None, "result": kata.predict(model, torch.empty(5, 4, device="meta"))}
    except NotImplementedError as err:  # torch's "Cannot copy out of meta tensor", not a stub
        if "meta tensor" not in str(err):
            raise
        return _raised(err)

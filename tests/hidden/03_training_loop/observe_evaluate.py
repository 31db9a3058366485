"""Scenarios for 03_training_loop/evaluate: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_evaluate.py, which rebuilds the models and data with the builders below."""

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from grader.checks import explain, manual_seed
from grader.observe import scenario

CLASS_DIM = ("take the argmax over the class dimension, outputs.argmax(dim=-1): one predicted "
             "class per sample, shape (B,)")


class Probe(nn.Module):
    """Passes its input through; records training mode and grad mode at every call."""

    def __init__(self):
        super().__init__()
        self.modes = []
        self.grad_modes = []

    def forward(self, x):
        self.modes.append(self.training)
        self.grad_modes.append(torch.is_grad_enabled())
        return x


class LoaderBroke(RuntimeError):
    pass


def dataset(seed, n, features=5, classes=3, device="cpu"):
    """Inputs and class targets that a linear teacher mostly explains (accuracy well above
    chance)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=g)
    teacher = torch.randn(features, classes, generator=g)
    y = (x @ teacher + 0.8 * torch.randn(n, classes, generator=g)).argmax(dim=-1)
    return TensorDataset(x.to(device), y.to(device))


def plain_model(seed, features=5, classes=3, device="cpu"):
    manual_seed(seed)
    return nn.Sequential(nn.Linear(features, 8), nn.ReLU(), nn.Linear(8, classes)).to(device)


def noisy_model(seed, features=5, classes=3, probe=None):
    """A model whose output depends on the mode: Dropout and BatchNorm."""
    manual_seed(seed)
    layers = [nn.Linear(features, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5)]
    if probe is not None:
        layers.append(probe)
    model = nn.Sequential(*layers, nn.Linear(8, classes))
    with torch.no_grad():  # running statistics that differ from any batch's
        model[1].running_mean.uniform_(-1, 1)
        model[1].running_var.uniform_(0.5, 2)
    return model


def probed_plain_model(probe):
    manual_seed(0)
    return nn.Sequential(nn.Linear(5, 6), probe, nn.ReLU(), nn.Linear(6, 3))


def perfect_data():
    """Scores that are their own labels: an nn.Identity classifier is always right."""
    g = torch.Generator().manual_seed(7)
    x = torch.randn(9, 3, generator=g)
    return TensorDataset(x, x.argmax(dim=-1))


def _call(kata, model, loader, loss_fn=F.cross_entropy):
    with explain({r"must match the size of tensor b|The size of tensor a": CLASS_DIM}):
        return kata.evaluate(model, loader, loss_fn)


def _modes(model):
    return {name: module.training for name, module in model.named_modules()}


@scenario
def returns_two_floats(kata, device):
    model = plain_model(1, device=device)
    loader = DataLoader(dataset(2, 10, device=device), batch_size=4)
    return _call(kata, model, loader)


@scenario
def mean_loss_is_weighted_by_batch_size(kata, n, batch):
    model = plain_model(3 + n).eval()
    return _call(kata, model, DataLoader(dataset(4 + n, n), batch_size=batch))


@scenario
def accuracy_over_all_samples(kata, n, batch):
    model = plain_model(5 + n, classes=4).eval()
    return _call(kata, model, DataLoader(dataset(6 + n, n, classes=4), batch_size=batch))


@scenario
def accuracy_is_a_fraction(kata):
    return _call(kata, nn.Identity(), DataLoader(perfect_data(), batch_size=4))


@scenario
def runs_in_eval_mode(kata):
    probe = Probe()
    model = noisy_model(8, probe=probe).train()
    result = _call(kata, model, DataLoader(dataset(9, 12), batch_size=4))
    return {"result": result, "modes": probe.modes}


@scenario
def does_not_change_the_model(kata):
    model = noisy_model(10).train()
    _call(kata, model, DataLoader(dataset(11, 10), batch_size=4))
    return dict(model.state_dict())


@scenario
def builds_no_graph(kata):
    probe = Probe()
    model = probed_plain_model(probe)
    _call(kata, model, DataLoader(dataset(12, 8), batch_size=4))
    return {"grad_modes": probe.grad_modes, "grad_enabled": torch.is_grad_enabled(),
            "parameters": {name: {"grad": p.grad, "requires_grad": p.requires_grad}
                           for name, p in model.named_parameters()}}


@scenario
def restores_training_mode(kata):
    model = noisy_model(13).train()
    _call(kata, model, DataLoader(dataset(14, 8), batch_size=4))
    return _modes(model)


@scenario
def keeps_eval_mode(kata):
    model = noisy_model(15).eval()
    _call(kata, model, DataLoader(dataset(16, 8), batch_size=4))
    return _modes(model)


@scenario
def restores_mode_when_the_loop_fails(kata):
    model = noisy_model(17).train()
    data = dataset(18, 8)

    def failing_loader():
        yield data.tensors[0][:4], data.tensors[1][:4]
        raise LoaderBroke("the data source failed")

    try:
        _call(kata, model, failing_loader())
    except LoaderBroke:
        raised = True
    else:
        raised = False
    return {"raised": raised, "modes": _modes(model)}


@scenario
def argmax_over_the_class_dimension(kata):
    model = plain_model(19, classes=2).eval()
    return _call(kata, model, DataLoader(dataset(20, 11, classes=2), batch_size=5))


@scenario
def does_not_change_the_data(kata):
    data = dataset(21, 8)
    _call(kata, plain_model(22), DataLoader(data, batch_size=4))
    return {"inputs": data.tensors[0], "targets": data.tensors[1]}

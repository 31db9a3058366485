"""Scenarios for 03_training_loop/train_epoch: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_train_epoch.py, which rebuilds the inputs with the builders below."""

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from grader.checks import manual_seed
from grader.observe import scenario


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


def dataset(seed, n, features=4, outputs=2, device="cpu", classes=None):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=g)
    if classes:
        y = torch.randint(0, classes, (n,), generator=g)
    else:
        y = torch.randn(n, outputs, generator=g)
    return TensorDataset(x.to(device), y.to(device))


def model(seed, features=4, outputs=2, device="cpu"):
    manual_seed(seed)
    return nn.Sequential(nn.Linear(features, 8), nn.Tanh(), nn.Linear(8, outputs)).to(device)


def sgd(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


def adam(params):
    return torch.optim.Adam(params, lr=0.02)


def probed_model():
    manual_seed(11)
    return nn.Sequential(nn.Linear(4, 4), ModeProbe(), nn.Linear(4, 2))


def dropout_model_left_in_eval():
    manual_seed(13)
    net = nn.Sequential(nn.Linear(4, 6), nn.Dropout(0.3), ModeProbe(), nn.Linear(6, 2))
    net.eval()  # left in eval mode by an earlier evaluation
    return net


def batchnorm_model_left_in_eval():
    manual_seed(15)
    net = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
    net.eval()
    return net


def params_of(net):
    return {name: p.detach() for name, p in net.named_parameters()}


def _epoch(kata, net, loader, loss_fn=F.mse_loss, make_opt=sgd):
    return kata.train_epoch(net, loader, loss_fn, make_opt(net.parameters()))


@scenario
def returns_a_float(kata, device):
    net = model(1, device=device)
    return _epoch(kata, net, DataLoader(dataset(2, 10, device=device), batch_size=4))


@scenario
def mean_is_weighted_by_batch_size(kata, n, batch):
    net = model(3 + n)
    return _epoch(kata, net, DataLoader(dataset(4 + n, n), batch_size=batch))


@scenario
def cross_entropy_classification(kata):
    net = model(5, features=6, outputs=3)
    loader = DataLoader(dataset(6, 11, features=6, classes=3), batch_size=4)
    result = _epoch(kata, net, loader, loss_fn=F.cross_entropy)
    return {"result": result, "params": params_of(net)}


@scenario
def counts_only_the_samples_trained_on(kata):
    net = model(7)
    return _epoch(kata, net, DataLoader(dataset(8, 11), batch_size=4, drop_last=True))


@scenario
def parameters_match_a_correct_epoch(kata, device):
    net = model(9, device=device)
    _epoch(kata, net, DataLoader(dataset(10, 14, device=device), batch_size=4))
    return params_of(net)


@scenario
def uses_every_batch(kata):
    net = probed_model()
    _epoch(kata, net, DataLoader(dataset(12, 10), batch_size=3))
    return net[1].sizes


@scenario
def puts_the_model_in_training_mode(kata):
    net = dropout_model_left_in_eval()
    _epoch(kata, net, DataLoader(dataset(14, 8), batch_size=4))
    return net[2].modes


@scenario
def batchnorm_statistics_are_updated(kata):
    net = batchnorm_model_left_in_eval()
    result = _epoch(kata, net, DataLoader(dataset(16, 12), batch_size=4))
    return {"result": result, "running_mean": net[1].running_mean}


@scenario
def two_epochs_with_adam(kata):
    net = model(17)
    loader = DataLoader(dataset(18, 9), batch_size=4)
    opt = adam(net.parameters())
    results = [kata.train_epoch(net, loader, F.mse_loss, opt) for _ in range(2)]
    return {"results": results, "params": params_of(net)}


@scenario
def single_small_batch(kata):
    net = model(19)
    return _epoch(kata, net, DataLoader(dataset(20, 3), batch_size=8))


@scenario
def does_not_change_the_data(kata):
    net = model(21)
    data = dataset(22, 8)
    _epoch(kata, net, DataLoader(data, batch_size=4))
    return {"inputs": data.tensors[0], "targets": data.tensors[1]}

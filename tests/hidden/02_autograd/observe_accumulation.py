"""Scenarios for 02_autograd/accumulation: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_accumulation.py, which rebuilds the inputs with the builders below."""

import torch
import torch.nn.functional as F
from torch import nn

from grader.checks import manual_seed
from grader.observe import scenario

# (N, micro_batches) pairs run one after the other on fresh models.
SPLITS = ((12, 3), (8, 2), (6, 6))


def model(seed, din=4, dout=3, dropout=False, dtype=torch.float64, device="cpu"):
    manual_seed(seed)
    layers = ([nn.Linear(din, 8), nn.Tanh()] + ([nn.Dropout(0.5)] if dropout else [])
              + [nn.Linear(8, dout)])
    return nn.Sequential(*layers).to(device=device, dtype=dtype)


def data(n, din, dout, seed, classes=False, dtype=torch.float64, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, din, generator=g, dtype=dtype)
    t = (torch.randint(0, dout, (n,), generator=g) if classes
         else torch.randn(n, dout, generator=g, dtype=dtype))
    return x.to(device), t.to(device)


def stale_grads(model, device):
    """Large gradients left over from an earlier step, one per parameter."""
    g = torch.Generator().manual_seed(7)
    return {n: (torch.randn(p.shape, generator=g, dtype=p.dtype) * 10).to(device)
            for n, p in model.named_parameters()}


def recorder(model):
    """Logs ('F', batch size) for each forward and 'B' for each backward reaching the first
    weight."""
    events = []
    model.register_forward_hook(lambda mod, args, out: events.append(("F", int(args[0].shape[0]))))
    first = next(model.parameters())
    first.register_hook(lambda grad: events.append(("B", 0)))
    return events


def _grads(model):
    """A snapshot: a later call may zero and refill the same .grad tensors in place."""
    return {n: None if p.grad is None else p.grad.clone() for n, p in model.named_parameters()}


@scenario
def matches_one_big_batch(kata, device, n, k):
    net = model(1 + n, device=device)
    x, t = data(n, 4, 3, 2 + n, device=device)
    kata.accumulate_gradients(net, nn.MSELoss(), x, t, k)
    return _grads(net)


@scenario
def matches_one_big_batch_for_classification(kata):
    net = model(3, din=5, dout=4)
    x, t = data(12, 5, 4, 4, classes=True)
    kata.accumulate_gradients(net, F.cross_entropy, x, t, 3)
    return _grads(net)


@scenario
def replaces_old_gradients(kata, device):
    net = model(5, device=device)
    x, t = data(8, 4, 3, 6, device=device)
    stale = stale_grads(net, device)
    for n, p in net.named_parameters():
        p.grad = stale[n].clone()
    kata.accumulate_gradients(net, nn.MSELoss(), x, t, 4)
    return _grads(net)


@scenario
def works_on_a_fresh_model(kata):
    net = model(8)
    x, t = data(6, 4, 3, 9)
    kata.accumulate_gradients(net, nn.MSELoss(), x, t, 3)
    return _grads(net)


@scenario
def returns_the_whole_batch_loss(kata, n, k):
    net = model(10 + n)
    x, t = data(n, 4, 3, 11 + n)
    return kata.accumulate_gradients(net, nn.MSELoss(), x, t, k)


@scenario
def splits_into_the_given_number_of_micro_batches(kata):
    sizes = []
    for n, k in SPLITS:
        net = model(12)
        x, t = data(n, 4, 3, 13)
        events = recorder(net)
        kata.accumulate_gradients(net, nn.MSELoss(), x, t, k)
        sizes.append([size for kind, size in events if kind == "F"])
    return sizes


@scenario
def backward_after_each_forward(kata):
    net = model(14)
    x, t = data(8, 4, 3, 15)
    events = recorder(net)
    kata.accumulate_gradients(net, nn.MSELoss(), x, t, 4)
    return [kind for kind, _ in events]


@scenario
def keeps_the_mode(kata):
    net = model(16, dropout=True).eval()
    x, t = data(8, 4, 3, 17)
    kata.accumulate_gradients(net, nn.MSELoss(), x, t, 2)
    in_eval = {"modes": [m.training for m in net.modules()], "grads": _grads(net)}
    net.train()
    kata.accumulate_gradients(net, nn.MSELoss(), x, t, 2)
    return {"in_eval": in_eval, "train_mode_kept": net.training}


@scenario
def changes_nothing_but_grad(kata):
    net = model(18)
    x, t = data(8, 4, 3, 19)
    kata.accumulate_gradients(net, nn.MSELoss(), x, t, 2)
    return {"params": {n: {"value": p.detach(), "requires_grad": p.requires_grad}
                       for n, p in net.named_parameters()},
            "inputs": x, "targets": t, "grad_enabled": torch.is_grad_enabled()}


@scenario
def float32_model(kata):
    net = model(20, dtype=torch.float32)
    x, t = data(16, 4, 3, 21, dtype=torch.float32)
    kata.accumulate_gradients(net, nn.MSELoss(), x, t, 4)
    return _grads(net)

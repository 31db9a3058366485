"""Scenarios for 02_autograd/sgd: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_sgd.py, which rebuilds the inputs with the builders below."""

import torch
from torch import nn

from grader.checks import manual_seed
from grader.observe import scenario


def param(shape, device, seed):
    g = torch.Generator().manual_seed(seed)
    p = torch.randn(shape, generator=g).to(device).requires_grad_()
    p.grad = torch.randn(shape, generator=g).to(device)
    return p


def params_for_update(device):
    return [param((4, 3), device, 1), param((5,), device, 2), param((), device, 3)]


def model_with_grads(device):
    manual_seed(6)
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)).to(device)
    x = torch.randn(8, 4, device=device)
    model(x).pow(2).mean().backward()
    return model


def _step(kata, params, lr):
    return kata.sgd_step(params, lr=lr)


def _state(p):
    return {"value": p.detach(), "grad": p.grad, "is_leaf": p.is_leaf,
            "has_grad_fn": p.grad_fn is not None, "requires_grad": p.requires_grad,
            "device": p.device.type}


@scenario
def update_values(kata, device):
    params = params_for_update(device)
    _step(kata, params, 0.05)
    return [_state(p) for p in params]


@scenario
def uses_the_given_learning_rate(kata, lr):
    p = param((6,), "cpu", 4)
    _step(kata, [p], lr)
    return _state(p)


@scenario
def changes_the_parameter_in_place(kata, device):
    p = param((3, 3), device, 5)
    _step(kata, [p], 0.1)
    return _state(p)


@scenario
def updates_a_model_through_parameters_generator(kata, device):
    model = model_with_grads(device)
    _step(kata, model.parameters(), 0.1)
    return {name: _state(p) for name, p in model.named_parameters()}


@scenario
def clears_gradients(kata, device):
    p = param((2, 2), device, 7)
    _step(kata, [p], 0.1)
    return _state(p)


@scenario
def two_steps_use_fresh_gradients(kata):
    w = torch.tensor([2.0], requires_grad=True)
    (w * 3).sum().backward()  # grad 3
    _step(kata, [w], 0.1)
    (w * 3).sum().backward()  # grad 3 again if cleared, 6 if not
    _step(kata, [w], 0.1)
    return _state(w)


@scenario
def skips_parameters_without_gradient(kata, device):
    used = param((3,), device, 8)
    unused = torch.ones(3, device=device, requires_grad=True)
    _step(kata, [unused, used], 0.5)
    return {"unused": _state(unused), "used": _state(used)}


@scenario
def returns_none_and_keeps_grad_mode(kata):
    p = param((2,), "cpu", 9)
    result = _step(kata, [p], 0.1)
    return {"result": result, "grad_enabled": torch.is_grad_enabled()}


@scenario
def device_of_parameters_is_kept(kata):
    p = torch.empty(4, 2, device="meta", requires_grad=True)
    p.grad = torch.empty(4, 2, device="meta")
    _step(kata, [p], 0.1)
    return _state(p)

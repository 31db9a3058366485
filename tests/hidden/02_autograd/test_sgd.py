"""Hidden tests for 02_autograd/sgd."""

import pytest
import torch
from torch import nn

from grader.checks import assert_close, expect, expect_type, manual_seed

NOT_IN_PLACE = ("the parameter itself did not change: `p = p - lr * p.grad` only rebinds a local "
                "name; update the tensor in place (p -= ..., p.sub_(...)) inside torch.no_grad()")


def _param(shape, device, seed):
    g = torch.Generator().manual_seed(seed)
    p = torch.randn(shape, generator=g).to(device).requires_grad_()
    p.grad = torch.randn(shape, generator=g).to(device)
    return p


def test_update_values(kata, device):
    """updates each parameter to p - lr * grad"""
    params = [_param((4, 3), device, 1), _param((5,), device, 2), _param((), device, 3)]
    expected = [(p.detach() - 0.05 * p.grad).clone() for p in params]
    kata.sgd_step(params, lr=0.05)
    for i, (p, want) in enumerate(zip(params, expected)):
        assert_close(p.detach(), want, what=f"parameter {i} after the step",
                     hint="each parameter should become p - lr * p.grad (did you add instead of "
                          "subtract, or use a fixed learning rate?)")


@pytest.mark.parametrize("lr", [1.0, 0.3, 1e-3])
def test_uses_the_given_learning_rate(kata, lr):
    """scales the step by the learning rate it is given"""
    p = _param((6,), "cpu", 4)
    expected = p.detach() - lr * p.grad
    kata.sgd_step([p], lr=lr)
    assert_close(p.detach(), expected, what=f"the parameter after a step with lr={lr}",
                 hint="the step must be lr * grad with the lr passed in, not a fixed number")


def test_changes_the_parameter_in_place(kata, device):
    """changes the parameter tensors themselves, keeping them leaves that require grad"""
    p = _param((3, 3), device, 5)
    before = p.detach().clone()
    kata.sgd_step([p], lr=0.1)
    expect(not bool(torch.equal(p.detach(), before)), NOT_IN_PLACE)
    expect(p.is_leaf and p.grad_fn is None,
           "the parameter is no longer a leaf: the update was recorded by autograd. "
           "Do the update inside torch.no_grad()")
    expect(p.requires_grad,
           "the parameter no longer requires grad: do not switch requires_grad off to get "
           "around the in-place error; use torch.no_grad() instead")


def test_updates_a_model_through_parameters_generator(kata, device):
    """works on model.parameters(), a one-shot generator"""
    manual_seed(6)
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)).to(device)
    x = torch.randn(8, 4, device=device)
    model(x).pow(2).mean().backward()
    expected = {n: (p.detach() - 0.1 * p.grad).clone() for n, p in model.named_parameters()}
    kata.sgd_step(model.parameters(), lr=0.1)
    for name, p in model.named_parameters():
        assert_close(p.detach(), expected[name], what=f"model parameter {name!r}",
                     hint="every parameter of the model should be updated: "
                          "`params` is a generator that can be iterated only once")
        expect(p.grad is None or not bool(p.grad.any()),
               f"the gradient of {name!r} was not cleared. Note `params` is a one-shot "
               "generator: a second loop over it sees nothing; do everything in one loop")


def test_clears_gradients(kata, device):
    """clears every gradient after using it, so the next backward() starts from zero"""
    p = _param((2, 2), device, 7)
    kata.sgd_step([p], lr=0.1)
    expect(p.grad is None or not bool(p.grad.any()),
           "gradients were not cleared: they accumulate across steps, since backward() adds into "
           ".grad. Set p.grad = None (or zero it) after the update")


def test_two_steps_use_fresh_gradients(kata):
    """a second step after a new backward() uses only the new gradient"""
    w = torch.tensor([2.0], requires_grad=True)
    (w * 3).sum().backward()  # grad 3
    kata.sgd_step([w], lr=0.1)  # 2 - 0.3 = 1.7
    (w * 3).sum().backward()  # grad 3 again if cleared, 6 if not
    kata.sgd_step([w], lr=0.1)
    assert_close(w.detach(), torch.tensor([1.4]), what="the parameter after two steps",
                 hint="gradients were not cleared: they accumulate across steps")


def test_skips_parameters_without_gradient(kata, device):
    """leaves a parameter whose .grad is None untouched"""
    used = _param((3,), device, 8)
    unused = torch.ones(3, device=device, requires_grad=True)
    expected = used.detach() - 0.5 * used.grad
    kata.sgd_step([unused, used], lr=0.5)
    assert_close(unused.detach(), torch.ones(3, device=device), what="the parameter without a gradient",
                 hint="a parameter whose .grad is None took no part in the loss: skip it")
    assert_close(used.detach(), expected, what="the parameter after the one without a gradient",
                 hint="after skipping a parameter without gradient, go on with the others (continue, not break/return)")


def test_returns_none_and_keeps_grad_mode(kata):
    """returns None and leaves autograd switched on"""
    p = _param((2,), "cpu", 9)
    result = kata.sgd_step([p], lr=0.1)
    expect_type(result, type(None), "sgd_step's return value",
                hint="sgd_step changes the parameters in place and returns nothing")
    expect(torch.is_grad_enabled(),
           "autograd was left switched off after sgd_step: use the `with torch.no_grad():` block, "
           "which switches it back on, rather than torch.set_grad_enabled(False)")


def test_device_of_parameters_is_kept(kata):
    """works on the meta device without moving anything to the CPU"""
    p = torch.empty(4, 2, device="meta", requires_grad=True)
    p.grad = torch.empty(4, 2, device="meta")
    kata.sgd_step([p], lr=0.1)
    expect(p.device.type == "meta", "the parameter was moved off its device: update it where it lives")

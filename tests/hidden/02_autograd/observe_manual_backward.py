"""Scenarios for 02_autograd/manual_backward: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_manual_backward.py, which rebuilds the inputs with the builders below."""

import torch

from grader.checks import explain
from grader.observe import scenario

BY_HAND = ("the backward must be written by hand (dy = 2 (y - t) / (N*O), then matrix products), "
           "not by calling autograd: it is called inside torch.inference_mode(), where backward() "
           "and torch.autograd.grad cannot run")
NOT_BY_HAND = {r"[Ii]nference tensor|does not require grad|does not have a grad_fn": BY_HAND}
NO_GRAD_CALLER = {r"does not require grad|does not have a grad_fn":
                  "autograd is off inside torch.no_grad(): " + BY_HAND}


def inputs(n, i, o, seed, dtype=torch.float64, device="cpu"):
    """(x, W, b, target) of shapes (N, I), (O, I), (O,), (N, O)."""
    g = torch.Generator().manual_seed(seed)
    x, W, b, t = (torch.randn(shape, generator=g, dtype=dtype).to(device)
                  for shape in ((n, i), (o, i), (o,), (n, o)))
    return x, W, b * 3, t


def meta_inputs():
    return tuple(torch.empty(s, device="meta") for s in ((5, 2), (3, 2), (3,), (5, 3)))


def _backward(kata, *args):
    with explain(NOT_BY_HAND):
        return kata.linear_mse_backward(*args)


def _state(v):
    return {"value": v.detach(), "requires_grad": v.requires_grad, "grad": v.grad}


@scenario
def loss_values(kata, n, i, o):
    return kata.linear_mse_loss(*inputs(n, i, o, 1 + n))


@scenario
def gradients_match_autograd(kata, n, i, o):
    return _backward(kata, *inputs(n, i, o, 10 + n + i + o))


@scenario
def shapes_when_inputs_and_outputs_differ(kata):
    return _backward(kata, *inputs(5, 4, 3, 20))


@scenario
def keeps_the_dtype(kata, dtype):
    return _backward(kata, *inputs(3, 2, 4, 21, dtype=dtype))


@scenario
def plain_gradients_for_parameters(kata):
    x, W, b, t = inputs(4, 3, 2, 22)
    W.requires_grad_()
    b.requires_grad_()
    result = _backward(kata, x, W, b, t)
    return {"result": result, "W_grad": W.grad, "b_grad": b.grad}


@scenario
def does_not_change_the_inputs(kata):
    args = inputs(3, 3, 3, 23)
    _backward(kata, *args)
    return [_state(v) for v in args]


@scenario
def written_by_hand(kata):
    with torch.inference_mode():
        made_there = inputs(4, 3, 2, 24)
        from_inference = _backward(kata, *made_there)
    made_outside = inputs(3, 2, 5, 27)
    with torch.inference_mode():
        from_outside = _backward(kata, *made_outside)
    return [from_inference, from_outside]


@scenario
def works_inside_no_grad(kata):
    args = inputs(2, 3, 4, 25)
    with torch.no_grad(), explain(NO_GRAD_CALLER):
        return _backward(kata, *args)


@scenario
def keeps_the_device(kata):
    return _backward(kata, *meta_inputs())


@scenario
def gradients_on_cuda(kata):
    return _backward(kata, *inputs(6, 4, 3, 26, device="cuda"))

"""Public tests for 02_autograd/accumulation: the basics. The hidden suite checks much more."""

import copy

import torch
from torch import nn

from grader.checks import assert_close, assert_scalar_close, expect, manual_seed


def _setup():
    manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    x = torch.randn(8, 3, dtype=torch.float64)
    t = torch.randn(8, 2, dtype=torch.float64)
    twin = copy.deepcopy(model)
    loss = nn.MSELoss()(twin(x), t)
    loss.backward()
    return model, twin, x, t, loss.item()


def test_same_gradient_as_one_big_batch(kata):
    """two micro-batches leave the same .grad as the whole batch"""
    model, twin, x, t, _ = _setup()
    kata.accumulate_gradients(model, nn.MSELoss(), x, t, 2)
    for (name, p), q in zip(model.named_parameters(), twin.parameters()):
        expect(p.grad is not None, f"the gradient of {name!r} is None: call backward() on each micro-batch loss")
        assert_close(p.grad, q.grad, what=f"the gradient of {name!r}",
                     hint="divide each micro-batch loss by the number of micro-batches before backward()")


def test_returns_the_loss(kata):
    """returns the whole batch's loss as a float"""
    model, _, x, t, loss = _setup()
    got = kata.accumulate_gradients(model, nn.MSELoss(), x, t, 4)
    assert_scalar_close(got, loss, what="the returned loss",
                        hint="return the mean of the micro-batch losses (the sum of the scaled ones)")

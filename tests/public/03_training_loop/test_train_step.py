"""Public tests for 03_training_loop/train_step: the basics. The hidden suite checks much more."""

import torch
from torch import nn
from torch.nn import functional as F

from grader.checks import assert_close, assert_scalar_close, expect, manual_seed


def _setup():
    manual_seed(0)
    model = nn.Linear(3, 1)
    x = torch.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    y = torch.tensor([[1.0], [-1.0]])
    return model, x, y


def test_returns_the_loss_as_a_float(kata):
    """returns the batch's loss (before the update) as a Python float"""
    model, x, y = _setup()
    expected = F.mse_loss(model(x), y).item()
    result = kata.train_step(model, x, y, F.mse_loss, torch.optim.SGD(model.parameters(), lr=0.1))
    assert_scalar_close(result, expected, what="train_step's return value",
                        hint="return loss.item(), the loss computed before optimizer.step()")


def test_takes_one_sgd_step(kata):
    """moves the parameters by -lr * gradient"""
    model, x, y = _setup()
    grads = torch.autograd.grad(F.mse_loss(model(x), y), [model.weight, model.bias])
    expected = model.weight.detach() - 0.1 * grads[0]
    kata.train_step(model, x, y, F.mse_loss, torch.optim.SGD(model.parameters(), lr=0.1))
    assert_close(model.weight.detach(), expected, what="the weight after one step",
                 hint="zero_grad, forward, loss_fn(outputs, targets), backward, then optimizer.step()")


def test_keeps_the_mode(kata):
    """does not switch the model between train and eval mode"""
    model, x, y = _setup()
    model.eval()
    kata.train_step(model, x, y, F.mse_loss, torch.optim.SGD(model.parameters(), lr=0.1))
    expect(not model.training, "do not call model.train() (or eval()) in train_step: the caller chooses the mode")

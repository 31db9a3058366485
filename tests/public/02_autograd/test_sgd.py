"""Public tests for 02_autograd/sgd: the basics. The hidden suite checks much more."""

import torch

from grader.checks import assert_close, expect


def test_moves_against_the_gradient(kata):
    """subtracts lr * grad from a parameter"""
    p = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (p * p).sum().backward()  # grad = 2p
    kata.sgd_step([p], lr=0.1)
    assert_close(p.detach(), torch.tensor([0.8, 1.6, 2.4]), what="the parameter after one step",
                 hint="the step should be p - lr * grad (grad of sum(p*p) is 2p)")


def test_clears_the_gradient(kata):
    """clears the gradient after the step"""
    p = torch.tensor([1.0], requires_grad=True)
    (3 * p).sum().backward()
    kata.sgd_step([p], lr=0.1)
    expect(p.grad is None or bool((p.grad == 0).all()),
           "the gradient was not cleared after the step: the next backward() would add onto it")

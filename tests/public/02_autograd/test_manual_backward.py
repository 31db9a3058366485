"""Public tests for 02_autograd/manual_backward: the basics. The hidden suite checks much more."""

import torch
import torch.nn.functional as F

from grader.checks import assert_close


def _inputs():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, generator=g, dtype=torch.float64)
    W = torch.randn(2, 3, generator=g, dtype=torch.float64)
    b = torch.randn(2, generator=g, dtype=torch.float64)
    t = torch.randn(4, 2, generator=g, dtype=torch.float64)
    return x, W, b, t


def test_loss(kata):
    """linear_mse_loss is the mean squared error of x @ W.T + b"""
    x, W, b, t = _inputs()
    assert_close(kata.linear_mse_loss(x, W, b, t), F.mse_loss(x @ W.T + b, t), what="the loss",
                 hint="mean over all elements of (x @ W.T + b - target)^2")


def test_backward_matches_autograd(kata):
    """dW, db, dx equal autograd's gradients"""
    x, W, b, t = _inputs()
    leaves = [v.clone().requires_grad_() for v in (x, W, b)]
    F.mse_loss(leaves[0] @ leaves[1].T + leaves[2], t).backward()
    dW, db, dx = kata.linear_mse_backward(x, W, b, t)
    assert_close(dW, leaves[1].grad, what="dW", hint="dW = dy.T @ x with dy = 2 (y - t) / (N*O)")
    assert_close(db, leaves[2].grad, what="db", hint="db = dy summed over the batch")
    assert_close(dx, leaves[0].grad, what="dx", hint="dx = dy @ W")

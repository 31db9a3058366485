"""Public tests for 02_autograd/gradients: the basics. The hidden suite checks much more."""

import torch

from grader.checks import assert_close, expect


def test_derivative_of_a_square(kata):
    """derivative of sum(x^2) is 2x"""
    x = torch.tensor([1.0, -2.0, 3.0])
    got = kata.derivative(lambda t: (t * t).sum(), x)
    assert_close(got, torch.tensor([2.0, -4.0, 6.0]), what="the derivative of sum(x^2)",
                 hint="make a leaf copy of x that requires grad, call f(leaf).backward(), return leaf.grad")
    expect(not x.requires_grad and x.grad is None,
           "changed the caller's tensor: make your own leaf with x.detach().requires_grad_()")


def test_two_losses_from_one_forward(kata):
    """two_loss_grads gives each loss its own gradient"""
    x = torch.tensor([0.5, 1.0])

    def forward(t):
        h = t.exp()
        return h.sum(), (h * h).sum()

    got_a, got_b = kata.two_loss_grads(forward, x)
    assert_close(got_a, x.exp(), what="d sum(exp(x)) / dx")
    assert_close(got_b, 2 * (2 * x).exp(), what="d sum(exp(x)^2) / dx",
                 hint="clear .grad between the two backward() calls, or the second adds onto the first")


def test_gradient_of_an_intermediate(kata):
    """intermediate_grads returns the gradient of a non-leaf tensor"""
    x = torch.tensor([1.0, 2.0])
    got_h, got_x = kata.intermediate_grads(lambda t: 2 * t, lambda h: (h ** 2).sum(), x)
    expect(got_h is not None, "the gradient of h is None: call h.retain_grad() before backward()")
    assert_close(got_h, torch.tensor([4.0, 8.0]), what="dL/dh for L = sum(h^2), h = 2x")
    assert_close(got_x, torch.tensor([8.0, 16.0]), what="dL/dx for L = sum((2x)^2)")


def test_gradcheck_of_sin(kata):
    """gradient_is_correct says True for torch.sin"""
    ok = kata.gradient_is_correct(torch.sin, torch.tensor([0.1, 0.7, -1.2]))
    expect(ok is True, "torch.sin has a correct gradient: run gradcheck on a float64 copy of x "
                       "that requires grad, and return its bool")

# Generated from solutions/02_autograd/gradients.py by `python -m grader build` (4 to do): replace each NotImplementedError.
"""Kata 02_autograd/gradients: ask autograd for gradients, and leave no trace behind.

Autograd records the operations on tensors that require grad; `loss.backward()` walks that record
backwards and *adds* d loss / d leaf into each leaf's `.grad`. Four small tools:

- `derivative(f, x)`: the gradient of a scalar function at `x`. Work on your own leaf,
  `x.detach().requires_grad_()`, so the caller's `x` is not changed (its `requires_grad`, its
  `.grad`) and nothing flows back into whatever graph `x` came from. Wrap the work in
  `torch.enable_grad()` so it also works when the caller is inside `torch.no_grad()`.
- `two_loss_grads(forward, x)`: one forward pass gives two losses; return the gradient of each.
  `backward()` frees the graph's saved tensors, so the first call needs `retain_graph=True`.
  And `backward()` adds into `.grad`: clear it between the two calls (`x.grad = None`), or the
  second gradient is the sum of both.
- `intermediate_grads(first, second, x)`: only leaves keep `.grad`. To read the gradient of an
  intermediate (non-leaf) tensor `h`, call `h.retain_grad()` *before* `backward()`.
- `gradient_is_correct(fn, x)`: `torch.autograd.gradcheck` compares autograd's gradient with a
  finite-difference estimate. It needs float64 inputs (float32 is too coarse for its tiny
  steps) that require grad, and `raise_exception=False` to answer False instead of raising.

Pitfall common to all four: `x.requires_grad_()` on the caller's tensor changes *their* tensor
(and `x.double()` returns `x` itself when `x` is already float64). Make your own leaf first.
"""

from collections.abc import Callable

import torch


def derivative(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The gradient of the scalar function `f` at `x`.

    Args:
        f: takes a tensor shaped like `x` and returns a 0-dim tensor.
        x: a floating-point tensor of any shape, on any device. It is not changed: after the call
           its values, `requires_grad` and `.grad` are what they were.

    Returns df/dx at x: a plain tensor with x's shape, dtype and device, not requiring grad.
    Works even when called inside `torch.no_grad()`.
    """
    # TODO: inside torch.enable_grad(), make a fresh leaf from x (detach it, then
    # TODO: requires_grad_()), compute f of it, call backward() and return the leaf's .grad.
    raise NotImplementedError("02_autograd/gradients: derivative() is not implemented yet: replace this line with your code")


def two_loss_grads(
    forward: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]], x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The gradients of two losses that share one forward pass.

    Args:
        forward: takes a tensor shaped like `x` and returns two 0-dim tensors (loss_a, loss_b)
            computed from one shared graph. Call it exactly once.
        x: a floating-point tensor of any shape; it is not changed.

    Returns (d loss_a / dx, d loss_b / dx): two plain tensors shaped like x, not requiring grad,
    each the gradient of its own loss only.
    """
    # TODO: make a fresh leaf from x, call forward once, backward() the first loss with
    # TODO: retain_graph=True, keep its gradient, clear the leaf's .grad, backward() the second.
    raise NotImplementedError("02_autograd/gradients: two_loss_grads() is not implemented yet: replace this line with your code")


def intermediate_grads(
    first: Callable[[torch.Tensor], torch.Tensor],
    second: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients of L = second(first(x)) with respect to the intermediate h = first(x) and to x.

    Args:
        first: maps x to an intermediate tensor h (any shape).
        second: maps h to a 0-dim loss L.
        x: a floating-point tensor of any shape; it is not changed.

    Returns (dL/dh, dL/dx): plain tensors shaped like h and like x, not requiring grad.
    """
    # TODO: make a fresh leaf from x, compute h = first(leaf) and call h.retain_grad() before
    # TODO: backward() of second(h); then return h.grad and the leaf's .grad.
    raise NotImplementedError("02_autograd/gradients: intermediate_grads() is not implemented yet: replace this line with your code")


def gradient_is_correct(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> bool:
    """Whether autograd's gradient of `fn` at `x` matches a finite-difference estimate.

    Args:
        fn: takes one tensor and returns a tensor (for example a custom torch.autograd.Function's
            `apply`, whose hand-written backward you want to test).
        x: a floating-point tensor of any dtype (often float32); it is not changed.

    Returns a Python bool from torch.autograd.gradcheck, run on a float64 copy of x that
    requires grad; False (not an exception) when the gradients disagree.
    """
    # TODO: make a float64 leaf copy of x that requires grad, and return
    # TODO: torch.autograd.gradcheck(fn, (that copy,), raise_exception=False).
    raise NotImplementedError("02_autograd/gradients: gradient_is_correct() is not implemented yet: replace this line with your code")

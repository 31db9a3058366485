# Generated from solutions/02_autograd/sgd.py by `python -m grader build` (1 to do): replace each NotImplementedError.
"""Kata 02_autograd/sgd: write one step of plain stochastic gradient descent by hand.

An optimizer step is three lines, and each hides a classic bug:

    for p in params:
        p -= lr * p.grad      # in place, so the model's own tensor changes
        p.grad = None         # or the next backward() adds onto this gradient

- The update must not be recorded by autograd. Parameters are leaf tensors with
  `requires_grad=True`; changing them in place while grad mode is on raises an error (or, if you
  sneak around it with `p = p - ...`, builds a graph and rebinds a local name instead of changing
  the parameter). Wrap the update in `torch.no_grad()`.
- Gradients accumulate: `backward()` *adds* into `.grad`. Clear each gradient after using it.
- A parameter that took no part in the loss has `.grad is None`: skip it.
- `params` may be a one-shot generator such as `model.parameters()`: iterate it once.
"""

from collections.abc import Iterable

import torch


def sgd_step(params: Iterable[torch.Tensor], lr: float) -> None:
    """Update every parameter in place: p <- p - lr * p.grad, then clear p.grad.

    Args:
        params: tensors with requires_grad=True (any shape), e.g. model.parameters().
        lr: the learning rate, a positive float.

    Returns None: the parameters themselves change, nothing is returned.
    """
    # TODO: inside torch.no_grad(), for each parameter with a gradient: subtract lr * grad in
    # TODO: place, then clear the gradient (set it to None).
    raise NotImplementedError("02_autograd/sgd: sgd_step() is not implemented yet: replace this line with your code")

# Generated from solutions/02_autograd/manual_backward.py by `python -m grader build` (2 to do): replace each NotImplementedError.
"""Kata 02_autograd/manual_backward: the backward pass of a linear layer and an MSE loss, by hand.

The forward pass, for a batch of N inputs with I features and O outputs:

    y = x @ W.T + b          # x (N, I), W (O, I), b (O,)  ->  y (N, O)   (what nn.Linear does)
    L = mean((y - t) ** 2)   # t (N, O); the mean is over all N * O elements  ->  a 0-dim tensor

The backward pass is the chain rule, one step at a time, from the loss back to each input:

    dL/dy = 2 * (y - t) / (N * O)          # (N, O): prediction minus target, and the 2 from the square
    dL/dW = dL/dy.T @ x                    # (O, I): the same shape as W
    dL/db = dL/dy summed over the batch    # (O,):   b was broadcast over N rows, so its gradients add
    dL/dx = dL/dy @ W                      # (N, I): the same shape as x

A gradient always has the shape of the tensor it belongs to: let that guide the transposes.

Write it with tensor operations only: no `backward()`, no `torch.autograd.grad` (the grader calls
your backward inside `torch.inference_mode()`, where autograd cannot run at all). Return plain
tensors that do not require grad, even when W and b are parameters that require grad: do the
arithmetic inside `torch.no_grad()` so no graph is built. Keep the inputs' dtype and device, and
do not change the inputs.
"""

import torch


def linear_mse_loss(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor,
                    target: torch.Tensor) -> torch.Tensor:
    """The forward pass: L = mean((x @ W.T + b - target) ** 2).

    Args:
        x: (N, I) inputs. W: (O, I) weight. b: (O,) bias. target: (N, O).

    Returns the loss as a 0-dim tensor (autograd may differentiate it, so build it from
    ordinary tensor operations).
    """
    # TODO: compute y = x @ W.T + b, then the mean of the squared difference to target.
    raise NotImplementedError("02_autograd/manual_backward: linear_mse_loss() is not implemented yet: replace this line with your code")


def linear_mse_backward(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor,
                        target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The gradients of linear_mse_loss(x, W, b, target), derived by hand.

    Args:
        x: (N, I) inputs. W: (O, I) weight. b: (O,) bias. target: (N, O). Not changed.

    Returns (dW, db, dx): dL/dW (O, I), dL/db (O,), dL/dx (N, I), in the inputs' dtype and
    device, not requiring grad.
    """
    # TODO: inside torch.no_grad(): recompute y, then dL/dy = 2 (y - target) / (N * O), and from
    # TODO: it dW = dy.T @ x, db = dy summed over the batch, dx = dy @ W. Return (dW, db, dx).
    raise NotImplementedError("02_autograd/manual_backward: linear_mse_backward() is not implemented yet: replace this line with your code")

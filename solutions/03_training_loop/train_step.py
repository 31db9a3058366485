"""Kata 03_training_loop/train_step: one step of training, in the order that makes it correct.

Every PyTorch training loop repeats the same five calls:

    optimizer.zero_grad()               # 1. forget the previous step's gradients
    outputs = model(inputs)             # 2. forward pass: builds the autograd graph
    loss = loss_fn(outputs, targets)    # 3. one number: predictions first, targets second
    loss.backward()                     # 4. fills p.grad for every parameter
    optimizer.step()                    # 5. moves the parameters using p.grad

Each line hides a classic bug:

- `backward()` *adds* into `.grad`. Without `zero_grad()` at the start, this step's gradient is
  added onto whatever was left there, and the update is wrong.
- `step()` reads `.grad`, so it must come after `backward()`, and nothing may clear the
  gradients between the two.
- Loss functions are not symmetric: `loss_fn(outputs, targets)` is the convention of every
  `torch.nn` loss (`nn.CrossEntropyLoss`, `nn.BCEWithLogitsLoss`, ...). Swapping them computes
  something else, or fails.
- `backward()` must run on the loss tensor the forward pass produced. `loss.item()` and
  `loss.detach()` are cut off from the graph: no gradient can reach the model through them.
- Return `loss.item()`, a Python float. Returning the tensor keeps the whole graph alive for as
  long as the caller keeps the number (a memory leak in a loop that logs losses).
- Do not call `model.train()` or `model.eval()` here: the caller decides the mode (and may train
  with frozen BatchNorm layers in eval mode on purpose).
"""

from collections.abc import Callable

import torch
from torch import nn


def train_step(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
               loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
               optimizer: torch.optim.Optimizer) -> float:
    """Run one optimization step of `model` on one batch and return the batch's loss.

    Args:
        model: the network, already in the mode (train or eval) the caller wants.
        inputs: one batch of inputs, e.g. (B, F), on the model's device.
        targets: the matching targets, e.g. (B,) class indices or (B, O) values.
        loss_fn: called as loss_fn(outputs, targets); returns a scalar tensor.
        optimizer: an optimizer over the model's parameters (SGD, Adam, ...).

    Returns the loss of this batch, computed before the update, as a Python float.
    """
    ### BEGIN SOLUTION
    # TODO: zero the gradients, run the model, compute loss_fn(outputs, targets), backpropagate,
    # TODO: take an optimizer step, and return the loss as a Python float.
    optimizer.zero_grad()
    outputs = model(inputs)  # (B, O)
    loss = loss_fn(outputs, targets)  # () scalar
    loss.backward()
    optimizer.step()
    return loss.item()
    ### END SOLUTION

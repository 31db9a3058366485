# Generated from solutions/03_training_loop/train_epoch.py by `python -m grader build` (1 to do): replace each NotImplementedError.
"""Kata 03_training_loop/train_epoch: one pass over the training data, and an honest mean loss.

An epoch is the training step repeated for every batch a DataLoader yields:

    model.train()                         # dropout on, BatchNorm uses batch statistics
    for inputs, targets in loader:        # (B, ...) and (B, ...); the last B may be smaller
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()

What to report is the mean loss over the *samples* of the epoch. `loss_fn` returns the mean over
one batch, so a batch of 2 samples must count half as much as a batch of 4:

    mean = sum(loss_b * B_b) / sum(B_b)

Pitfalls:
- Averaging the batch losses (sum / number of batches) over-weights a small last batch.
- `loader.batch_size` is the nominal size: the last batch can be smaller. Use the real size,
  `inputs.shape[0]`. Dividing by `len(loader.dataset)` is wrong too when the loader drops the
  last incomplete batch (`drop_last=True`): count the samples you actually trained on.
- Accumulate `loss.item()` (a float), not `loss`: adding tensors keeps every batch's graph alive.
- `model.train()` switches every submodule; setting `model.training = True` changes only the
  top module, not the Dropout and BatchNorm layers inside.
- Each batch needs its own `zero_grad()`: gradients accumulate across batches otherwise.
"""

from collections.abc import Callable, Iterable

import torch
from torch import nn


def train_epoch(model: nn.Module, loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
                loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                optimizer: torch.optim.Optimizer) -> float:
    """Train `model` for one epoch and return the mean loss per sample.

    Args:
        model: the network; put it in training mode for the epoch (and leave it there).
        loader: yields (inputs, targets) batches on the model's device, e.g. a DataLoader;
            inputs (B, ...), targets (B, ...), where B may differ between batches.
        loss_fn: called as loss_fn(outputs, targets); returns the mean loss of the batch.
        optimizer: an optimizer over the model's parameters.

    Returns the mean of the batch losses (each computed before its update), weighted by batch
    size, as a Python float.
    """
    # TODO: switch the model to training mode; for each batch: zero the gradients, forward,
    # TODO: loss, backward, step; add loss.item() * batch size to a running total and count the
    # TODO: samples; return total / samples.
    raise NotImplementedError("03_training_loop/train_epoch: train_epoch() is not implemented yet: replace this line with your code")

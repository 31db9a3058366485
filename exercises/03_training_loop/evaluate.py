# Generated from solutions/03_training_loop/evaluate.py by `python -m grader build` (1 to do): replace each NotImplementedError.
"""Kata 03_training_loop/evaluate: measure a model without changing it.

Evaluation runs the model over a loader and reports the mean loss and the accuracy, and it must
leave no trace:

    was_training = model.training
    model.eval()                          # dropout off, BatchNorm uses its running statistics
    try:
        with torch.no_grad():             # no graph, no .grad, less memory
            for inputs, targets in loader:
                ...
    finally:
        model.train(was_training)         # give the caller back the mode they had

- `model.eval()` matters for results: in training mode Dropout zeroes random activations and
  BatchNorm normalizes with the batch's statistics *and updates its running statistics*, so
  evaluating in training mode both gives noisy numbers and changes the model.
- `torch.no_grad()` (or `torch.inference_mode()`) stops autograd from recording. Detaching the
  outputs afterwards is too late: the graph was already built during the forward pass.
- Restore the mode the model had, whichever it was: calling `model.train()` at the end would
  wrongly switch a model that the caller had in eval mode. `try/finally` restores it even when
  the loop raises.
- Weight by batch size: `loss_fn` gives the mean of one batch, and the last batch may be
  smaller. Accuracy is the number of correct predictions over the number of samples, a fraction
  in [0, 1]; the prediction is `outputs.argmax(dim=-1)`, the class with the largest score.
"""

from collections.abc import Callable, Iterable

import torch
from torch import nn


def evaluate(model: nn.Module, loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
             loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> tuple[float, float]:
    """Return the mean loss and the accuracy of a classifier over `loader`.

    Args:
        model: a classifier, inputs (B, ...) -> scores (B, C); in either mode.
        loader: yields (inputs, targets) batches on the model's device, targets (B,) class
            indices (int64); the last batch may be smaller.
        loss_fn: called as loss_fn(outputs, targets); returns the mean loss of the batch.

    Returns (mean_loss, accuracy), two Python floats, both per sample (weighted by batch size);
    accuracy is a fraction between 0 and 1. The model's mode, parameters, buffers and gradients
    are the same afterwards as before.
    """
    # TODO: remember model.training and switch to eval mode; under torch.no_grad(), sum
    # TODO: loss.item() * batch size and the number of correct argmax predictions over all batches;
    # TODO: restore the previous mode (try/finally) and return (total_loss / n, correct / n).
    raise NotImplementedError("03_training_loop/evaluate: evaluate() is not implemented yet: replace this line with your code")

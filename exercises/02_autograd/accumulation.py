# Generated from solutions/02_autograd/accumulation.py by `python -m grader build` (1 to do): replace each NotImplementedError.
"""Kata 02_autograd/accumulation: gradient accumulation, one big batch in several small pieces.

A batch too big for memory can be split into micro-batches: run forward and backward on each in
turn, and let the gradients pile up in `.grad` (backward() *adds* into it), then take one
optimizer step. Done right, `.grad` ends up exactly as if the whole batch had gone through at once.

    model.zero_grad()                          # once, before the micro-batches
    for x, t in zip(x.chunk(k), t.chunk(k)):   # k micro-batches of N / k samples
        loss = loss_fn(model(x), t) / k         # scaled: the big batch's loss is the mean of these
        loss.backward()                         # adds this piece's share into .grad, frees its graph

- Scale each loss by 1 / k. With a mean loss, the big batch's loss is the *average* of the k
  micro-batch losses; without the scaling the gradients are k times too big.
- Zero once, before the loop. Inside the loop it throws away all but the last micro-batch;
  forgetting it adds onto whatever gradients were already there.
- `tensor.chunk(k)` makes k pieces; `tensor.split(k)` makes pieces *of size* k.
- Call backward() once per micro-batch, straight after its forward: that is what frees each
  micro-batch's graph (and its memory) before the next. Summing the k losses and calling
  backward() once at the end gives the same numbers but keeps every graph alive.
- Do not change the model's mode (train/eval) or its parameters: no optimizer step here.
"""

from collections.abc import Callable

import torch
from torch import nn


def accumulate_gradients(model: nn.Module,
                         loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                         inputs: torch.Tensor, targets: torch.Tensor, micro_batches: int) -> float:
    """Fill the model's .grad with the gradient of loss_fn(model(inputs), targets), in pieces.

    Args:
        model: any module whose samples are independent (no batch norm).
        loss_fn: a mean-reduced loss, e.g. nn.MSELoss() or F.cross_entropy.
        inputs: (N, ...) the whole batch. targets: (N, ...) its targets.
        micro_batches: k, the number of micro-batches; N is a multiple of k.

    Returns the whole batch's loss as a Python float (the mean of the k micro-batch losses).
    Afterwards each parameter's .grad holds what one backward() on the whole batch would give,
    whatever was in .grad before; the parameters, the inputs and the model's mode are unchanged.
    """
    # TODO: zero the model's gradients once; then for each of the k chunks of inputs and targets:
    # TODO: compute the loss, divide it by k, call backward(), and add its value (.item()) to the total.
    raise NotImplementedError("02_autograd/accumulation: accumulate_gradients() is not implemented yet: replace this line with your code")

# Generated from solutions/01_tensors/same_device.py by `python -m grader build` (4 to do): replace each NotImplementedError.
"""Kata 01_tensors/same_device: create new tensors where the inputs live, and move inputs to the model.

Code that works on your laptop breaks on a GPU with "Expected all tensors to be on the same
device". The cause is nearly always a new tensor made on the CPU beside inputs on the GPU:

    ones = torch.ones(n, 1)                   # CPU, float32: wrong beside a cuda float16 x
    ones = torch.ones(n, 1, device=x.device, dtype=x.dtype)   # right
    ones = x.new_ones(n, 1)                   # right: new_* copies dtype and device from x
    zeros = torch.zeros_like(x)               # right: *_like copies shape, dtype and device
    pos = torch.arange(t, device=x.device)    # arange, randn, zeros, ... all take device=

- Never write "cuda" or "cpu" inside a function that receives tensors: ask the input (`x.device`).
- Mind the dtype too: a float32 tensor beside float16 or float64 data changes (or breaks) the
  result. Indices (positions, labels, token ids) are int64 (`torch.long`).
- An `nn.Module` has no `.device`: its device is the device of its parameters
  (`next(model.parameters()).device`). A module may have no parameters (only buffers, or nothing).
- Move a batch to the model, not the model to each batch: `batch.to(device)` returns a new tensor.

The tests use the `meta` device (tensors with a shape, dtype and device but no data): a tensor
made on the CPU next to a meta input is caught on any machine, exactly like one next to a GPU input.
"""

import torch
from torch import nn


def add_bias_column(x: torch.Tensor) -> torch.Tensor:
    """Append a column of ones to a batch of feature rows (the "bias trick").

    Args:
        x: (N, D) floating-point tensor, any device and floating dtype.

    Returns:
        (N, D + 1) tensor: x with a last column of ones, same dtype and device as x (and still
        connected to x's autograd graph). x itself is not changed.
    """
    # TODO: make an (N, 1) column of ones with x's dtype and device (x.new_ones, or
    # TODO: torch.ones(..., dtype=x.dtype, device=x.device)) and torch.cat it after x on dim 1.
    raise NotImplementedError("01_tensors/same_device: add_bias_column() is not implemented yet: replace this line with your code")


def positions_for(tokens: torch.Tensor) -> torch.Tensor:
    """The position index of every token, e.g. to look up position embeddings.

    Args:
        tokens: (B, T) int64 token ids, any device.

    Returns:
        (B, T) int64 tensor on tokens' device with positions[b, t] = t (it may be an expanded view).
    """
    # TODO: torch.arange over the T positions, on tokens.device (int64 is arange's default for
    # TODO: integer limits), then expand it to (B, T).
    raise NotImplementedError("01_tensors/same_device: positions_for() is not implemented yet: replace this line with your code")


def model_device(model: nn.Module) -> torch.device:
    """The device a model lives on.

    Returns:
        The torch.device of the model's first parameter; for a model without parameters, that of
        its first buffer; for a model with neither (e.g. nn.ReLU()), torch.device("cpu").
    """
    # TODO: take the first of model.parameters() (next(..., None)), else the first of
    # TODO: model.buffers(); return its .device, or torch.device("cpu") when there is none.
    raise NotImplementedError("01_tensors/same_device: model_device() is not implemented yet: replace this line with your code")


def batch_to_model(batch: torch.Tensor | dict[str, torch.Tensor],
                   model: nn.Module) -> torch.Tensor | dict[str, torch.Tensor]:
    """Move a batch to the model's device, ready for `model(batch)`.

    Args:
        batch: a tensor, or a dict of name -> tensor (e.g. {"x": features, "y": labels}).
        model: the model that will consume the batch.

    Returns:
        The same kind of thing (a new dict for a dict; `batch` itself is not changed) with every
        tensor on model_device(model). Floating-point tensors are also converted to the dtype of
        the model's first parameter (when it has one); integer and bool tensors (labels, token
        ids, masks) keep their dtype.
    """
    # TODO: find the device (model_device) and the dtype of the first parameter, if any.
    # TODO: move each tensor with .to(device); floating ones (t.is_floating_point()) also to dtype.
    # TODO: return a tensor for a tensor, a new dict for a dict.
    raise NotImplementedError("01_tensors/same_device: batch_to_model() is not implemented yet: replace this line with your code")

# Generated from solutions/03_training_loop/checkpoint.py by `python -m grader build` (2 to do): replace each NotImplementedError.
"""Kata 03_training_loop/checkpoint: save training, stop, resume, and get exactly the same run.

A checkpoint is everything the next step of training depends on:

- the model's `state_dict()`: parameters *and* buffers (BatchNorm's running statistics);
- the optimizer's `state_dict()`: Adam keeps a step count and two running averages per
  parameter, and its learning rate; a fresh optimizer would restart them from zero;
- where you were (the epoch), a plain Python int.

Save them together as one dict of plain data:

    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "epoch": epoch}, path)

and load them back into a model and an optimizer built the same way:

    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])

Pitfalls:
- `weights_only=True` makes `torch.load` refuse anything but tensors, numbers, strings and plain
  containers. A pickle file can run any code when it is loaded: never load an untrusted
  checkpoint with `weights_only=False`. It is also why you save `state_dict()`s, not the model
  or optimizer objects themselves.
- `map_location` says where the tensors go: a checkpoint written on a GPU cannot be loaded on a
  CPU-only machine without it.
- `load_state_dict` copies into the existing tensors, so the optimizer still points at the
  model's parameters. Keep the default `strict=True`: it catches a checkpoint from another
  architecture instead of silently loading half of it.
"""

from os import PathLike

import torch
from torch import nn


def save_checkpoint(path: str | PathLike, model: nn.Module, optimizer: torch.optim.Optimizer,
                    epoch: int) -> None:
    """Write the model's and the optimizer's state and the epoch to `path`, as one dict.

    The file must load with torch.load(path, weights_only=True): only state_dict()s and numbers.
    """
    # TODO: torch.save a dict holding model.state_dict(), optimizer.state_dict() and epoch.
    raise NotImplementedError("03_training_loop/checkpoint: save_checkpoint() is not implemented yet: replace this line with your code")


def load_checkpoint(path: str | PathLike, model: nn.Module, optimizer: torch.optim.Optimizer,
                    map_location: str | torch.device = "cpu") -> int:
    """Restore `model` and `optimizer` in place from a file written by save_checkpoint.

    Args:
        path: the checkpoint file.
        model, optimizer: built the same way as the saved ones (their values are replaced).
        map_location: the device the saved tensors are loaded onto, passed to torch.load.

    Returns the epoch that was saved, as an int.
    """
    # TODO: torch.load the dict with map_location and weights_only=True, load the two state
    # TODO: dicts into the model and the optimizer, and return the saved epoch.
    raise NotImplementedError("03_training_loop/checkpoint: load_checkpoint() is not implemented yet: replace this line with your code")

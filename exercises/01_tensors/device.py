# Generated from solutions/01_tensors/device.py by `python -m grader build` (2 to do): replace each NotImplementedError.
"""Kata 01_tensors/device: pick the best device, and move nested data to it.

The same script should run on a laptop (CPU, or Apple's MPS), and on a machine with an NVIDIA GPU
(CUDA). So never write "cuda" into your code: ask once which device is best, keep the answer in a
variable, and move things to it.

    device = best_device()              # torch.device('cuda'), ('mps') or ('cpu')
    batch = to_device(batch, device)    # every tensor inside, moved

- `torch.cuda.is_available()` and `torch.backends.mps.is_available()` are *functions*: call them.
  Without the parentheses you test a function object, which is always true.
- Prefer CUDA, then MPS, then the CPU, and return a `torch.device`, not a string.
- `tensor.to(device)` is not in place (unlike `module.to(device)`): it returns a new tensor (or
  the same one, when it is already there). Use what it returns.
- Batches are nested: a dict of tensors, a list of (input, target) tuples, a namedtuple... Walk the
  structure recursively and rebuild each container with its own type. A namedtuple takes its
  fields as separate arguments: `type(obj)(*items)`. A string is not a container here (careful:
  it is a `Sequence`, and iterating it never ends).
- Leave the caller's data alone: build new containers, do not assign into the ones you received.
"""

from typing import Any

import torch


def best_device() -> torch.device:
    """The best device on this machine: CUDA if available, else MPS if available, else the CPU.

    Returns a torch.device (e.g. torch.device('cuda')), not a string.
    """
    # TODO: ask torch.cuda.is_available(), then torch.backends.mps.is_available(), in that order;
    # TODO: return torch.device("cuda"), torch.device("mps") or torch.device("cpu").
    raise NotImplementedError("01_tensors/device: best_device() is not implemented yet: replace this line with your code")


def to_device(obj: Any, device: torch.device | str) -> Any:
    """A copy of `obj` with every tensor in it moved to `device`.

    Args:
        obj: a tensor, or a dict, list or tuple (namedtuples included) nesting tensors and other
            values to any depth. Other values (ints, floats, strings, None, ...) are leaves.
        device: a torch.device or a string such as "cpu", "cuda:0" or "meta".

    Returns:
        The same structure, rebuilt: each tensor replaced by `tensor.to(device)` (same dtype,
        values and shape), each container rebuilt with its own type (list stays list, tuple stays
        tuple, a namedtuple stays that namedtuple, an OrderedDict stays an OrderedDict, keys and
        order kept), other leaves returned as they are. `obj` itself is not changed.
    """
    # TODO: a tensor: return tensor.to(device). A dict: rebuild it (same type) from its moved values.
    # TODO: a namedtuple (a tuple with `_fields`): type(obj)(*moved). A list or tuple:
    # TODO: type(obj)(moved items). Anything else: return it unchanged.
    raise NotImplementedError("01_tensors/device: to_device() is not implemented yet: replace this line with your code")

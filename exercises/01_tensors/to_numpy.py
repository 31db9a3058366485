# Generated from solutions/01_tensors/to_numpy.py by `python -m grader build` (2 to do): replace each NotImplementedError.
"""Kata 01_tensors/to_numpy: tensors to NumPy and back, safely.

NumPy arrays live in CPU memory and know nothing about autograd, so `x.numpy()` refuses two
kinds of tensor:

    x.numpy()                     # RuntimeError if x requires grad, TypeError if x is on a GPU
    x.detach().cpu().numpy()      # always works: leave the graph, come to the CPU, convert

- `.detach()` returns a new tensor over the same data, outside the graph. Do not switch
  `requires_grad` off on the caller's tensor instead: that changes *their* tensor.
- `.cpu()` copies a GPU tensor to the CPU (and returns a CPU tensor as it is).
- NumPy has no bfloat16: convert bfloat16 to float32 (same range; float16 would overflow above
  65504). Keep every other dtype: float64 stays float64, int64 stays int64.
- For a CPU tensor, `.numpy()` shares memory with the tensor (no copy): writing into one
  changes the other.

The way back: `torch.from_numpy(a)` shares the array's memory (no copy, same dtype: float64 stays
float64, which is not PyTorch's default float32). `torch.tensor(a)` always copies, and
`torch.Tensor(a)` copies *and* converts to float32. Sharing works for any view with positive
strides (`a[:, ::2]`, `a.T`), but PyTorch tensors cannot have negative strides, so a reversed
array (`a[::-1]`, `np.flip(a)`) must be copied first (`a.copy()`).
"""

import numpy as np
import torch


def to_numpy(x: torch.Tensor) -> np.ndarray:
    """x as a NumPy array, whatever its device and whether or not it requires grad.

    Args:
        x: a tensor of any shape (0-dim included), dtype and device, possibly requiring grad.

    Returns:
        An np.ndarray with x's shape and values (a 0-dim tensor gives a 0-dim array, not a
        Python number), x's dtype (bfloat16 becomes float32). x is not changed.
    """
    # TODO: detach x (leave the graph), convert bfloat16 to float32, bring it to the CPU,
    # TODO: then .numpy().
    raise NotImplementedError("01_tensors/to_numpy: to_numpy() is not implemented yet: replace this line with your code")


def to_tensor(a: np.ndarray) -> torch.Tensor:
    """A CPU tensor sharing a's memory (no copy) whenever PyTorch can.

    Args:
        a: an np.ndarray of any shape and of a dtype PyTorch supports (float16/32/64, int8-64,
            uint8, bool, complex), possibly a view such as a[:, ::2], a.T or a[::-1].

    Returns:
        A tensor with a's shape, values and dtype (float64 stays float64) that shares a's memory,
        so writing into one changes the other. Only for an array with a negative stride
        (a[::-1], np.flip), which no tensor can share, a copy.
    """
    # TODO: copy the array only if one of a.strides is negative; then torch.from_numpy.
    raise NotImplementedError("01_tensors/to_numpy: to_tensor() is not implemented yet: replace this line with your code")

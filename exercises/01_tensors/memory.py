# Generated from solutions/01_tensors/memory.py by `python -m grader build` (5 to do): replace each NotImplementedError.
"""Kata 01_tensors/memory: count bytes, tell views from copies, and free memory.

A tensor is a *view* of a block of memory, its storage: shape, strides and an offset say which
elements of the storage it shows. Slicing, indexing with ints, `.view()`, `.t()`, `.expand()`
and `.detach()` make new tensors that share the same storage: no copy, and no extra memory.

- The bytes a tensor's elements take: `x.numel() * x.element_size()` (float32: 4 bytes each,
  float16/bfloat16: 2, float64 and int64: 8, bool and int8: 1). Not `numel()` alone (elements,
  not bytes), not `sys.getsizeof(x)` (the Python object), not the storage's size (shared).
- Two tensors share memory when their storages are the same block:
  `a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()`. Compare storages, not
  `a.data_ptr()`: that is the address of the tensor's *first element*, and `x[1:]` starts
  elsewhere in the same block. Equal values say nothing: a copy has equal values.
- A view keeps its whole storage alive: `tiny = big[:2]` holds on to every byte of `big`. To keep
  only the slice, copy it: `.clone()` makes a new storage holding exactly its elements.
  `.contiguous()` copies only when the tensor is not contiguous; a row slice already is, so it
  returns the very same view.
- Memory is freed when the last reference to a tensor goes. `del name` removes one *name*, not
  the object: `del cache` inside a function leaves the caller's dict (and its tensors) as they
  were; empty the dict itself (`cache.clear()`). On a GPU, PyTorch's caching allocator keeps
  freed blocks for reuse; `torch.cuda.empty_cache()` gives them back to the driver (other
  programs see the memory again). `torch.cuda.memory_allocated()` counts bytes in live tensors;
  `torch.cuda.max_memory_allocated()` the peak since `torch.cuda.reset_peak_memory_stats()`.
  GPU work is asynchronous: `torch.cuda.synchronize()` before reading measurements. Call CUDA
  functions only when `torch.cuda.is_available()`: on a machine without CUDA some of them raise.
"""

import gc
from collections.abc import Callable
from typing import Any

import torch


def nbytes(x: torch.Tensor) -> int:
    """The number of bytes x's own elements take (not its storage, which a view shares).

    Returns a Python int, e.g. 24 for a (2, 3) float32 tensor, 8 for x[0] of a (2, 4) int16 one.
    """
    # TODO: the number of elements times the bytes per element.
    raise NotImplementedError("01_tensors/memory: nbytes() is not implemented yet: replace this line with your code")


def shares_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether a and b are views of the same storage (changing one can change the other).

    True for x and x[1:], x.t(), x.view(-1), x.detach(), and for x[0] and x[1]; False for x
    and x.clone(), even though their values are equal. Returns a Python bool.
    """
    # TODO: compare the data_ptr() of the two tensors' untyped_storage().
    raise NotImplementedError("01_tensors/memory: shares_storage() is not implemented yet: replace this line with your code")


def compact_copy(x: torch.Tensor) -> torch.Tensor:
    """A copy of x (often a small slice of a big tensor) with its own storage, exactly its size.

    Returns a tensor equal to x (same shape, dtype and device) that shares no memory with x, and
    whose storage holds exactly nbytes(x) bytes, so the big tensor x came from can be freed.
    """
    # TODO: .clone() always copies into a new storage holding just x's elements.
    raise NotImplementedError("01_tensors/memory: compact_copy() is not implemented yet: replace this line with your code")


def release(cache: dict[str, torch.Tensor]) -> int:
    """Free the tensors held in `cache`, the caller's dict, and return the CUDA bytes freed.

    Empties `cache` itself (the caller sees an empty dict), so that its tensors are freed when
    nothing else refers to them; runs gc.collect(); then, only if CUDA is available, calls
    torch.cuda.empty_cache() to return cached blocks to the driver.

    Returns:
        torch.cuda.memory_allocated() before minus after, as an int: 0 without CUDA.
    """
    # TODO: read torch.cuda.memory_allocated() (only if torch.cuda.is_available(), else 0),
    # TODO: empty the dict in place (cache.clear(): `del cache` only removes your local name),
    # TODO: gc.collect(), then torch.cuda.empty_cache() if available; return before - after.
    raise NotImplementedError("01_tensors/memory: release() is not implemented yet: replace this line with your code")


def cuda_peak_bytes(fn: Callable[[], Any]) -> int:
    """Peak CUDA memory that fn() allocates, in bytes, above what was allocated before it ran.

    Needs CUDA (its tests run only on a GPU). Earlier peaks must not count: reset the peak
    statistics first. Tensors that exist before the call must not count: subtract them.

    Returns:
        torch.cuda.max_memory_allocated() during fn() minus torch.cuda.memory_allocated() just
        before it, as an int.
    """
    # TODO: synchronize, reset_peak_memory_stats(), read memory_allocated(); run fn();
    # TODO: synchronize again; return max_memory_allocated() minus the allocation before.
    raise NotImplementedError("01_tensors/memory: cuda_peak_bytes() is not implemented yet: replace this line with your code")

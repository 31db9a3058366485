# Generated from solutions/07_inference/latency.py by `python -m grader build` (2 to do): replace each NotImplementedError.
"""Kata 07_inference/latency: measure how long one forward pass takes, without fooling yourself.

A naive `start = time.time(); model(x); print(time.time() - start)` is wrong in several ways:

- Warm-up. The first calls are slow for reasons that have nothing to do with steady-state
  inference (memory allocation, kernel selection and compilation, caches). Run `warmup`
  untimed calls first.
- Inference mode. Measure what production runs: every call (warm-up included) inside
  `torch.inference_mode()`, which records no autograd graph and skips version counting.
  (Putting the model in eval mode is the caller's job: this function does not change it.)
- CUDA is asynchronous. On a GPU, `model(x)` only QUEUES kernels and returns at once; reading
  the clock then measures the queueing, not the computation. Call `torch.cuda.synchronize()`
  before starting the clock (so earlier work is finished) and again before stopping it. Only
  when x is on CUDA: on a machine without a GPU torch.cuda.synchronize() raises.
- One number lies. Time each call separately and report the median (typical latency, not
  dragged by a few slow outliers the way a mean is) and the 90th percentile (the tail users
  feel). Percentiles here interpolate linearly between sorted values, as numpy.percentile and
  torch.quantile do: with sorted values s[0..n-1], the q-th percentile sits at position
  (n - 1) * q / 100, between s[floor] and s[floor + 1].
- Use the clock you are given (`timer`, a function returning seconds as a float,
  time.perf_counter by default): tests pass a fake clock.
"""

import math
import time
from collections.abc import Callable, Sequence

import torch
from torch import nn


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 <= q <= 100) of a non-empty list of numbers, interpolating
    linearly between sorted values (numpy.percentile's default). Does not change `values`."""
    # TODO: sort a copy; position = (n - 1) * q / 100; interpolate between the two neighbours.
    raise NotImplementedError("07_inference/latency: percentile() is not implemented yet: replace this line with your code")


def measure_latency(model: nn.Module, x: torch.Tensor, warmup: int = 3, iters: int = 20,
                    timer: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Latency of model(x) in seconds: {"median": ..., "p90": ...} over `iters` timed calls.

    Args:
        model: the model, already in the mode to measure (normally eval).
        x: its input; when x is on CUDA the GPU is synchronised around every timed call.
        warmup: untimed calls made first (0 or more).
        iters: timed calls, at least 1 (ValueError otherwise).
        timer: the clock, read before and after each timed call.

    All calls run under torch.inference_mode(). Returns Python floats.
    """
    # TODO: check iters >= 1; under torch.inference_mode(): warm up, then time each call with
    # TODO: timer() (synchronise CUDA before each clock read when x is on CUDA); return the
    # TODO: median (50th percentile) and p90 of the timings.
    raise NotImplementedError("07_inference/latency: measure_latency() is not implemented yet: replace this line with your code")

"""Kata 03_training_loop/mixed_precision: one training step with automatic mixed precision (AMP).

Mixed precision runs the forward pass in a 16-bit float type (float16 on a GPU, bfloat16 on a
CPU or a recent GPU) while the model's own parameters, the "master weights", stay float32.
Two tools do the work:

- `torch.autocast(device_type=..., dtype=...)` is a context manager: inside it, each op picks its
  own precision (matmuls and convolutions in the low dtype, reductions such as losses in
  float32). You do NOT convert the model or the inputs yourself.
- `torch.amp.GradScaler` fights float16 underflow: tiny gradients round to zero in float16, so
  the loss is multiplied by a large scale (say 65536) before backward(), and the gradients are
  divided by it again before the optimizer uses them. If some gradient overflowed to inf/NaN,
  the step is skipped and the scale is lowered; after a run of good steps it grows again.

One step, in order:

    optimizer.zero_grad()
    with torch.autocast(device_type=device_type, dtype=dtype):
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)
    scaler.scale(loss).backward()          # outside the autocast block
    scaler.unscale_(optimizer)             # only needed if you clip (or look at) the gradients
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)                 # unscales if you did not, skips the step on inf/NaN
    scaler.update()                        # adapts the scale for the next step

Pitfalls:
- Clipping before `scaler.unscale_(optimizer)` clips the *scaled* gradients: with a scale of
  65536 nearly every step is clipped, and after unscaling the update is 65536 times too small.
- `loss.backward()` without `scaler.scale(...)`: scaler.step() still divides by the scale, so
  the update shrinks by the scale factor.
- `optimizer.step()` instead of `scaler.step(optimizer)` applies inf/NaN gradients.
- Forgetting `scaler.update()`: the scale never adapts, and the next step's unscale_ fails.
- backward() inside the autocast block: the backward pass should run outside it (autograd
  already uses the dtypes the forward pass chose).
- Hard-coding `device_type="cuda"`: on a machine without CUDA autocast silently switches itself
  off. Use the arguments you are given.
- Return `loss.item()`, the true (unscaled) loss, as a Python float.
"""

import torch
from torch import nn


def amp_train_step(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, loss_fn,
                   optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler,
                   device_type: str, dtype: torch.dtype, max_norm: float | None = None) -> float:
    """Run one mixed-precision training step and return the loss.

    Args:
        model: the model (float32 parameters; keep them float32).
        inputs: a batch for the model, e.g. (B, features), on the model's device.
        targets: what loss_fn compares the outputs with, e.g. (B,) class indices.
        loss_fn: called as loss_fn(outputs, targets) -> a scalar loss tensor.
        optimizer: the optimizer over the model's parameters.
        scaler: a torch.amp.GradScaler (it may be disabled: its methods then do nothing extra).
        device_type: "cpu" or "cuda", the device type autocast works on.
        dtype: the low-precision dtype for autocast, e.g. torch.bfloat16 or torch.float16.
        max_norm: if not None, clip the total gradient norm of the model's parameters to this
            value (after unscaling) before the optimizer step.

    Returns the loss of this batch (before the step, unscaled) as a Python float.
    """
    ### BEGIN SOLUTION
    # TODO: clear old gradients; run the forward pass and the loss inside
    # TODO: torch.autocast(device_type=device_type, dtype=dtype); outside it, backward the scaled
    # TODO: loss; if max_norm is given, unscale_ then clip; then scaler.step and scaler.update.
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast(device_type=device_type, dtype=dtype):
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)
    scaler.scale(loss).backward()
    if max_norm is not None:
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return loss.item()
    ### END SOLUTION

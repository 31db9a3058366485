"""Kata 07_inference/batchnorm: what train and eval mode change, and recalibrating BatchNorm.

Two layers behave differently in train and eval mode:

- Dropout, in train mode, zeroes each element with probability p and scales the survivors by
  1 / (1 - p); in eval mode it is the identity.
- BatchNorm, in train mode, normalises each channel with the CURRENT batch's mean and biased
  variance (divide by n) and updates its running statistics:

      running_mean <- (1 - momentum) * running_mean + momentum * batch_mean
      running_var  <- (1 - momentum) * running_var  + momentum * batch_var_unbiased  (divide by n - 1)

  In eval mode it normalises with running_mean / running_var and changes nothing.
  The channel is dim 1: for (N, C) the statistics are over dim 0, for (N, C, L) over dims 0
  and 2 (n = N * L values per channel). `momentum=None` means a cumulative average: after k
  batches the running statistics are the plain average of the k batches' statistics.

Running statistics go stale when the data (or the weights before a BatchNorm, e.g. after
averaging or pruning weights) change. Recalibrating them on new data:

1. for every BatchNorm layer (`nn.modules.batchnorm._BatchNorm` covers 1d, 2d and 3d):
   `reset_running_stats()` (not `reset_parameters()`, which also resets the learned weight
   and bias) and `momentum = None`, remembering the old momentum;
2. BatchNorm layers in train mode, every other module in eval mode: Dropout in train mode
   would feed BatchNorm dropped-out activations, not the ones it will see at inference;
3. run the model over the loader under `torch.no_grad()` (no graph, parameters untouched);
   batches may be tensors or (inputs, targets) pairs: feed only the inputs;
4. restore every momentum and every module's mode (in a finally: block).
"""

from collections.abc import Iterable

import torch
from torch import nn


def manual_batchnorm_train_step(x: torch.Tensor, running_mean: torch.Tensor,
                                running_var: torch.Tensor, momentum: float = 0.1,
                                eps: float = 1e-5) -> torch.Tensor:
    """What nn.BatchNorm1d(C, affine=False) does to a batch in train mode.

    Args:
        x: (N, C) or (N, C, L), N * L > 1.
        running_mean, running_var: (C,), updated IN PLACE (without autograd) with the batch mean
            and the unbiased batch variance.
        momentum: weight of the new batch in the running statistics.
        eps: added to the variance before the square root.

    Returns the normalised x, same shape, (x - batch_mean) / sqrt(batch_var_biased + eps),
    differentiable with respect to x.
    """
    ### BEGIN SOLUTION
    # TODO: mean and biased variance per channel (every dim except 1); normalise x with them;
    # TODO: under torch.no_grad(), update the running statistics in place (unbiased variance).
    dims = [0] + list(range(2, x.dim()))
    n = x.numel() // x.shape[1]
    mean = x.mean(dim=dims)  # (C,)
    var = x.var(dim=dims, unbiased=False)  # (C,) biased: used to normalise
    shape = [1, -1] + [1] * (x.dim() - 2)  # broadcast (C,) over (N, C, ...)
    out = (x - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + eps)
    with torch.no_grad():
        running_mean.mul_(1 - momentum).add_(momentum * mean)
        running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
    return out
    ### END SOLUTION


def recalibrate_bn(model: nn.Module, loader: Iterable) -> None:
    """Recompute every BatchNorm layer's running statistics over `loader`, as a cumulative
    average, with Dropout and everything else in eval mode.

    Args:
        model: any module; its parameters are not changed.
        loader: an iterable of input batches, or of (inputs, ...) tuples/lists.

    Afterwards every BatchNorm's momentum and every module's train/eval mode are as before.
    """
    ### BEGIN SOLUTION
    # TODO: remember modes and momenta; reset each BatchNorm's running stats, momentum = None;
    # TODO: eval mode except BatchNorm layers; forward every batch's inputs under no_grad;
    # TODO: restore momenta and modes in a finally: block.
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    modes = [(m, m.training) for m in model.modules()]
    momenta = [(bn, bn.momentum) for bn in bns]
    try:
        model.eval()
        for bn in bns:
            bn.reset_running_stats()
            bn.momentum = None
            bn.train()
        with torch.no_grad():
            for batch in loader:
                inputs = batch[0] if isinstance(batch, (tuple, list)) else batch
                model(inputs)
    finally:
        for bn, momentum in momenta:
            bn.momentum = momentum
        for m, training in modes:
            m.training = training
    ### END SOLUTION

"""Kata 07_inference/predict: class predictions with no side effects on the model.

Predicting looks like one line, `model(x).argmax(-1)`, but a correct `predict` does four things:

- Eval mode. In train mode Dropout zeroes random activations and BatchNorm normalises with the
  batch's own statistics (and overwrites its running statistics!). Predictions use
  `model.eval()`. Note `model.eval` without the parentheses does nothing.
- No autograd. Under `torch.no_grad()` (or `torch.inference_mode()`) the forward pass records
  no graph: less memory, faster.
- Put things back. The caller may be in the middle of training: afterwards every module must
  be in the mode it was in before. Restoring only the top level (`model.train(was_training)`)
  is not enough: fine-tuning code often keeps some submodules (a frozen BatchNorm, a frozen
  backbone) in eval mode while the rest trains, and `model.train(True)` would switch those
  back to train mode. Remember each module's `.training` flag (`model.modules()`) and set each
  flag back directly (`module.training = flag`; `module.train(flag)` would also reset its
  children). Do it in a `finally:` block, so the modes come back even when the forward pass
  raises; let the error itself propagate to the caller. Use `with` for the grad mode, never
  `torch.set_grad_enabled(False)` on its own: that leaves autograd off for the caller.
- Class indices: the model returns logits of shape (..., num_classes), possibly with leading
  dimensions such as (batch, time, classes): take the argmax over the LAST dimension
  (`dim=-1`), giving int64 indices of shape (...), on the model's device.
"""

import torch
from torch import nn


def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Class indices argmax(model(x), dim=-1), computed in eval mode without autograd.

    Args:
        model: any module returning logits of shape (..., num_classes).
        x: its input (not changed).

    Returns an int64 tensor of shape (...). Every module's train/eval mode is restored
    afterwards, also when the forward pass raises (the error propagates).
    """
    ### BEGIN SOLUTION
    # TODO: remember every module's .training flag, switch to eval mode, run the model under
    # TODO: torch.no_grad() and take the argmax over the last dim; restore each flag in finally:.
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            logits = model(x)  # (..., num_classes)
        return logits.argmax(dim=-1)  # (...)
    finally:
        for module, was_training in modes:
            module.training = was_training
    ### END SOLUTION

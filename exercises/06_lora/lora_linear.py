# Generated from solutions/06_lora/lora_linear.py by `python -m grader build` (3 to do): replace each NotImplementedError.
"""Kata 06_lora/lora_linear: wrap a frozen nn.Linear with a trainable low-rank update (LoRA).

Fine-tuning every weight of a big layer is expensive. LoRA keeps the pretrained weight W
(out_features, in_features) frozen and learns a low-rank correction instead:

    y = base(x) + dropout(x) @ A.T @ B.T * scaling        A: (r, in_features)
                                                          B: (out_features, r)
                                                          scaling = alpha / r

Only A and B train: r * (in + out) numbers instead of in * out.

The details that make it work:
- Freeze the base layer: every parameter of `base` (weight AND bias) gets requires_grad=False.
  Setting `module.requires_grad = False` only adds an unused attribute; use
  `p.requires_grad_(False)` on each parameter (or `base.requires_grad_(False)`).
- B starts at zero, so at the start the adapted layer computes exactly what the base layer
  did. A starts random (Kaiming-uniform with a=sqrt(5), as nn.Linear and PEFT do): if A and B
  were both zero, neither would ever get a gradient and nothing would train.
- A and B are `nn.Parameter`s, created on the base weight's device and with its dtype, so the
  layer works for a half-precision model on a GPU (or on the `meta` device) as well.
- Dropout is applied to the input of the low-rank branch only, never to the base path, and
  only in train mode (use an `nn.Dropout` module: it follows model.train()/model.eval()).
- Inputs may have any number of leading dimensions: (in,), (B, in), (B, T, in), ...
- `merged()` folds the update into one plain nn.Linear, W' = W + scaling * B @ A, with the same
  bias, for fast inference. It builds a NEW layer: the LoRA layer (and its base) are unchanged.
"""

import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    """base(x) plus a trainable low-rank update; base is frozen.

    Args:
        base: the pretrained nn.Linear(in_features, out_features) to adapt (bias or not).
        r: the rank of the update, a positive int.
        alpha: the update is scaled by alpha / r.
        dropout: dropout probability applied to the LoRA branch's input in train mode.

    Attributes: base, lora_A (r, in_features), lora_B (out_features, r), scaling (a float),
    r, alpha, dropout (a module).
    """

    def __init__(self, base: nn.Linear, r: int = 8, alpha: float = 16.0, dropout: float = 0.0):
        super().__init__()
        # TODO: keep `base` and freeze all its parameters; store r, alpha and scaling = alpha / r;
        # TODO: create lora_A (r, in_features, Kaiming-uniform a=sqrt(5)) and lora_B (out_features,
        # TODO: r, zeros) as nn.Parameters on base.weight's device and dtype; self.dropout = nn.Dropout(dropout).
        raise NotImplementedError("06_lora/lora_linear: LoRALinear.__init__() is not implemented yet: replace this line with your code")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (..., in_features) -> (..., out_features)."""
        # TODO: return base(x) + dropout(x) @ lora_A.T @ lora_B.T * scaling
        raise NotImplementedError("06_lora/lora_linear: LoRALinear.forward() is not implemented yet: replace this line with your code")

    def merged(self) -> nn.Linear:
        """A new nn.Linear computing the same function (in eval mode), with weight
        W + scaling * B @ A and a copy of base's bias, on base's device and dtype.
        Neither self nor self.base is changed."""
        # TODO: build a new nn.Linear (same features, bias only if base has one, same device and
        # TODO: dtype) and, under torch.no_grad(), copy W + scaling * B @ A and the bias into it.
        raise NotImplementedError("06_lora/lora_linear: LoRALinear.merged() is not implemented yet: replace this line with your code")

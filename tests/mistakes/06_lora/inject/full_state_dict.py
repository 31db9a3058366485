# MISTAKE: lora_state_dict returns the whole model.state_dict()
# FEEDBACK: lora_A / lora_B entries
import math
import re

import torch
from torch import nn


class LoRALinear(nn.Module):
    """Provided: base(x) + dropout(x) @ lora_A.T @ lora_B.T * (alpha / r), with base frozen."""

    def __init__(self, base: nn.Linear, r: int = 8, alpha: float = 16.0, dropout: float = 0.0):
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.r = r
        self.alpha = alpha
        self.scaling = alpha / r
        factory = {"device": base.weight.device, "dtype": base.weight.dtype}
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features, **factory))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r, **factory))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.dropout(x) @ self.lora_A.T @ self.lora_B.T * self.scaling

    def merged(self) -> nn.Linear:
        """A new plain nn.Linear with weight W + scaling * B @ A and base's bias."""
        base = self.base
        layer = nn.Linear(base.in_features, base.out_features, bias=base.bias is not None,
                          device=base.weight.device, dtype=base.weight.dtype)
        with torch.no_grad():
            layer.weight.copy_(base.weight + self.scaling * (self.lora_B @ self.lora_A))
            if base.bias is not None:
                layer.bias.copy_(base.bias)
        return layer


def matches(name, target_modules):
    if isinstance(target_modules, str):
        return re.fullmatch(target_modules, name) is not None
    return any(name == t or name.endswith("." + t) for t in target_modules)


def inject_lora(model, target_modules, r=8, alpha=16.0, dropout=0.0):
    names = [name for name, module in model.named_modules()
             if name and isinstance(module, nn.Linear) and matches(name, target_modules)]
    if not names:
        raise ValueError("nothing matches")
    for p in model.parameters():
        p.requires_grad_(False)
    for name in names:
        parent_name, _, child_name = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        setattr(parent, child_name, LoRALinear(getattr(parent, child_name), r=r, alpha=alpha, dropout=dropout))
    return names


def lora_state_dict(model):
    return model.state_dict()


def merge_lora(model):
    found = [name for name, module in model.named_modules() if name and isinstance(module, LoRALinear)]
    for name in found:
        parent_name, _, child_name = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        setattr(parent, child_name, getattr(parent, child_name).merged())
    return model

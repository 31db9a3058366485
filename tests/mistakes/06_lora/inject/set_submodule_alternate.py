# ALTERNATE: set_submodule, a regex built from the list, freezing with requires_grad_ on the model
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
    if not isinstance(target_modules, str):
        if not target_modules:
            return False
        target_modules = r"(.*\.)?(" + "|".join(re.escape(t) for t in target_modules) + ")"
    return bool(re.fullmatch(target_modules, name))


def inject_lora(model, target_modules, r=8, alpha=16.0, dropout=0.0):
    todo = {}
    for name, module in model.named_modules():
        if name and type(module) is nn.Linear and matches(name, target_modules):
            todo[name] = module
    if len(todo) == 0:
        raise ValueError(f"target_modules {target_modules!r} matched no nn.Linear")
    model.requires_grad_(False)
    for name, layer in todo.items():
        model.set_submodule(name, LoRALinear(layer, r, alpha, dropout))
    return list(todo)


def lora_state_dict(model):
    out = {}
    for key, value in model.state_dict().items():
        if key.endswith(".lora_A") or key.endswith(".lora_B"):
            out[key] = value
    return out


def merge_lora(model):
    for name, module in list(model.named_modules()):
        if isinstance(module, LoRALinear):
            model.set_submodule(name, module.merged())
    return model

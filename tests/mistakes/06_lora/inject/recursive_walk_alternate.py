# ALTERNATE: recursive walk over named_children, building names as it goes
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
    parts = name.split(".")
    for t in target_modules:
        n = len(t.split("."))
        if ".".join(parts[-n:]) == t:
            return True
    return False


def _walk(module, prefix=""):
    for child_name, child in module.named_children():
        full = f"{prefix}.{child_name}" if prefix else child_name
        yield module, child_name, full, child
        yield from _walk(child, full)


def inject_lora(model, target_modules, r=8, alpha=16.0, dropout=0.0):
    hits = [(parent, child_name, full, child) for parent, child_name, full, child in _walk(model)
            if isinstance(child, nn.Linear) and matches(full, target_modules)]
    if not hits:
        raise ValueError("no nn.Linear matches")
    for p in model.parameters():
        p.requires_grad = False
    for parent, child_name, full, child in hits:
        parent.add_module(child_name, LoRALinear(child, r=r, alpha=alpha, dropout=dropout))
    return [full for _, _, full, _ in hits]


def lora_state_dict(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items() if ".lora_" in k}


def merge_lora(model):
    for parent, child_name, full, child in list(_walk(model)):
        if isinstance(child, LoRALinear):
            setattr(parent, child_name, child.merged())
    return model

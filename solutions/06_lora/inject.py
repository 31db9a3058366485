r"""Kata 06_lora/inject: put LoRA adapters into chosen layers of a model, save them, merge them.

A model names every submodule by its path: `layers.0.attn.q_proj` is the `q_proj` attribute of
the `attn` attribute of item 0 of the `layers` ModuleList (`model.named_modules()` lists them).
Fine-tuning with LoRA means:

1. choosing layers by name (`target_modules`, as in Hugging Face PEFT):
   - a list of names, e.g. ["q_proj", "v_proj"]: a module matches when its full name equals one
     of them or ends with "." + one of them. So "layers.0.attn.q_proj" and a top-level "q_proj"
     match "q_proj", but "layers.0.attn.kv_proj" does NOT match "v_proj" (a bare
     name.endswith("v_proj") would wrongly say yes);
   - a single string is a regular expression that must match the WHOLE name
     (`re.fullmatch`), e.g. r".*\.(q|v)_proj" or r"layers\.1\..*". With `re.match` or
     `re.search`, "layers\.1\..*" would also pick "encoder.layers.1.fc", and ".*q_proj"
     would pick "q_proj_gate". Note: the string "q_proj" then matches only a top-level q_proj.
2. replacing each matching `nn.Linear` (only nn.Linear: a matching block or norm is left alone;
   the root module itself is never replaced) by `LoRALinear(layer, r, alpha, dropout)`.
   `setattr(model, "layers.0.attn.q_proj", new)` does NOT replace a nested layer: it adds a new
   attribute with a dotted name to the root. Set the child on its parent:
   `setattr(model.get_submodule("layers.0.attn"), "q_proj", new)` (or `model.set_submodule`).
   That works for ModuleList and Sequential items too (their child names are "0", "1", ...).
3. freezing everything except the adapters: only the `lora_A` / `lora_B` parameters train.
   Freeze first, then inject: freezing afterwards would freeze the new adapters too.
   If nothing matches, raise ValueError before changing anything (a typo in target_modules
   must not silently train nothing).
4. saving only the adapters: `lora_state_dict(model)` keeps the `lora_A` / `lora_B` entries of
   `model.state_dict()` (full key names, detached tensors): megabytes instead of gigabytes.
5. merging for inference: `merge_lora(model)` replaces every LoRALinear by its `merged()`
   plain nn.Linear, so the model computes the same outputs with no extra cost.

LoRALinear is provided (the 06_lora/lora_linear kata writes it).
"""

import math
import re
from collections.abc import Sequence

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


def matches(name: str, target_modules: str | Sequence[str]) -> bool:
    """Whether the module called `name` (e.g. "layers.0.attn.q_proj") is targeted.

    target_modules: a str is a regex that must match the whole name (re.fullmatch); a list of
    names matches when name == t or name ends with "." + t for some t in the list.
    """
    ### BEGIN SOLUTION
    # TODO: a str: re.fullmatch; a list: equal to an entry, or ends with "." + an entry.
    if isinstance(target_modules, str):
        return re.fullmatch(target_modules, name) is not None
    return any(name == t or name.endswith("." + t) for t in target_modules)
    ### END SOLUTION


def inject_lora(model: nn.Module, target_modules: str | Sequence[str], r: int = 8,
                alpha: float = 16.0, dropout: float = 0.0) -> list[str]:
    """Replace, in place, every nn.Linear of `model` whose name matches by a LoRALinear wrapping
    it, and freeze every parameter except the adapters.

    Returns the names of the replaced layers (in model.named_modules() order).
    Raises ValueError, leaving the model unchanged, when no nn.Linear matches.
    """
    ### BEGIN SOLUTION
    # TODO: collect the names of the matching nn.Linear modules (raise ValueError if none);
    # TODO: freeze all parameters; then for each name, set a LoRALinear on the layer's parent.
    names = [name for name, module in model.named_modules()
             if name and isinstance(module, nn.Linear) and matches(name, target_modules)]
    if not names:
        raise ValueError(f"no nn.Linear layer of the model matches target_modules={target_modules!r}")
    for p in model.parameters():
        p.requires_grad_(False)
    for name in names:
        parent_name, _, child_name = name.rpartition(".")
        parent = model.get_submodule(parent_name)  # "" is the model itself
        setattr(parent, child_name, LoRALinear(getattr(parent, child_name), r=r, alpha=alpha,
                                               dropout=dropout))
    return names
    ### END SOLUTION


def lora_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The lora_A / lora_B entries of model.state_dict(), with their full key names
    (e.g. "layers.0.attn.q_proj.lora_A"), and nothing else."""
    ### BEGIN SOLUTION
    # TODO: filter model.state_dict() to the keys whose last part is lora_A or lora_B.
    return {key: value for key, value in model.state_dict().items()
            if key.rpartition(".")[2] in ("lora_A", "lora_B")}
    ### END SOLUTION


def merge_lora(model: nn.Module) -> nn.Module:
    """Replace, in place, every LoRALinear in `model` by its merged() nn.Linear; returns model."""
    ### BEGIN SOLUTION
    # TODO: for every LoRALinear found by named_modules() (collect them first), set its merged()
    # TODO: layer on its parent, as inject_lora did; return the model.
    found = [name for name, module in model.named_modules()
             if name and isinstance(module, LoRALinear)]
    for name in found:
        parent_name, _, child_name = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        setattr(parent, child_name, getattr(parent, child_name).merged())
    return model
    ### END SOLUTION

"""Kata 05_fine_tuning/param_groups: optimizer parameter groups for fine-tuning.

An optimizer takes a list of *parameter groups*, each a dict with its own settings:

    torch.optim.AdamW([
        {"params": [w1, w2], "lr": 1e-3, "weight_decay": 0.05},
        {"params": [b1, ln1], "lr": 1e-3, "weight_decay": 0.0},
        ...
    ])

Fine-tuning recipes use two rules at once:

1. Weight decay pulls weights towards zero. It helps on weight matrices and embeddings, but it
   hurts on biases and on normalisation layers' parameters (their weight is a scale that should
   stay near 1). So: no decay (weight_decay=0.0) for
   - biases: parameters whose own name ends with "bias" (`bias`, `in_proj_bias`, ...);
   - every parameter of a normalisation layer: an instance of one of NORM_TYPES below,
     whatever its name (`ln_f`, `bn`) and its shape.
   Everything else decays, 1-D or not (a learned `pos` vector, an embedding table).
   Whether a parameter is a norm layer's depends on the *module that owns it*: walk
   `model.named_modules()` and each module's own parameters, `named_parameters(recurse=False)`.
2. The pretrained backbone already knows a lot: it gets a smaller learning rate. Parameters of
   `model.head` (at any depth) get `lr`; every other parameter gets `backbone_lr`.

Further rules:
- Frozen parameters (requires_grad False) go in no group: the optimizer has nothing to do there.
- Each parameter appears exactly once. A parameter shared by two modules (tied weights) is met
  twice when walking modules: keep the first. (AdamW refuses duplicates.)
- "params" is a list: an optimizer needs a fixed order, so no sets (and no one-shot generators).
- Every group states both "lr" and "weight_decay": a missing key silently takes the optimizer's
  default, and AdamW's default weight_decay is 0.01, not 0.
- Empty groups are left out (a linear probe has no backbone group at all).
- The order of the groups does not matter.
"""

import torch
from torch import nn

# The normalisation layers whose parameters are never decayed.
NORM_TYPES = (
    nn.LayerNorm,
    nn.GroupNorm,
    nn.RMSNorm,
    nn.modules.batchnorm._BatchNorm,  # BatchNorm1d/2d/3d, SyncBatchNorm
    nn.modules.instancenorm._InstanceNorm,  # InstanceNorm1d/2d/3d
)


def param_groups(model: nn.Module, lr: float, backbone_lr: float,
                 weight_decay: float) -> list[dict]:
    """Split the model's trainable parameters into AdamW parameter groups.

    Args:
        model: a module with a `head` submodule; everything outside model.head is the backbone.
        lr: learning rate for the head's parameters.
        backbone_lr: learning rate for every other parameter.
        weight_decay: weight decay for decayed parameters (biases and norm-layer parameters get 0.0).

    Returns a list of at most four non-empty dicts {"params": [...], "lr": ..., "weight_decay": ...}
    (head/backbone x decay/no decay), holding every trainable parameter exactly once.
    """
    ### BEGIN SOLUTION
    # TODO: walk model.named_modules() and each module's named_parameters(recurse=False); skip
    # TODO: frozen and already-seen parameters; sort each into (head?, decays?) buckets; return a
    # TODO: dict per non-empty bucket with its params list, lr and weight_decay.
    buckets: dict[tuple[bool, bool], list[torch.Tensor]] = {}
    seen = set()
    for module_name, module in model.named_modules():
        in_head = module_name == "head" or module_name.startswith("head.")
        for name, p in module.named_parameters(recurse=False):
            if not p.requires_grad or id(p) in seen:
                continue
            seen.add(id(p))
            decays = not (name.endswith("bias") or isinstance(module, NORM_TYPES))
            buckets.setdefault((in_head, decays), []).append(p)
    return [
        {"params": params, "lr": lr if in_head else backbone_lr,
         "weight_decay": weight_decay if decays else 0.0}
        for (in_head, decays), params in buckets.items()
    ]
    ### END SOLUTION

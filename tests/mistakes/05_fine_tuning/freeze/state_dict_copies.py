# MISTAKE: flips requires_grad on the tensors of state_dict(), which are detached copies
# FEEDBACK: state_dict() are detached copies
from torch import nn


def freeze(module):
    for t in module.state_dict().values():
        t.requires_grad_(False)
    return module


def unfreeze(module):
    for t in module.state_dict().values():
        if t.is_floating_point():
            t.requires_grad_(True)
    return module


def count_parameters(module, trainable_only=False):
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)

# MISTAKE: counts the tensors of state_dict(), which include buffers (and tied weights under both names)
# FEEDBACK: buffers were counted
from torch import nn


def freeze(module):
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def unfreeze(module):
    for p in module.parameters():
        p.requires_grad_(True)
    return module


def count_parameters(module, trainable_only=False):
    return sum(t.numel() for t in module.state_dict(keep_vars=True).values()
               if t.requires_grad or not trainable_only)

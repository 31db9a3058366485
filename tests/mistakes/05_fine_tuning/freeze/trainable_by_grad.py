# MISTAKE: takes "trainable" to mean "has a .grad", not requires_grad
# FEEDBACK: whether .grad is set does not matter
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
    return sum(p.numel() for p in module.parameters() if p.grad is not None or not trainable_only)

# MISTAKE: uses parameters(recurse=False), so only the module's own parameters change
# FEEDBACK: nested parameters were missed
from torch import nn


def freeze(module):
    for p in module.parameters(recurse=False):
        p.requires_grad_(False)
    return module


def unfreeze(module):
    for p in module.parameters(recurse=False):
        p.requires_grad_(True)
    return module


def count_parameters(module, trainable_only=False):
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)

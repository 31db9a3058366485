# MISTAKE: ignores trainable_only and always counts every parameter
# FEEDBACK: trainable_only=True must count only
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
    return sum(p.numel() for p in module.parameters())

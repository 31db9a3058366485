# MISTAKE: counts parameter tensors instead of their elements
# FEEDBACK: p.numel()
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
    return len([p for p in module.parameters() if p.requires_grad or not trainable_only])

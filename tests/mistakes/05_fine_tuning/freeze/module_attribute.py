# MISTAKE: sets module.requires_grad = False, a plain attribute nothing reads
# FEEDBACK: unused attribute
from torch import nn


def freeze(module):
    module.requires_grad = False
    return module


def unfreeze(module):
    module.requires_grad = True
    return module


def count_parameters(module, trainable_only=False):
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)

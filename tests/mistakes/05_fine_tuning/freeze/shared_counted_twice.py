# MISTAKE: walks every submodule and its own parameters, so tied weights are counted twice
# FEEDBACK: shared parameter (tied weights) was counted twice
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
    total = 0
    for m in module.modules():
        for p in m.parameters(recurse=False):
            if p.requires_grad or not trainable_only:
                total += p.numel()
    return total

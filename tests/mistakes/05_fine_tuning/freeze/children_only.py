# MISTAKE: walks module.children() and their own parameters, missing deeper ones and the root's own
# FEEDBACK: nested parameters were missed
from torch import nn


def freeze(module):
    for child in module.children():
        for p in child.parameters(recurse=False):
            p.requires_grad = False
    return module


def unfreeze(module):
    for child in module.children():
        for p in child.parameters(recurse=False):
            p.requires_grad = True
    return module


def count_parameters(module, trainable_only=False):
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)

# ALTERNATE: loops over named_parameters() setting the attribute, counts with an explicit loop
from torch import nn


def _set(module, flag):
    for _name, param in module.named_parameters():
        param.requires_grad = flag
    return module


def freeze(module):
    return _set(module, False)


def unfreeze(module):
    return _set(module, True)


def count_parameters(module, trainable_only=False):
    total = 0
    for param in module.parameters():
        if trainable_only and not param.requires_grad:
            continue
        n = 1
        for size in param.shape:
            n *= size
        total += n
    return total

# ALTERNATE: uses nn.Module.requires_grad_ and counts with a dict keyed by id over every submodule
from torch import nn


def freeze(module):
    return module.requires_grad_(False)


def unfreeze(module):
    return module.requires_grad_(True)


def count_parameters(module, trainable_only=False):
    sizes = {}
    for m in module.modules():
        for p in m.parameters(recurse=False):
            if p.requires_grad or not trainable_only:
                sizes[id(p)] = p.numel()
    return sum(sizes.values())

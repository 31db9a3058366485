# MISTAKE: unfreezes buffers too, so BatchNorm running statistics start requiring grad
# FEEDBACK: buffers (BatchNorm running statistics) are not parameters
import itertools

from torch import nn


def freeze(module):
    for t in itertools.chain(module.parameters(), module.buffers()):
        t.requires_grad_(False)
    return module


def unfreeze(module):
    for t in itertools.chain(module.parameters(), module.buffers()):
        if t.is_floating_point():
            t.requires_grad_(True)
    return module


def count_parameters(module, trainable_only=False):
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)

# MISTAKE: freezes correctly but also switches the module to eval mode (and back to train on unfreeze)
# FEEDBACK: changed train/eval mode
from torch import nn


def freeze(module):
    for p in module.parameters():
        p.requires_grad_(False)
    module.eval()
    return module


def unfreeze(module):
    for p in module.parameters():
        p.requires_grad_(True)
    module.train()
    return module


def count_parameters(module, trainable_only=False):
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)

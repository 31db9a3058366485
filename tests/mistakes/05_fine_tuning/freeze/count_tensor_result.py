# MISTAKE: returns the count as a tensor instead of a Python int
# FEEDBACK: return a Python int
import torch
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
    sizes = [p.numel() for p in module.parameters() if p.requires_grad or not trainable_only]
    return torch.tensor(sizes, dtype=torch.long).sum()

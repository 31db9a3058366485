# MISTAKE: calls module.eval() / module.train() as if that froze the weights
# FEEDBACK: eval() does not freeze
from torch import nn


def freeze(module):
    return module.eval()


def unfreeze(module):
    return module.train()


def count_parameters(module, trainable_only=False):
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)

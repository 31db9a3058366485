# MISTAKE: unfreeze_last trains the blocks and head but leaves the final norm frozen
# FEEDBACK: final norm (backbone.norm)
import torch
from torch import nn


def set_trainable(module, flag):
    for p in module.parameters():
        p.requires_grad_(flag)


def linear_probe(model):
    set_trainable(model, False)
    set_trainable(model.head, True)


def unfreeze_last(model, n):
    if n < 0:
        raise ValueError(n)
    set_trainable(model, False)
    set_trainable(model.head, True)
    if n > 0:
        for block in model.backbone.blocks[-n:]:
            set_trainable(block, True)


def full_finetune(model):
    set_trainable(model, True)

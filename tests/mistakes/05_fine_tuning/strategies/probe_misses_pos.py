# MISTAKE: the probe freezes the backbone's submodules one by one and misses the bare pos parameter
# FEEDBACK: embed, pos, blocks
import torch
from torch import nn


def set_trainable(module, flag):
    for p in module.parameters():
        p.requires_grad_(flag)


def linear_probe(model):
    for child in model.backbone.children():
        set_trainable(child, False)
    set_trainable(model.head, True)


def unfreeze_last(model, n):
    if n < 0:
        raise ValueError(n)
    for child in model.backbone.children():
        set_trainable(child, False)
    set_trainable(model.head, True)
    if n > 0:
        for block in model.backbone.blocks[-n:]:
            set_trainable(block, True)
        set_trainable(model.backbone.norm, True)


def full_finetune(model):
    set_trainable(model, True)

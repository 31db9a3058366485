# MISTAKE: the linear probe also puts the backbone in eval mode
# FEEDBACK: a strategy changed train/eval mode
import torch
from torch import nn


def set_trainable(module, flag):
    for p in module.parameters():
        p.requires_grad_(flag)


def linear_probe(model):
    set_trainable(model, False)
    set_trainable(model.head, True)
    model.backbone.eval()


def unfreeze_last(model, n):
    if n < 0:
        raise ValueError(n)
    set_trainable(model, False)
    set_trainable(model.head, True)
    if n > 0:
        for block in model.backbone.blocks[-n:]:
            set_trainable(block, True)
        set_trainable(model.backbone.norm, True)


def full_finetune(model):
    set_trainable(model, True)

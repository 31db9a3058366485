# MISTAKE: full_finetune unfreezes the blocks and head but forgets the embedding, pos and final norm
# FEEDBACK: full fine-tuning trains every parameter
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
        set_trainable(model.backbone.norm, True)


def full_finetune(model):
    for block in model.backbone.blocks:
        set_trainable(block, True)
    set_trainable(model.head, True)

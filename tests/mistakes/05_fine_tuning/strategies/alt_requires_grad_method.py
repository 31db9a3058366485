# ALTERNATE: uses Module.requires_grad_ and indexes the blocks from len(blocks) - n
import torch
from torch import nn


def set_trainable(module, flag):
    for p in module.parameters():
        p.requires_grad_(flag)


def linear_probe(model):
    model.requires_grad_(False)
    model.head.requires_grad_(True)


def unfreeze_last(model, n):
    if n < 0:
        raise ValueError(f"negative n: {n}")
    model.requires_grad_(False)
    model.head.requires_grad_(True)
    blocks = model.backbone.blocks
    start = max(len(blocks) - n, 0)
    for i in range(start, len(blocks)):
        blocks[i].requires_grad_(True)
    if n:
        model.backbone.norm.requires_grad_(True)


def full_finetune(model):
    model.requires_grad_(True)

# ALTERNATE: decides every parameter by its name, computing the indices of the last n blocks
import torch
from torch import nn


def set_trainable(module, flag):
    for p in module.parameters():
        p.requires_grad_(flag)


def _by_name(model, keep):
    for name, p in model.named_parameters():
        p.requires_grad_(keep(name))


def linear_probe(model):
    _by_name(model, lambda name: name.startswith("head."))


def unfreeze_last(model, n):
    if n < 0:
        raise ValueError("n must not be negative")
    count = len(model.backbone.blocks)
    prefixes = ["head."] + [f"backbone.blocks.{i}." for i in range(max(count - n, 0), count)]
    if n > 0:
        prefixes.append("backbone.norm.")
    _by_name(model, lambda name: name.startswith(tuple(prefixes)))


def full_finetune(model):
    _by_name(model, lambda name: True)

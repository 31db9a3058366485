"""Public tests for 05_fine_tuning/strategies: the basics. The hidden suite checks much more."""

import torch
from torch import nn

from grader.checks import expect


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))


class Backbone(nn.Module):
    def __init__(self, d_in, d, n_blocks):
        super().__init__()
        self.embed = nn.Linear(d_in, d)
        self.pos = nn.Parameter(torch.zeros(d))
        self.blocks = nn.ModuleList(Block(d) for _ in range(n_blocks))
        self.norm = nn.LayerNorm(d)


class Classifier(nn.Module):
    def __init__(self, n_blocks=4):
        super().__init__()
        self.backbone = Backbone(8, 16, n_blocks)
        self.head = nn.Linear(16, 3)


def _trainable_modules(model):
    names = {n.rsplit(".", 1)[0] for n, p in model.named_parameters() if p.requires_grad}
    return {n.split(".ff")[0].split(".norm")[0] if "blocks" in n else n for n in names}


def test_linear_probe(kata):
    """linear_probe trains the head only"""
    model = Classifier()
    kata.linear_probe(model)
    got = sorted(n for n, p in model.named_parameters() if p.requires_grad)
    expect(got == ["head.bias", "head.weight"],
           f"after linear_probe only the head should be trainable, got {got}")


def test_unfreeze_last_two(kata):
    """unfreeze_last(model, 2) trains the last two blocks, the final norm and the head"""
    model = Classifier(n_blocks=4)
    kata.unfreeze_last(model, 2)
    got = _trainable_modules(model)
    want = {"backbone.blocks.2", "backbone.blocks.3", "backbone.norm", "head"}
    expect(got == want, f"after unfreeze_last(model, 2) the trainable parts should be {sorted(want)}, "
                        f"got {sorted(got)}: the last n blocks are blocks[-n:]")


def test_full_finetune(kata):
    """full_finetune trains everything, even after a linear probe"""
    model = Classifier()
    for p in model.parameters():
        p.requires_grad_(False)
    kata.full_finetune(model)
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    expect(frozen == [], f"after full_finetune every parameter should train; still frozen: {frozen}")

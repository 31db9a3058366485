"""Public tests for 05_fine_tuning/param_groups: the basics. The hidden suite checks much more."""

import torch
from torch import nn

from grader.checks import expect, expect_type


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU())
        self.head = nn.Linear(8, 3)


def _settings(groups, model):
    names = {id(p): n for n, p in model.named_parameters()}
    out = {}
    for g in groups:
        expect_type(g, dict, "each parameter group", hint="a group is a dict with params, lr, weight_decay")
        for p in g["params"]:
            out[names.get(id(p), "?")] = (g["lr"], g["weight_decay"])
    return out


def test_groups_for_a_small_model(kata):
    """splits decay/no-decay and head/backbone learning rates"""
    model = Net()
    groups = kata.param_groups(model, lr=1e-3, backbone_lr=1e-4, weight_decay=0.05)
    expect_type(groups, list, "param_groups' result", hint="return a list of dicts")
    got = _settings(groups, model)
    want = {"backbone.0.weight": (1e-4, 0.05), "backbone.0.bias": (1e-4, 0.0),
            "backbone.1.weight": (1e-4, 0.0), "backbone.1.bias": (1e-4, 0.0),
            "head.weight": (1e-3, 0.05), "head.bias": (1e-3, 0.0)}
    for name, setting in want.items():
        expect(got.get(name) == setting, f"{name} should get (lr, weight_decay) = {setting}, "
                                         f"got {got.get(name)}: biases and LayerNorm parameters "
                                         "take no decay; the head uses lr, the rest backbone_lr")


def test_usable_by_adamw(kata):
    """the groups build a working torch.optim.AdamW"""
    model = Net()
    optimizer = torch.optim.AdamW(kata.param_groups(model, 1e-3, 1e-4, 0.01))
    model.head(model.backbone(torch.randn(2, 4))).sum().backward()
    optimizer.step()
    count = sum(len(g["params"]) for g in optimizer.param_groups)
    expect(count == 6, f"the optimizer should hold the model's 6 parameters, holds {count}")

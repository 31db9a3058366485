"""Scenarios for 05_fine_tuning/replace_head: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_replace_head.py, which rebuilds the models with the builders below."""


import torch
from torch import nn

from grader.checks import explain, manual_seed
from grader.observe import attempt, scenario

ATTR_ERRORS = {r"has no attribute": "the head's name is in attr_name: read it with "
                                    "getattr(model, attr_name), not a fixed model.head"}


class Net(nn.Module):
    """backbone -> proj -> <attr> head; `attr` is the head's attribute name."""

    def __init__(self, attr="head", d_in=5, feat=12, classes=7, bias=True):
        super().__init__()
        self.attr = attr
        self.backbone = nn.Sequential(nn.Linear(d_in, 9), nn.ReLU(), nn.Linear(9, feat))
        self.proj = nn.Linear(feat, feat)
        setattr(self, attr, nn.Linear(feat, classes, bias=bias))

    def forward(self, x):
        return getattr(self, self.attr)(torch.tanh(self.proj(self.backbone(x))))


def net(seed=0, **kwargs):
    manual_seed(seed)
    return Net(**kwargs)


def partly_frozen_net():
    model = net(7)
    model.backbone[0].weight.requires_grad_(False)
    return model


def replace(kata, model, attr, n):
    with explain(ATTR_ERRORS):
        return kata.replace_head(model, attr, n)


def head_facts(new):
    """What the checks need of replace_head's result: an nn.Linear's facts, or else the value
    itself (it crosses as plain data or as the name of its type)."""
    if type(new) is not nn.Linear:
        return {"linear": False, "returned": new}
    return {"linear": True, "in_features": new.in_features, "out_features": new.out_features,
            "weight": new.weight, "bias": new.bias, "training": new.training}


def _backward(model, x):
    model(x).sum().backward()


@scenario
def new_head_shapes(kata, attr, feat, classes, n):
    model = net(attr=attr, feat=feat, classes=classes)
    return head_facts(replace(kata, model, attr, n))


@scenario
def installed_under_attr_name(kata, attr):
    model = net(1, attr=attr, feat=10, classes=4)
    old = getattr(model, attr)
    new = replace(kata, model, attr, 6)
    return {"head": head_facts(new), "installed": getattr(model, attr) is new,
            "modules": [name for name, _ in model.named_modules()],
            "new_registered": any(p is getattr(new, "weight", None) for p in model.parameters()),
            "old_registered": any(p is old.weight for p in model.parameters()),
            "output": attempt(kata, model, torch.randn(3, 5))}


@scenario
def bias_kept_as_before(kata, bias):
    return head_facts(replace(kata, net(2, bias=bias), "head", 4))


@scenario
def dtype_of_the_model(kata, dtype):
    model = net(3).to(dtype)
    new = replace(kata, model, "head", 3)
    # no float16 matmul guarantee on every CPU build
    ran = attempt(kata, model, torch.randn(2, 5, dtype=dtype)) if dtype != torch.float16 else None
    return {"head": head_facts(new), "output": ran}


@scenario
def meta_device(kata):
    with torch.device("meta"):
        model = Net(feat=2048, classes=1000)
    return head_facts(replace(kata, model, "head", 21))


@scenario
def device_of_the_model(kata, device):
    model = net(4).to(device)
    new = replace(kata, model, "head", 5)
    return {"head": head_facts(new),
            "output": attempt(kata, model, torch.randn(6, 5, device=device))}


@scenario
def new_head_is_trainable(kata):
    model = net(5)
    for p in model.parameters():
        p.requires_grad_(False)
    new = replace(kata, model, "head", 4)
    head = head_facts(new)
    if not head["linear"]:
        return {"head": head}  # the check stops at the result's type
    return {"head": head,
            "requires_grad": {n: p.requires_grad for n, p in model.named_parameters()},
            "backward": attempt(kata, _backward, model, torch.randn(3, 5)),
            "weight_grad": new.weight.grad}


@scenario
def old_head_not_reused(kata):
    model = net(6, classes=7)
    old = model.head
    old_weight, old_bias = old.weight, old.bias
    new = replace(kata, model, "head", 3)
    head = head_facts(new)
    if not head["linear"]:
        return {"head": head}  # the check stops at the result's type
    return {"head": head, "new_is_old": new is old,
            "old_params_kept": old.weight is old_weight and old.bias is old_bias,
            "old_out_features": old.out_features, "old_weight": old.weight, "old_bias": old.bias,
            "new_storage": new.weight.untyped_storage().data_ptr(),
            "old_storage": old.weight.untyped_storage().data_ptr()}


@scenario
def rest_of_model_untouched(kata):
    model = partly_frozen_net()
    before = {n: p for n, p in model.named_parameters() if not n.startswith("head.")}
    replace(kata, model, "head", 2)
    now = dict(model.named_parameters())
    return {name: {"same_object": now.get(name) is p, "value": p,
                   "requires_grad": p.requires_grad} for name, p in before.items()}


@scenario
def mode_follows_the_old_head(kata, training):
    return head_facts(replace(kata, net(8).train(training), "head", 3))

"""Scenarios for 05_fine_tuning/param_groups: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_param_groups.py, which rebuilds the models with the builders below and works
out the expected grouping itself.

Parameter objects cannot cross to the checks, so a scenario names each tensor in the groups: the
name of the model parameter it is (the same object), or None for any other object.
"""

import torch
from torch import nn

from grader.checks import manual_seed
from grader.observe import scenario

ADAMW_STEPS = 2


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, 2, batch_first=True)
        self.ff = nn.Linear(d, d)


class Backbone(nn.Module):
    def __init__(self, vocab, d, n_blocks):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(d))  # 1-D, yet decayed: it is not a bias or a norm
        self.blocks = nn.ModuleList(Block(d) for _ in range(n_blocks))
        self.bn = nn.BatchNorm1d(d)
        self.gn = nn.GroupNorm(2, d)
        self.rms = nn.RMSNorm(d)
        self.ln_f = nn.LayerNorm((2, d))  # a 2-D norm weight, yet not decayed
        self.unembed = nn.Linear(d, vocab, bias=False)
        self.unembed.weight = self.embed.weight  # tied: one parameter in two modules


class Net(nn.Module):
    def __init__(self, vocab=11, d=8, n_blocks=2, classes=3):
        super().__init__()
        self.backbone = Backbone(vocab, d, n_blocks)
        self.head = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, classes))


def net(seed=0, **kwargs):
    manual_seed(seed)
    return Net(**kwargs)


def net_with_frozen_parts():
    model = net(3)
    for p in list(model.backbone.blocks[0].parameters()) + [model.backbone.pos]:
        p.requires_grad_(False)
    return model


def linear_probe():
    """A Net whose whole backbone is frozen."""
    model = net(8)
    for p in model.backbone.parameters():
        p.requires_grad_(False)
    return model


def plain_model():
    """A backbone and a head without biases or norms."""
    manual_seed(8)
    model = nn.Sequential(nn.Linear(3, 4, bias=False))
    model.head = nn.Linear(4, 2, bias=False)
    return model


def net_for_adamw(device):
    model = net(10).to(device)
    model.backbone.blocks[1].requires_grad_(False)
    return model


def net_with_frozen_embedding(training):
    model = net(11).train(training)
    model.backbone.embed.weight.requires_grad_(False)
    return model


def large_on_meta():
    with torch.device("meta"):
        return Net(vocab=50_000, d=1024, n_blocks=4, classes=1000)


def adamw_steps(model, optimizer, device):
    """ADAMW_STEPS steps of `optimizer` with seeded gradients on the trainable parameters."""
    g = torch.Generator().manual_seed(10)
    for _ in range(ADAMW_STEPS):
        for p in model.parameters():
            grad = torch.randn(p.shape, generator=g).to(device)
            p.grad = grad if p.requires_grad else None
        optimizer.step()


def _describe(model, groups):
    """param_groups' result as data: its form, and each listed object as the name of the model
    parameter it is (None for anything else) with its requires_grad."""
    if type(groups) is not list:
        return groups
    names = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        names.setdefault(id(p), name)
    objects = {}  # each distinct listed object gets a number, so repeats show
    described = []
    for group in groups:
        if type(group) is not dict:
            described.append(group)
            continue
        seen = {key: group[key] for key in ("params", "lr", "weight_decay") if key in group}
        if type(seen.get("params")) is list:
            seen["params"] = [
                {"name": names.get(id(p)), "object": objects.setdefault(id(p), len(objects)),
                 "requires_grad": getattr(p, "requires_grad", None)}
                for p in seen["params"]]
        described.append(seen)
    return described


def _param_groups(kata, model, lr=1e-3, backbone_lr=1e-4, weight_decay=0.05):
    return kata.param_groups(model, lr=lr, backbone_lr=backbone_lr, weight_decay=weight_decay)


@scenario
def groups_are_well_formed(kata):
    model = net(1)
    return _describe(model, _param_groups(kata, model))


@scenario
def every_trainable_parameter_exactly_once(kata):
    model = net(2)
    return _describe(model, _param_groups(kata, model))


@scenario
def frozen_parameters_left_out(kata):
    model = net_with_frozen_parts()
    return _describe(model, _param_groups(kata, model))


@scenario
def biases_not_decayed(kata, wd):
    model = net(4)
    return _describe(model, _param_groups(kata, model, weight_decay=wd))


@scenario
def norm_parameters_not_decayed(kata, wd):
    model = net(5)
    return _describe(model, _param_groups(kata, model, weight_decay=wd))


@scenario
def other_parameters_decayed(kata):
    model = net(6)
    return _describe(model, _param_groups(kata, model, weight_decay=0.07))


@scenario
def learning_rates(kata, lr, backbone_lr):
    model = net(7)
    return _describe(model, _param_groups(kata, model, lr=lr, backbone_lr=backbone_lr))


@scenario
def no_empty_groups(kata):
    probe = linear_probe()
    probe_groups = _describe(probe, _param_groups(kata, probe))
    plain = plain_model()
    return {"probe": probe_groups, "plain": _describe(plain, _param_groups(kata, plain))}


@scenario
def groups_state_lr_and_weight_decay(kata):
    model = net(9)
    return _describe(model, _param_groups(kata, model, lr=2e-3, backbone_lr=2e-4,
                                          weight_decay=0.3))


@scenario
def adamw_steps_like_the_reference(kata, device):
    model = net_for_adamw(device)
    groups = _param_groups(kata, model, lr=0.05, backbone_lr=0.01, weight_decay=0.5)
    described = _describe(model, groups)
    adamw_steps(model, torch.optim.AdamW(groups), device)
    return {"groups": described,
            "after": {name: p.detach() for name, p in model.named_parameters()}}


@scenario
def model_unchanged(kata, training):
    model = net_with_frozen_embedding(training)
    before = dict(model.named_parameters())
    described = _describe(model, _param_groups(kata, model))
    return {"groups": described,
            "requires_grad": {n: p.requires_grad for n, p in model.named_parameters()},
            "replaced": [n for n, p in model.named_parameters() if p is not before.get(n)],
            "modes": {n: m.training for n, m in model.named_modules()}}


@scenario
def meta_device_model(kata):
    model = large_on_meta()
    return _describe(model, _param_groups(kata, model))

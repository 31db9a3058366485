"""Scenarios for 05_fine_tuning/strategies: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_strategies.py, which rebuilds the models with the builders below."""

import torch
from torch import nn

from grader.checks import manual_seed
from grader.observe import scenario


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, x):
        return x + self.ff(self.norm(x))


class Backbone(nn.Module):
    def __init__(self, d_in, d, n_blocks):
        super().__init__()
        self.embed = nn.Linear(d_in, d)
        self.pos = nn.Parameter(torch.zeros(d))
        self.blocks = nn.ModuleList(Block(d) for _ in range(n_blocks))
        self.norm = nn.LayerNorm(d)

    def forward(self, x):
        x = self.embed(x) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


class Classifier(nn.Module):
    def __init__(self, d_in=6, d=8, n_blocks=4, num_classes=3):
        super().__init__()
        self.backbone = Backbone(d_in, d, n_blocks)
        self.head = nn.Linear(d, num_classes)

    def forward(self, x):
        return self.head(self.backbone(x))


def model_for(n_blocks=4, seed=0, state=None):
    """A Classifier; `state` sets requires_grad on every parameter first (None: as built)."""
    manual_seed(seed)
    model = Classifier(n_blocks=n_blocks)
    if state is not None:
        for p in model.parameters():
            p.requires_grad_(state)
    return model


def trainable(model):
    return sorted(n for n, p in model.named_parameters() if p.requires_grad)


def call_text(call):
    """How the checks name a strategy call such as ("last", 2)."""
    if call[0] == "full":
        return "full_finetune"
    if call[0] == "probe":
        return "linear_probe"
    return f"unfreeze_last(model, {call[1]})"


def apply(kata, model, call):
    if call[0] == "full":
        kata.full_finetune(model)
    elif call[0] == "probe":
        kata.linear_probe(model)
    else:
        kata.unfreeze_last(model, call[1])


@scenario
def linear_probe_trains_only_the_head(kata, n_blocks):
    model = model_for(n_blocks, seed=n_blocks)
    kata.linear_probe(model)
    return trainable(model)


@scenario
def linear_probe_on_a_frozen_model(kata):
    model = model_for(state=False)
    kata.linear_probe(model)
    return trainable(model)


@scenario
def unfreeze_last_n(kata, n):
    model = model_for(5, seed=n)
    kata.unfreeze_last(model, n)
    return trainable(model)


@scenario
def unfreeze_last_zero_is_a_linear_probe(kata):
    model = model_for(4, seed=3, state=True)
    kata.unfreeze_last(model, 0)
    return trainable(model)


@scenario
def unfreeze_last_more_than_there_are(kata, extra):
    model = model_for(3, seed=4 + extra)
    kata.unfreeze_last(model, 3 + extra)
    return trainable(model)


@scenario
def unfreeze_last_rejects_negative_n(kata):
    model = model_for(4, seed=5)
    try:
        kata.unfreeze_last(model, -1)
    except ValueError as err:
        return {"raised": type(err).__name__}
    return {"raised": None}


@scenario
def full_finetune_trains_everything(kata, n_blocks):
    model = model_for(n_blocks, seed=6, state=False)
    kata.full_finetune(model)
    return trainable(model)


@scenario
def strategies_in_sequence(kata, first, then):
    model = model_for(4, seed=7)
    apply(kata, model, first)
    apply(kata, model, then)
    return trainable(model)


@scenario
def only_requires_grad_changes(kata, training):
    model = model_for(3, seed=8).train(training)
    before = dict(model.named_parameters())
    modes = []  # after each strategy: every module's training flag
    for call in (("probe",), ("last", 1), ("full",)):
        apply(kata, model, call)
        modes.append({n: m.training for n, m in model.named_modules()})
    now = dict(model.named_parameters())
    return {"modes": modes,
            "parameters": {n: {"same_object": now.get(n) is p, "value": p}
                           for n, p in before.items()}}


@scenario
def gradients_follow_the_strategy(kata, device):
    model = model_for(3, seed=9).to(device)
    kata.unfreeze_last(model, 1)
    model(torch.randn(5, 6, device=device)).pow(2).sum().backward()
    return {"with_grad": [n for n, p in model.named_parameters() if p.grad is not None],
            "devices": {n: p.device.type for n, p in model.named_parameters()}}

"""Hidden tests for 05_fine_tuning/strategies."""

import pytest
import torch
from torch import nn

from grader.checks import assert_equal_tensors, expect, manual_seed

LEAK = ("flags left over from the model's previous state: a strategy must decide every "
        "parameter. Freeze everything first, then unfreeze exactly what it trains")


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


def _model(n_blocks=4, seed=0, state=None):
    manual_seed(seed)
    model = Classifier(n_blocks=n_blocks)
    if state is not None:
        for p in model.parameters():
            p.requires_grad_(state)
    return model


def _expected(model, n_last, norm=None):
    """Trusted: the names a strategy training the head and the last n_last blocks should leave."""
    count = len(model.backbone.blocks)
    chosen = {f"backbone.blocks.{i}." for i in range(max(count - n_last, 0), count)}
    norm = n_last > 0 if norm is None else norm
    names = set()
    for name, _ in model.named_parameters():
        if name.startswith("head.") or any(name.startswith(c) for c in chosen):
            names.add(name)
        elif norm and name.startswith("backbone.norm."):
            names.add(name)
    return names


def _check(model, want, doing, hint):
    got = {n for n, p in model.named_parameters() if p.requires_grad}
    extra, missing = sorted(got - want), sorted(want - got)
    detail = []
    if extra:
        detail.append(f"trainable but should be frozen: {extra}")
    if missing:
        detail.append(f"frozen but should train: {missing}")
    expect(not detail, f"{hint}\n  after {doing}: " + "; ".join(detail))


@pytest.mark.parametrize("n_blocks", [1, 4, 7])
def test_linear_probe_trains_only_the_head(kata, n_blocks):
    """linear_probe leaves exactly the head trainable"""
    model = _model(n_blocks, seed=n_blocks)
    kata.linear_probe(model)
    _check(model, _expected(model, 0), "linear_probe(model)",
           "a linear probe trains the head only: every backbone parameter (embed, pos, blocks, "
           "norm) must be frozen")


def test_linear_probe_on_a_frozen_model(kata):
    """linear_probe makes the head trainable even if the model arrived fully frozen"""
    model = _model(state=False)
    kata.linear_probe(model)
    _check(model, _expected(model, 0), "linear_probe on a fully frozen model",
           "the head was not unfrozen: the model may arrive in any state. " + LEAK)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_unfreeze_last_n(kata, n):
    """unfreeze_last trains the last n blocks, the final norm and the head"""
    model = _model(5, seed=n)
    kata.unfreeze_last(model, n)
    _check(model, _expected(model, n), f"unfreeze_last(model, {n}) with 5 blocks",
           "the last n blocks are blocks[-n:] (blocks[:n] are the first n); with them train the "
           "final norm (backbone.norm) and the head; embed and pos stay frozen")


def test_unfreeze_last_zero_is_a_linear_probe(kata):
    """unfreeze_last(model, 0) trains no block: only the head"""
    model = _model(4, seed=3, state=True)
    kata.unfreeze_last(model, 0)
    _check(model, _expected(model, 0), "unfreeze_last(model, 0)",
           "n == 0 must train no block: blocks[-0:] is blocks[0:], the whole list. Handle n == 0 "
           "on its own; it is the same as a linear probe (no final norm either)")


@pytest.mark.parametrize("extra", [0, 3])
def test_unfreeze_last_more_than_there_are(kata, extra):
    """n at or past the number of blocks trains all blocks, but not the embedding"""
    model = _model(3, seed=4 + extra)
    kata.unfreeze_last(model, 3 + extra)
    _check(model, _expected(model, 3 + extra), f"unfreeze_last(model, {3 + extra}) with 3 blocks",
           "n >= the number of blocks trains every block, the final norm and the head, but the "
           "embedding (backbone.embed and backbone.pos) comes before the blocks and stays frozen")


def test_unfreeze_last_rejects_negative_n(kata):
    """unfreeze_last raises ValueError for a negative n"""
    model = _model(4, seed=5)
    try:
        kata.unfreeze_last(model, -1)
    except ValueError:
        return
    expect(False, "unfreeze_last(model, -1) should raise ValueError: a negative number of blocks "
                  "makes no sense, and blocks[-(-1):] would silently pick blocks[1:]")


@pytest.mark.parametrize("n_blocks", [2, 6])
def test_full_finetune_trains_everything(kata, n_blocks):
    """full_finetune makes every parameter trainable, embedding and pos included"""
    model = _model(n_blocks, seed=6, state=False)
    kata.full_finetune(model)
    everything = {n for n, _ in model.named_parameters()}
    _check(model, everything, "full_finetune on a frozen model",
           "full fine-tuning trains every parameter: set requires_grad True on all of "
           "model.parameters() (model.train() does not unfreeze anything)")


def _apply(kata, model, call):
    if call[0] == "full":
        kata.full_finetune(model)
        return "full_finetune"
    if call[0] == "probe":
        kata.linear_probe(model)
        return "linear_probe"
    kata.unfreeze_last(model, call[1])
    return f"unfreeze_last(model, {call[1]})"


@pytest.mark.parametrize("first,then", [
    (("full",), ("probe",)), (("full",), ("last", 1)), (("last", 3), ("last", 1)),
    (("probe",), ("last", 2)), (("last", 4), ("probe",)), (("last", 2), ("last", 0)),
], ids=["full-probe", "full-last1", "last3-last1", "probe-last2", "last4-probe", "last2-last0"])
def test_strategies_in_sequence(kata, first, then):
    """a strategy's result does not depend on the strategy applied before it"""
    model = _model(4, seed=7)
    doing = _apply(kata, model, first) + " then " + _apply(kata, model, then)
    want = _expected(model, 0 if then[0] == "probe" else then[1])
    _check(model, want, doing, LEAK)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_only_requires_grad_changes(kata, training):
    """strategies keep train/eval mode and the parameters themselves"""
    model = _model(3, seed=8).train(training)
    before = {n: (p, p.detach().clone()) for n, p in model.named_parameters()}
    for step in (lambda: kata.linear_probe(model), lambda: kata.unfreeze_last(model, 1),
                 lambda: kata.full_finetune(model)):
        step()
        changed = sorted(n for n, m in model.named_modules() if m.training != training)
        expect(changed == [], "a strategy changed train/eval mode: strategies only set "
                              "requires_grad; switching modes (eval() for the backbone) is the "
                              f"training loop's job. Changed: {changed}")
    for name, p in model.named_parameters():
        expect(p is before[name][0], f"parameter {name!r} was replaced: only flip requires_grad")
        assert_equal_tensors(p.detach(), before[name][1], what=f"parameter {name!r}",
                             hint="strategies must not change parameter values")


def test_gradients_follow_the_strategy(kata, device):
    """after unfreeze_last(model, 1), backward() reaches exactly the trainable parameters"""
    model = _model(3, seed=9).to(device)
    kata.unfreeze_last(model, 1)
    model(torch.randn(5, 6, device=device)).pow(2).sum().backward()
    got = {n for n, p in model.named_parameters() if p.grad is not None}
    want = _expected(model, 1)
    expect(got == want, "gradients reached the wrong parameters: set requires_grad on the "
                        "parameters themselves (the last block, final norm, head). "
                        f"Got gradients for {sorted(got)}, expected {sorted(want)}")
    off = [n for n, p in model.named_parameters() if p.device.type != torch.device(device).type]
    expect(off == [], f"parameters moved off the model's device: {off}")

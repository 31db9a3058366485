"""Hidden tests for 05_fine_tuning/strategies: the checks. The scenarios are in
observe_strategies.py."""

import pytest
import torch

from grader.checks import assert_equal_tensors, expect
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

LEAK = ("flags left over from the model's previous state: a strategy must decide every "
        "parameter. Freeze everything first, then unfreeze exactly what it trains")


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


def _check(trainable, want, doing, hint):
    """`trainable`: the names the scenario saw requiring grad."""
    got = set(trainable)
    extra, missing = sorted(got - want), sorted(want - got)
    detail = []
    if extra:
        detail.append(f"trainable but should be frozen: {extra}")
    if missing:
        detail.append(f"frozen but should train: {missing}")
    expect(not detail, f"{hint}\n  after {doing}: " + "; ".join(detail))


@pytest.mark.parametrize("n_blocks", [1, 4, 7])
def test_linear_probe_trains_only_the_head(observed, n_blocks):
    """linear_probe leaves exactly the head trainable"""
    model = scenes.model_for(n_blocks, seed=n_blocks)
    _check(observed, _expected(model, 0), "linear_probe(model)",
           "a linear probe trains the head only: every backbone parameter (embed, pos, blocks, "
           "norm) must be frozen")


def test_linear_probe_on_a_frozen_model(observed):
    """linear_probe makes the head trainable even if the model arrived fully frozen"""
    model = scenes.model_for(state=False)
    _check(observed, _expected(model, 0), "linear_probe on a fully frozen model",
           "the head was not unfrozen: the model may arrive in any state. " + LEAK)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_unfreeze_last_n(observed, n):
    """unfreeze_last trains the last n blocks, the final norm and the head"""
    model = scenes.model_for(5, seed=n)
    _check(observed, _expected(model, n), f"unfreeze_last(model, {n}) with 5 blocks",
           "the last n blocks are blocks[-n:] (blocks[:n] are the first n); with them train the "
           "final norm (backbone.norm) and the head; embed and pos stay frozen")


def test_unfreeze_last_zero_is_a_linear_probe(observed):
    """unfreeze_last(model, 0) trains no block: only the head"""
    model = scenes.model_for(4, seed=3, state=True)
    _check(observed, _expected(model, 0), "unfreeze_last(model, 0)",
           "n == 0 must train no block: blocks[-0:] is blocks[0:], the whole list. Handle n == 0 "
           "on its own; it is the same as a linear probe (no final norm either)")


@pytest.mark.parametrize("extra", [0, 3])
def test_unfreeze_last_more_than_there_are(observed, extra):
    """n at or past the number of blocks trains all blocks, but not the embedding"""
    model = scenes.model_for(3, seed=4 + extra)
    _check(observed, _expected(model, 3 + extra),
           f"unfreeze_last(model, {3 + extra}) with 3 blocks",
           "n >= the number of blocks trains every block, the final norm and the head, but the "
           "embedding (backbone.embed and backbone.pos) comes before the blocks and stays frozen")


def test_unfreeze_last_rejects_negative_n(observed):
    """unfreeze_last raises ValueError for a negative n"""
    expect(observed["raised"] == "ValueError",
           "unfreeze_last(model, -1) should raise ValueError: a negative number of blocks "
           "makes no sense, and blocks[-(-1):] would silently pick blocks[1:]")


@pytest.mark.parametrize("n_blocks", [2, 6])
def test_full_finetune_trains_everything(observed, n_blocks):
    """full_finetune makes every parameter trainable, embedding and pos included"""
    model = scenes.model_for(n_blocks, seed=6, state=False)
    everything = {n for n, _ in model.named_parameters()}
    _check(observed, everything, "full_finetune on a frozen model",
           "full fine-tuning trains every parameter: set requires_grad True on all of "
           "model.parameters() (model.train() does not unfreeze anything)")


@pytest.mark.parametrize("first,then", [
    (("full",), ("probe",)), (("full",), ("last", 1)), (("last", 3), ("last", 1)),
    (("probe",), ("last", 2)), (("last", 4), ("probe",)), (("last", 2), ("last", 0)),
], ids=["full-probe", "full-last1", "last3-last1", "probe-last2", "last4-probe", "last2-last0"])
def test_strategies_in_sequence(observed, first, then):
    """a strategy's result does not depend on the strategy applied before it"""
    model = scenes.model_for(4, seed=7)
    doing = scenes.call_text(first) + " then " + scenes.call_text(then)
    want = _expected(model, 0 if then[0] == "probe" else then[1])
    _check(observed, want, doing, LEAK)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_only_requires_grad_changes(observed, training):
    """strategies keep train/eval mode and the parameters themselves"""
    modules = sorted(n for n, _ in scenes.model_for(3, seed=8).named_modules())
    expect(len(observed["modes"]) == 3,
           f"train/eval modes came back for {len(observed['modes'])} strategies, expected 3 "
           "(after linear_probe, unfreeze_last and full_finetune)")
    for modes in observed["modes"]:
        expect(sorted(modes) == modules,
               f"the model's modules are {sorted(modes)}, expected {modules}: strategies only set "
               "requires_grad")
        changed = sorted(n for n, flag in modes.items() if flag is not training)
        expect(changed == [], "a strategy changed train/eval mode: strategies only set "
                              "requires_grad; switching modes (eval() for the backbone) is the "
                              f"training loop's job. Changed: {changed}")
    for name, p in scenes.model_for(3, seed=8).named_parameters():
        seen = observed["parameters"][name]
        expect(seen["same_object"] is True,
               f"parameter {name!r} was replaced: only flip requires_grad")
        assert_equal_tensors(seen["value"], p.detach(), what=f"parameter {name!r}",
                             hint="strategies must not change parameter values")


def test_gradients_follow_the_strategy(observed, device):
    """after unfreeze_last(model, 1), backward() reaches exactly the trainable parameters"""
    got = set(observed["with_grad"])
    want = _expected(scenes.model_for(3, seed=9), 1)
    expect(got == want, "gradients reached the wrong parameters: set requires_grad on the "
                        "parameters themselves (the last block, final norm, head). "
                        f"Got gradients for {sorted(got)}, expected {sorted(want)}")
    names = sorted(n for n, _ in scenes.model_for(3, seed=9).named_parameters())
    expect(sorted(observed["devices"]) == names,
           f"the model's parameters are {sorted(observed['devices'])}, expected {names}: "
           "strategies only set requires_grad")
    off = [n for n, kind in observed["devices"].items() if kind != torch.device(device).type]
    expect(off == [], f"parameters moved off the model's device: {off}")

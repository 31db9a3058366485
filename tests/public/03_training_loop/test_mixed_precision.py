"""Public tests for 03_training_loop/mixed_precision: the basics. The hidden suite checks much more."""

import copy

import torch
import torch.nn.functional as F
from torch import nn

from grader.checks import assert_close, assert_scalar_close, expect_type, manual_seed


def _setup(seed):
    manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x = torch.randn(6, 4)
    y = torch.randint(0, 3, (6,))
    return model, x, y


def _reference(model, x, y, max_norm):
    """A correct AMP step on a copy of the model: the answer to compare with."""
    model = copy.deepcopy(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**16)
    opt.zero_grad()
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        loss = F.cross_entropy(model(x), y)
    scaler.scale(loss).backward()
    if max_norm is not None:
        scaler.unscale_(opt)
        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(opt)
    scaler.update()
    return model, loss.item()


def _run(kata, model, x, y, max_norm=None):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**16)
    return kata.amp_train_step(model, x, y, F.cross_entropy, opt, scaler,
                               device_type="cpu", dtype=torch.bfloat16, max_norm=max_norm)


def test_returns_the_loss_as_a_float(kata):
    """returns the batch's loss as a Python float"""
    model, x, y = _setup(0)
    _, want = _reference(model, x, y, None)
    got = _run(kata, model, x, y)
    expect_type(got, float, "the return value", hint="return loss.item(), a Python float")
    assert_scalar_close(got, want, what="the returned loss", rel=1e-4,
                        hint="return the true loss (loss.item()), not the scaled one")


def test_updates_like_a_reference_step(kata):
    """updates the parameters like a reference AMP step"""
    model, x, y = _setup(1)
    ref, _ = _reference(model, x, y, None)
    _run(kata, model, x, y)
    for p, q in zip(model.parameters(), ref.parameters()):
        assert_close(p.detach(), q.detach(), what="a parameter after the step", rtol=1e-4, atol=1e-6,
                     hint="scaler.scale(loss).backward(), then scaler.step(optimizer), scaler.update()")


def test_clips_after_unscaling(kata):
    """clips the unscaled gradients to max_norm"""
    model, x, y = _setup(2)
    ref, _ = _reference(model, x, y, 0.05)
    _run(kata, model, x, y, max_norm=0.05)
    for p, q in zip(model.parameters(), ref.parameters()):
        assert_close(p.detach(), q.detach(), what="a parameter after a clipped step", rtol=1e-4, atol=1e-6,
                     hint="call scaler.unscale_(optimizer) before clip_grad_norm_")

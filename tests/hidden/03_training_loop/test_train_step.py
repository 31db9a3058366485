"""Hidden tests for 03_training_loop/train_step."""

import copy

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from grader.checks import assert_close, assert_scalar_close, expect, expect_type, manual_seed

DID_NOT_MOVE = (
    "the parameters did not change: optimizer.step() must run after loss.backward(), while the "
    "gradients are still there. Did you forget optimizer.step(), call it before backward(), zero "
    "the gradients between backward() and step(), or call backward() on a loss cut off from the "
    "graph (loss.item(), loss.detach(), torch.tensor(...))?"
)
STALE_GRADS = (
    "gradients were not cleared: they accumulate across steps, since backward() adds into .grad. "
    "Call optimizer.zero_grad() at the start of the step, before backward()"
)
ARG_ORDER = (
    "the loss was computed with the arguments swapped: call loss_fn(outputs, targets), the model's "
    "predictions first and the targets second (torch.nn losses are not symmetric)"
)
MODE = (
    "train_step changed the model's mode: do not call model.train() or model.eval() in train_step; "
    "the caller chooses the mode"
)


class ModeProbe(nn.Module):
    """Passes its input through and records whether it ran in training mode."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append(self.training)
        return x


def _data(seed, batch, features, outputs, device):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, features, generator=g).to(device)
    y = torch.randn(batch, outputs, generator=g).to(device)
    return x, y


def _model(seed, features, outputs, device, hidden=6):
    manual_seed(seed)
    return nn.Sequential(nn.Linear(features, hidden), nn.Tanh(), nn.Linear(hidden, outputs)).to(device)


def _optimizers(kind):
    if kind == "sgd":
        return lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9)
    return lambda params: torch.optim.Adam(params, lr=0.05)


def _reference_steps(model, batches, loss_fn, make_opt):
    """Trusted: a copy of `model` trained on `batches`; returns (model copy, losses)."""
    ref = copy.deepcopy(model)
    opt = make_opt(ref.parameters())
    losses = []
    for x, y in batches:
        opt.zero_grad()
        loss = loss_fn(ref(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return ref, losses


def _snapshot(model):
    return [p.detach().clone() for p in model.parameters()]


def _moved(model, before):
    return any(not torch.equal(p.detach(), b) for p, b in zip(model.parameters(), before))


def _compare_params(model, ref, hint):
    for (name, p), q in zip(model.named_parameters(), ref.parameters()):
        assert_close(p.detach(), q.detach(), what=f"parameter {name!r} after training",
                     hint=hint, rtol=1e-5, atol=1e-6)


@pytest.mark.weight(2)
def test_returns_the_loss_as_a_float(kata, device):
    """returns this batch's loss, before the update, as a Python float"""
    model = _model(1, 5, 3, device)
    x, y = _data(2, 8, 5, 3, device)
    _, losses = _reference_steps(model, [(x, y)], F.mse_loss, _optimizers("sgd"))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    result = kata.train_step(model, x, y, F.mse_loss, opt)
    assert_scalar_close(result, losses[0], what="train_step's return value",
                        hint="return loss.item(): the Python float of the loss computed in this "
                             "step's forward pass, before optimizer.step() changed the model")
    expect(torch.is_grad_enabled(), "autograd was left switched off after train_step")


def test_parameters_change(kata, device):
    """moves the parameters: step() runs after backward() with the gradients in place"""
    model = _model(3, 4, 2, device)
    x, y = _data(4, 6, 4, 2, device)
    before = _snapshot(model)
    kata.train_step(model, x, y, F.mse_loss, torch.optim.SGD(model.parameters(), lr=0.1))
    expect(_moved(model, before), DID_NOT_MOVE)


@pytest.mark.weight(2)
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_update_matches_one_correct_step(kata, device, kind):
    """updates the parameters exactly like one zero_grad/forward/loss/backward/step"""
    model = _model(5, 6, 3, device)
    x, y = _data(6, 10, 6, 3, device)
    ref, _ = _reference_steps(model, [(x, y)], F.mse_loss, _optimizers(kind))
    before = _snapshot(model)
    kata.train_step(model, x, y, F.mse_loss, _optimizers(kind)(model.parameters()))
    expect(_moved(model, before), DID_NOT_MOVE)
    _compare_params(model, ref, "the parameters after one step differ from one correct step "
                                "(zero_grad, forward, loss_fn(outputs, targets), backward, step): "
                                "take exactly one optimizer.step() per call")


@pytest.mark.weight(2)
@pytest.mark.parametrize("seed", [7, 8])
def test_clears_stale_gradients(kata, seed):
    """clears gradients left over from earlier work before computing this step's"""
    model = _model(seed, 5, 2, "cpu")
    x, y = _data(seed + 100, 7, 5, 2, "cpu")
    ref, _ = _reference_steps(model, [(x, y)], F.mse_loss, _optimizers("sgd"))
    g = torch.Generator().manual_seed(seed)
    for p in model.parameters():  # stale gradients from an earlier backward()
        p.grad = 10 * torch.randn(p.shape, generator=g)
    before = _snapshot(model)
    kata.train_step(model, x, y, F.mse_loss, _optimizers("sgd")(model.parameters()))
    expect(_moved(model, before), DID_NOT_MOVE)
    _compare_params(model, ref, STALE_GRADS)


def test_leaves_this_steps_gradients(kata):
    """leaves this step's gradients in .grad, for the caller to inspect"""
    model = _model(9, 4, 3, "cpu")
    x, y = _data(10, 5, 4, 3, "cpu")
    ref = copy.deepcopy(model)
    expected = torch.autograd.grad(F.mse_loss(ref(x), y), list(ref.parameters()))
    kata.train_step(model, x, y, F.mse_loss, torch.optim.SGD(model.parameters(), lr=0.05))
    for (name, p), want in zip(model.named_parameters(), expected):
        expect(p.grad is not None and bool(p.grad.any()),
               f"after train_step, {name!r}.grad is empty: zero the gradients at the start of the "
               "step (before backward()), not at the end, so the caller can still inspect them")
        assert_close(p.grad, want, what=f"the gradient of {name!r} after train_step",
                     hint="after train_step, .grad should hold exactly this step's gradient: "
                          "zero the gradients at the start of the step, then backward() once",
                     rtol=1e-5, atol=1e-6)


def test_calls_loss_fn_with_outputs_then_targets(kata):
    """calls loss_fn(outputs, targets): predictions first, targets second"""
    model = _model(11, 3, 2, "cpu")
    x, y = _data(12, 4, 3, 2, "cpu")
    calls = []

    def recording_loss(first, second):
        calls.append((first, second))
        return F.mse_loss(first, second)

    kata.train_step(model, x, y, recording_loss, torch.optim.SGD(model.parameters(), lr=0.1))
    expect(len(calls) >= 1, "loss_fn was never called: compute loss = loss_fn(outputs, targets)")
    first, second = calls[0]
    expect(isinstance(first, torch.Tensor) and first.grad_fn is not None, ARG_ORDER)
    expect(isinstance(second, torch.Tensor) and second.shape == y.shape and bool(torch.equal(second, y)),
           ARG_ORDER)


@pytest.mark.weight(2)
def test_asymmetric_loss(kata, device):
    """trains correctly with an asymmetric loss (BCEWithLogitsLoss)"""
    manual_seed(13)
    model = nn.Linear(4, 3).to(device)
    g = torch.Generator().manual_seed(14)
    x = torch.randn(9, 4, generator=g).to(device)
    y = torch.rand(9, 3, generator=g).to(device)  # probabilities in [0, 1]
    loss_fn = nn.BCEWithLogitsLoss()
    ref, losses = _reference_steps(model, [(x, y)], loss_fn, _optimizers("sgd"))
    result = kata.train_step(model, x, y, loss_fn, _optimizers("sgd")(model.parameters()))
    expect_type(result, float, "train_step's return value", hint="return loss.item()")
    assert_scalar_close(result, losses[0], what="the returned loss", hint=ARG_ORDER)
    _compare_params(model, ref, ARG_ORDER)


@pytest.mark.parametrize("training", [True, False], ids=["train_mode", "eval_mode"])
def test_keeps_the_callers_mode(kata, training):
    """runs the model in the mode the caller chose and leaves it there"""
    manual_seed(15)
    probe = ModeProbe()
    model = nn.Sequential(nn.Linear(4, 4), probe, nn.ReLU(), nn.Linear(4, 2))
    model.train(training)
    x, y = _data(16, 6, 4, 2, "cpu")
    kata.train_step(model, x, y, F.mse_loss, torch.optim.SGD(model.parameters(), lr=0.1))
    expect(len(probe.seen) >= 1, "the model was never called: outputs = model(inputs)")
    expect(all(seen == training for seen in probe.seen),
           f"{MODE} (the forward pass ran in {'train' if probe.seen[0] else 'eval'} mode, but "
           f"the caller had put the model in {'train' if training else 'eval'} mode)")
    expect(all(m.training == training for m in model.modules()),
           f"{MODE} (after the call the model is no longer in {'train' if training else 'eval'} mode)")


@pytest.mark.weight(2)
def test_several_steps_with_adam(kata):
    """repeated calls train like a correct loop: same losses, same parameters"""
    model = _model(17, 5, 2, "cpu", hidden=8)
    g = torch.Generator().manual_seed(18)
    batches = [(torch.randn(6, 5, generator=g), torch.randn(6, 2, generator=g)) for _ in range(4)]
    ref, losses = _reference_steps(model, batches, F.mse_loss, _optimizers("adam"))
    opt = _optimizers("adam")(model.parameters())
    got = [kata.train_step(model, x, y, F.mse_loss, opt) for x, y in batches]
    for i, (value, want) in enumerate(zip(got, losses)):
        assert_scalar_close(value, want, what=f"the loss returned by call {i + 1}",
                            hint="each call must return loss.item() of its own batch, computed "
                                 "before the update; and clear old gradients at the start of "
                                 "each step (they accumulate across steps)")
    _compare_params(model, ref, "after 4 steps the parameters differ from a correct loop: " + STALE_GRADS)


def test_does_not_change_inputs_or_targets(kata):
    """leaves the inputs and targets unchanged"""
    model = _model(19, 3, 3, "cpu")
    x, y = _data(20, 5, 3, 3, "cpu")
    x0, y0 = x.clone(), y.clone()
    kata.train_step(model, x, y, F.mse_loss, torch.optim.SGD(model.parameters(), lr=0.1))
    assert_close(x, x0, what="the inputs after train_step",
                 hint="train_step changed its inputs in place: leave the batch as it is")
    assert_close(y, y0, what="the targets after train_step",
                 hint="train_step changed its targets in place: leave the batch as it is")
    expect(not x.requires_grad and not y.requires_grad,
           "train_step switched on requires_grad for the batch: only parameters need gradients")

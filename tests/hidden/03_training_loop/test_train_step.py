"""Hidden tests for 03_training_loop/train_step: the checks. The scenarios are in
observe_train_step.py."""

import copy

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from grader.checks import assert_close, assert_scalar_close, expect, expect_type
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

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


def _moved(seen, model):
    """Whether the observed parameters differ from `model`'s (the model before the step); each
    of `model`'s parameters, and only those, must have been observed."""
    names = [name for name, _ in model.named_parameters()]
    expect(sorted(seen) == sorted(names),
           f"the model's parameters after train_step are {sorted(seen)}, expected {sorted(names)}: "
           "train the model you were given, in place")
    return any(type(seen[name]) is not torch.Tensor or not torch.equal(seen[name], p.detach())
               for name, p in model.named_parameters())


def _compare_params(seen, ref, hint):
    for name, q in ref.named_parameters():
        assert_close(seen.get(name), q.detach(), what=f"parameter {name!r} after training",
                     hint=hint, rtol=1e-5, atol=1e-6)


@pytest.mark.weight(2)
def test_returns_the_loss_as_a_float(observed, device):
    """returns this batch's loss, before the update, as a Python float"""
    model = scenes.model(1, 5, 3, device)
    x, y = scenes.data(2, 8, 5, 3, device)
    _, losses = _reference_steps(model, [(x, y)], F.mse_loss, scenes.optimizers("sgd"))
    assert_scalar_close(observed["result"], losses[0], what="train_step's return value",
                        hint="return loss.item(): the Python float of the loss computed in this "
                             "step's forward pass, before optimizer.step() changed the model")
    expect(observed["grad_enabled"] is True, "autograd was left switched off after train_step")


def test_parameters_change(observed, device):
    """moves the parameters: step() runs after backward() with the gradients in place"""
    expect(_moved(observed, scenes.model(3, 4, 2, device)), DID_NOT_MOVE)


@pytest.mark.weight(2)
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_update_matches_one_correct_step(observed, device, kind):
    """updates the parameters exactly like one zero_grad/forward/loss/backward/step"""
    model = scenes.model(5, 6, 3, device)
    x, y = scenes.data(6, 10, 6, 3, device)
    ref, _ = _reference_steps(model, [(x, y)], F.mse_loss, scenes.optimizers(kind))
    expect(_moved(observed, model), DID_NOT_MOVE)
    _compare_params(observed, ref, "the parameters after one step differ from one correct step "
                                   "(zero_grad, forward, loss_fn(outputs, targets), backward, "
                                   "step): take exactly one optimizer.step() per call")


@pytest.mark.weight(2)
@pytest.mark.parametrize("seed", [7, 8])
def test_clears_stale_gradients(observed, seed):
    """clears gradients left over from earlier work before computing this step's"""
    model = scenes.model_with_stale_gradients(seed)
    x, y = scenes.data(seed + 100, 7, 5, 2, "cpu")
    ref, _ = _reference_steps(model, [(x, y)], F.mse_loss, scenes.optimizers("sgd"))
    expect(_moved(observed, model), DID_NOT_MOVE)
    _compare_params(observed, ref, STALE_GRADS)


def test_leaves_this_steps_gradients(observed):
    """leaves this step's gradients in .grad, for the caller to inspect"""
    model = scenes.model(9, 4, 3, "cpu")
    x, y = scenes.data(10, 5, 4, 3, "cpu")
    expected = torch.autograd.grad(F.mse_loss(model(x), y), list(model.parameters()))
    for (name, _), want in zip(model.named_parameters(), expected):
        grad = observed.get(name)
        expect(type(grad) is torch.Tensor and bool(grad.any()),
               f"after train_step, {name!r}.grad is empty: zero the gradients at the start of the "
               "step (before backward()), not at the end, so the caller can still inspect them")
        assert_close(grad, want, what=f"the gradient of {name!r} after train_step",
                     hint="after train_step, .grad should hold exactly this step's gradient: "
                          "zero the gradients at the start of the step, then backward() once",
                     rtol=1e-5, atol=1e-6)


def test_calls_loss_fn_with_outputs_then_targets(observed):
    """calls loss_fn(outputs, targets): predictions first, targets second"""
    _, y = scenes.data(12, 4, 3, 2, "cpu")
    expect(observed["calls"] >= 1,
           "loss_fn was never called: compute loss = loss_fn(outputs, targets)")
    expect(observed["first_has_grad_fn"] is True, ARG_ORDER)
    second = observed["second"]
    expect(type(second) is torch.Tensor and second.shape == y.shape
           and bool(torch.equal(second, y)), ARG_ORDER)


@pytest.mark.weight(2)
def test_asymmetric_loss(observed, device):
    """trains correctly with an asymmetric loss (BCEWithLogitsLoss)"""
    model, x, y = scenes.linear_model_and_probabilities(device)
    ref, losses = _reference_steps(model, [(x, y)], nn.BCEWithLogitsLoss(),
                                   scenes.optimizers("sgd"))
    result = observed["result"]
    expect_type(result, float, "train_step's return value", hint="return loss.item()")
    assert_scalar_close(result, losses[0], what="the returned loss", hint=ARG_ORDER)
    _compare_params(observed["params"], ref, ARG_ORDER)


@pytest.mark.parametrize("training", [True, False], ids=["train_mode", "eval_mode"])
def test_keeps_the_callers_mode(observed, training):
    """runs the model in the mode the caller chose and leaves it there"""
    seen = observed["seen"]
    expect(len(seen) >= 1, "the model was never called: outputs = model(inputs)")
    expect(all(mode is training for mode in seen),
           f"{MODE} (the forward pass ran in {'train' if seen[0] else 'eval'} mode, but "
           f"the caller had put the model in {'train' if training else 'eval'} mode)")
    modes_after = observed["modes_after"]
    expect(len(modes_after) == len(list(scenes.probed_model(training).modules()))
           and all(mode is training for mode in modes_after),
           f"{MODE} (after the call the model is no longer in "
           f"{'train' if training else 'eval'} mode)")


@pytest.mark.weight(2)
def test_several_steps_with_adam(observed):
    """repeated calls train like a correct loop: same losses, same parameters"""
    model = scenes.model(17, 5, 2, "cpu", hidden=8)
    ref, losses = _reference_steps(model, scenes.adam_batches(), F.mse_loss,
                                   scenes.optimizers("adam"))
    got = observed["results"]
    expect(len(got) == len(losses),
           f"{len(got)} losses were observed for {len(losses)} calls to train_step")
    for i, (value, want) in enumerate(zip(got, losses)):
        assert_scalar_close(value, want, what=f"the loss returned by call {i + 1}",
                            hint="each call must return loss.item() of its own batch, computed "
                                 "before the update; and clear old gradients at the start of "
                                 "each step (they accumulate across steps)")
    _compare_params(observed["params"], ref,
                    "after 4 steps the parameters differ from a correct loop: " + STALE_GRADS)


def test_does_not_change_inputs_or_targets(observed):
    """leaves the inputs and targets unchanged"""
    x0, y0 = scenes.data(20, 5, 3, 3, "cpu")
    x, y = observed["inputs"], observed["targets"]
    assert_close(x, x0, what="the inputs after train_step",
                 hint="train_step changed its inputs in place: leave the batch as it is")
    assert_close(y, y0, what="the targets after train_step",
                 hint="train_step changed its targets in place: leave the batch as it is")
    expect(not x.requires_grad and not y.requires_grad,
           "train_step switched on requires_grad for the batch: only parameters need gradients")

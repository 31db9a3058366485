"""Hidden tests for 02_autograd/sgd: the checks. The scenarios are in observe_sgd.py."""

import pytest
import torch

from grader.checks import assert_close, expect, expect_type
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

NOT_IN_PLACE = ("the parameter itself did not change: `p = p - lr * p.grad` only rebinds a local "
                "name; update the tensor in place (p -= ..., p.sub_(...)) inside torch.no_grad()")


def _cleared(state):
    grad = state["grad"]
    return grad is None or (type(grad) is torch.Tensor and not bool(grad.any()))


def test_update_values(observed, device):
    """updates each parameter to p - lr * grad"""
    params = scenes.params_for_update(device)
    for i, (p, seen) in enumerate(zip(params, observed)):
        assert_close(seen["value"], p.detach() - 0.05 * p.grad, what=f"parameter {i} after the step",
                     hint="each parameter should become p - lr * p.grad (did you add instead of "
                          "subtract, or use a fixed learning rate?)")
    expect(len(observed) == len(params), "not every parameter was observed")


@pytest.mark.parametrize("lr", [1.0, 0.3, 1e-3])
def test_uses_the_given_learning_rate(observed, lr):
    """scales the step by the learning rate it is given"""
    p = scenes.param((6,), "cpu", 4)
    assert_close(observed["value"], p.detach() - lr * p.grad,
                 what=f"the parameter after a step with lr={lr}",
                 hint="the step must be lr * grad with the lr passed in, not a fixed number")


def test_changes_the_parameter_in_place(observed, device):
    """changes the parameter tensors themselves, keeping them leaves that require grad"""
    before = scenes.param((3, 3), device, 5).detach()
    value = observed["value"]
    expect(type(value) is torch.Tensor and value.shape == before.shape
           and not bool(torch.equal(value, before)), NOT_IN_PLACE)
    expect(observed["is_leaf"] is True and observed["has_grad_fn"] is False,
           "the parameter is no longer a leaf: the update was recorded by autograd. "
           "Do the update inside torch.no_grad()")
    expect(observed["requires_grad"] is True,
           "the parameter no longer requires grad: do not switch requires_grad off to get "
           "around the in-place error; use torch.no_grad() instead")


def test_updates_a_model_through_parameters_generator(observed, device):
    """works on model.parameters(), a one-shot generator"""
    model = scenes.model_with_grads(device)
    for name, p in model.named_parameters():
        seen = observed.get(name) if type(observed) is dict else None
        expect(type(seen) is dict, f"model parameter {name!r} was not observed")
        assert_close(seen["value"], p.detach() - 0.1 * p.grad, what=f"model parameter {name!r}",
                     hint="every parameter of the model should be updated: "
                          "`params` is a generator that can be iterated only once")
        expect(_cleared(seen),
               f"the gradient of {name!r} was not cleared. Note `params` is a one-shot "
               "generator: a second loop over it sees nothing; do everything in one loop")


def test_clears_gradients(observed, device):
    """clears every gradient after using it, so the next backward() starts from zero"""
    expect(_cleared(observed),
           "gradients were not cleared: they accumulate across steps, since backward() adds into "
           ".grad. Set p.grad = None (or zero it) after the update")


def test_two_steps_use_fresh_gradients(observed):
    """a second step after a new backward() uses only the new gradient"""
    assert_close(observed["value"], torch.tensor([1.4]), what="the parameter after two steps",
                 hint="gradients were not cleared: they accumulate across steps")


def test_skips_parameters_without_gradient(observed, device):
    """leaves a parameter whose .grad is None untouched"""
    used = scenes.param((3,), device, 8)
    assert_close(observed["unused"]["value"], torch.ones(3, device=device),
                 what="the parameter without a gradient",
                 hint="a parameter whose .grad is None took no part in the loss: skip it")
    assert_close(observed["used"]["value"], used.detach() - 0.5 * used.grad,
                 what="the parameter after the one without a gradient",
                 hint="after skipping a parameter without gradient, go on with the others "
                      "(continue, not break/return)")


def test_returns_none_and_keeps_grad_mode(observed):
    """returns None and leaves autograd switched on"""
    expect_type(observed["result"], type(None), "sgd_step's return value",
                hint="sgd_step changes the parameters in place and returns nothing")
    expect(observed["grad_enabled"] is True,
           "autograd was left switched off after sgd_step: use the `with torch.no_grad():` block, "
           "which switches it back on, rather than torch.set_grad_enabled(False)")


def test_device_of_parameters_is_kept(observed):
    """works on the meta device without moving anything to the CPU"""
    expect(observed["device"] == "meta",
           "the parameter was moved off its device: update it where it lives")

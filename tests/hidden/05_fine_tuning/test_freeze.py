"""Hidden tests for 05_fine_tuning/freeze: the checks. The scenarios are in observe_freeze.py."""

import pytest
import torch

from grader.checks import assert_equal_tensors, expect, expect_type, fail
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

NOTHING_FROZEN = ("nothing was frozen: set requires_grad False on each parameter itself "
                  "(for p in module.parameters(): p.requires_grad_(False)). "
                  "`module.requires_grad = False` sets an unused attribute that nothing reads, "
                  "module.eval() does not freeze (it switches dropout/batch-norm mode), and "
                  "tensors from state_dict() are detached copies")
NESTED_MISSED = ("nested parameters were missed: module.children() lists only the direct children "
                 "(and parameters(recurse=False) only the module's own); module.parameters() walks "
                 "every submodule at any depth")


def _unique_numel(module, trainable_only=False):
    seen = {}
    for _, p in module.named_parameters():  # trusted: deduplicated by torch
        if p.requires_grad or not trainable_only:
            seen[id(p)] = p.numel()
    return sum(seen.values())


def _check_all_frozen(model, left, what):
    """`left`: the names still trainable after freeze, as observed; `model`: a rebuilt copy."""
    names = [n for n, _ in model.named_parameters()]
    expect(left != names or not names, f"{NOTHING_FROZEN} ({what})")
    expect(left == [], f"{NESTED_MISSED}. Still trainable in {what}: {left}")


def _moved(model, devices, kind):
    """`devices`: each parameter's device type after freeze, as observed, by name; the names of
    `model`'s (a rebuilt copy) parameters missing there or no longer on `kind`."""
    return [name for name, _ in model.named_parameters() if devices.get(name) != kind]


def _changed_modes(model, modes, training):
    """`modes`: the train flag of each submodule, as observed, by name; the names of `model`'s
    (a rebuilt copy) submodules whose flag is missing or no longer `training`."""
    return sorted(name for name, _ in model.named_modules() if modes.get(name) is not training)


def test_freeze_every_parameter_nested(observed, device):
    """freeze switches requires_grad off on every parameter, at every depth"""
    model = scenes.deep()
    _check_all_frozen(model, observed["trainable"], "a model nested three deep")
    for name in _moved(model, observed["devices"], torch.device(device).type):
        fail(f"parameter {name!r} was moved off its device: freezing only flips requires_grad")


@pytest.mark.parametrize("layer", ["linear", "layernorm", "conv"],
                         ids=["linear", "layernorm", "conv"])
def test_freeze_a_single_layer(observed, layer):
    """freeze works on a single layer, which has parameters but no children"""
    module = scenes.single_layer(layer)
    _check_all_frozen(module, observed["trainable"],
                      f"a single {type(module).__name__}, which has no children")


def test_unfreeze_every_parameter_nested(observed, device):
    """unfreeze switches requires_grad back on for every parameter, at every depth"""
    stuck = observed["frozen"]
    names = [n for n, _ in scenes.deep(1).named_parameters()]
    expect(stuck != names, "nothing was unfrozen: set requires_grad True on each parameter "
                           "(p.requires_grad_(True)); a `module.requires_grad` attribute, "
                           "module.train() or state_dict() copies change nothing")
    expect(stuck == [], f"{NESTED_MISSED}. Still frozen after unfreeze: {stuck}")


def test_returns_the_module(observed):
    """freeze and unfreeze return the module they were given"""
    expect(observed["freeze_returned_it"] is True,
           "freeze should return the module it was given (like nn.Module.requires_grad_), so "
           f"calls can chain; got {observed['freeze_type']}")
    expect(observed["unfreeze_returned_it"] is True,
           "unfreeze should return the module it was given (like nn.Module.requires_grad_), so "
           f"calls can chain; got {observed['unfreeze_type']}")


def test_frozen_model_gets_no_gradients(observed, device):
    """after freeze, backward() leaves every parameter's .grad None but still reaches the input"""
    got = observed["with_grad"]
    expect(got == [], f"{NOTHING_FROZEN}. These parameters still received gradients: {got}")
    expect(observed["input_has_grad"] is True,
           "gradients no longer flow through the frozen model: freeze the parameters only; do not "
           "detach or disable autograd")


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_mode_is_unchanged(observed, training):
    """freeze and unfreeze leave train/eval mode as it was"""
    model = scenes.deep(4)
    modes = _changed_modes(model, observed["after_freeze"], training)
    expect(modes == [], "freeze changed train/eval mode: module.eval() does not freeze, and "
                        f"freezing must not switch modes. Changed: {modes}")
    modes = _changed_modes(model, observed["after_unfreeze"], training)
    expect(modes == [], "unfreeze changed train/eval mode: module.train() is not unfreezing, "
                        f"and unfreezing must not switch modes. Changed: {modes}")


def test_parameters_and_buffers_kept(observed):
    """freeze and unfreeze keep the same parameter objects, values and buffers"""
    model = scenes.deep_with_statistics()
    for name, p in model.named_parameters():
        seen = observed["parameters"].get(name, {})
        expect(seen.get("same_object") is True,
               f"parameter {name!r} was replaced by a new tensor: an optimizer holding the old "
               "one would no longer train it. Flip requires_grad on the existing parameter")
        assert_equal_tensors(seen["value"], p.detach(), what=f"parameter {name!r}",
                             hint="freezing must not change parameter values")
    for name, b in model.named_buffers():
        seen = observed["buffers"].get(name, {})
        expect(seen.get("requires_grad") is not True,
               f"buffer {name!r} now requires grad: buffers (BatchNorm running statistics) are "
               "not parameters; unfreeze only module.parameters()")
        assert_equal_tensors(seen.get("value"), b, what=f"buffer {name!r}",
                             hint="freeze/unfreeze must leave buffers alone")


def test_freeze_only_the_given_submodule(observed):
    """freezing a submodule leaves the rest trainable; unfreezing a part unfreezes only that part"""
    left = set(observed["after_freeze"])
    want = {"scale", "stem.weight", "stem.bias", "head.weight", "head.bias"}
    expect(left == want, f"freeze(model.body) should freeze exactly the body's parameters: "
                         f"trainable now {sorted(left)}, expected {sorted(want)}. "
                         "Touch only module.parameters() of the module given")
    left = set(observed["after_unfreeze"])
    want |= {"body.2.1.weight", "body.2.1.bias", "body.2.2.weight", "body.2.2.bias"}
    expect(left == want, f"unfreeze(model.body[2]) should unfreeze exactly that block: "
                         f"trainable now {sorted(left)}, expected {sorted(want)}")


def _count(result):
    return expect_type(result, int, "count_parameters(...)",
                       hint="return a Python int: sum(p.numel() for ...) gives one; call int(...) "
                            "on a tensor")


@pytest.mark.parametrize("dims", [(3, 4, 2), (10, 7, 5), (1, 1, 1)])
def test_counts_elements(observed, dims):
    """counts parameter elements (numel), not tensors or rows"""
    model = scenes.counting_model(dims)
    got = _count(observed)
    want = _unique_numel(model)
    expect(got == want, f"count the elements of each parameter with p.numel(), not the number "
                        f"of tensors or rows: got {got}, expected {want} for {model}")


def test_shared_parameter_counted_once(observed):
    """a parameter shared by two submodules (tied weights) counts once"""
    got = _count(observed)
    want = _unique_numel(scenes.tied(11, 5))  # 55 + 30, the 55 shared elements once
    expect(got == want, f"a shared parameter (tied weights) was counted twice, or not counted: "
                        f"model.parameters() yields each parameter once, but walking every "
                        f"submodule and its own parameters meets it in both. Got {got}, "
                        f"expected {want}")


def test_buffers_not_counted(observed):
    """buffers such as BatchNorm's running statistics are not counted"""
    got = _count(observed)
    want = _unique_numel(scenes.with_batch_norm())
    expect(got == want, "buffers were counted (BatchNorm's running_mean, running_var, "
                        "num_batches_tracked are buffers, as in state_dict()): count only "
                        f"module.parameters(). Got {got}, expected {want}")


def test_trainable_only(observed):
    """trainable_only=True counts only parameters with requires_grad True"""
    got = _count(observed["deep"])
    want = _unique_numel(scenes.deep_with_frozen_body(), trainable_only=True)
    expect(got == want, "trainable_only=True must count only the parameters with requires_grad "
                        "True (whether .grad is set does not matter): "
                        f"got {got}, expected {want}")
    got = _count(observed["tied"])
    want = _unique_numel(scenes.tied_with_frozen_embedding(), trainable_only=True)
    expect(got == want, "trainable_only=True must skip a frozen shared weight, counting the "
                        f"trainable parameters once each: got {got}, expected {want}")


def test_default_counts_frozen_parameters(observed):
    """by default every parameter counts, frozen or not"""
    got = _count(observed["all"])
    want = _unique_numel(scenes.deep_all_frozen(8))
    expect(got == want, "with trainable_only=False (the default) count every parameter, frozen "
                        f"ones too: got {got}, expected {want}")
    expect(_count(observed["trainable"]) == 0,
           "trainable_only=True on a fully frozen model should give 0: skip parameters with "
           "requires_grad False")
    expect(_count(observed["no_parameters"]) == 0, "a module without parameters has 0 of them")


def test_meta_device_model(observed):
    """freezes and counts a large model on the meta device without allocating it"""
    model = scenes.large_on_meta()
    want = _unique_numel(model)
    expect(_count(observed["count"]) == want,
           f"count_parameters on a meta-device model should be {want}: count with p.numel(), "
           "which needs no values")
    _check_all_frozen(model, observed["trainable"], "a meta-device model")
    expect(_count(observed["trainable_count"]) == 0,
           "after freeze, trainable_only=True should count 0 parameters")
    for name in _moved(model, observed["devices"], "meta"):
        fail(f"parameter {name!r} left the meta device: freezing only flips requires_grad")

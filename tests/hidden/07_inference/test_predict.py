"""Hidden tests for 07_inference/predict: the checks. The scenarios are in observe_predict.py."""

import pytest
import torch

from grader.checks import assert_close, expect, expect_tensor, fail
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

OFF_DEVICE = ("the result was copied off the model's device (.cpu(), .item(), .tolist()?): return "
              "the argmax indices where they were computed; do not move them to the CPU")
RESTORE = ("restore every module's previous mode after predicting: remember each module's "
           ".training flag (model.modules()) and set them back in a finally: block")


def _oracle(net, x):
    net.eval()
    with torch.no_grad():
        return net(x).argmax(dim=-1)


def _changed(before, after):
    """Names of the modules whose observed mode differs from `before`."""
    return sorted(name for name, flag in before.items() if after.get(name) is not flag)


@pytest.mark.weight(2)
@pytest.mark.parametrize("lead", [(10,), (3, 7), (2, 2, 4)])
def test_class_indices(observed, lead, device):
    """returns int64 argmax indices over the last dim, with the input's leading shape"""
    expected = _oracle(scenes.net(1, device), scenes.lead_input(lead, device))
    expect_tensor(observed, "the predictions", shape=lead, dtype=torch.int64, device=device,
                  hint="return class indices: argmax over the LAST dim (dim=-1) of the logits, "
                       "not probabilities, not dim=1 or a flattened argmax, no keepdim")
    assert_close(observed, expected, what="the predicted classes",
                 hint="predict in eval mode: Dropout off and BatchNorm using its running "
                      "statistics")


@pytest.mark.weight(2)
def test_forward_in_eval_mode(observed):
    """runs the forward pass in eval mode, leaving BatchNorm's running statistics alone"""
    net, _ = scenes.net_and_input(3, 12)
    seen = observed["seen"]
    expect(len(seen) == 1, f"the model was called {len(seen)} times; call it once")
    expect(seen[0][0] is False,
           "the forward pass ran in train mode: call model.eval() (with parentheses) before it")
    assert_close(observed["running_mean"], net.bn.running_mean,
                 what="BatchNorm's running_mean after predict",
                 hint="predict changed BatchNorm's running statistics: it ran in train mode")
    assert_close(observed["running_var"], net.bn.running_var,
                 what="BatchNorm's running_var after predict",
                 hint="predict changed BatchNorm's running statistics: it ran in train mode")


@pytest.mark.weight(2)
def test_no_autograd(observed):
    """runs the forward pass without autograd and leaves autograd on for the caller"""
    expect(observed["seen"][-1][1] is False,
           "autograd was recording during the forward pass: run it inside `with torch.no_grad():` "
           "(or torch.inference_mode())")
    expect(observed["grad_enabled"] is True,
           "autograd was left switched off after predict: use `with torch.no_grad():`, which "
           "switches it back on, not torch.set_grad_enabled(False)")


@pytest.mark.parametrize("training", [True, False])
def test_restores_the_mode(observed, training):
    """leaves the model in the mode it was in (train or eval)"""
    names = scenes.modes(scenes.net(5))
    expect(observed == {name: training for name in names},
           f"the model was {'in train' if training else 'in eval'} mode before predict and is not "
           f"afterwards: {RESTORE} (do not always call model.train() at the end)")


@pytest.mark.weight(2)
def test_restores_mixed_modes(observed):
    """restores each submodule's own mode (a frozen BatchNorm stays in eval mode)"""
    changed = _changed(scenes.modes(scenes.mixed_modes_net()), observed)
    expect(not changed,
           f"the modes of {changed} changed: model.train(was_training) switches every submodule to "
           f"train mode, including a frozen BatchNorm that was in eval mode. {RESTORE}, setting "
           "module.training = flag for each")


@pytest.mark.weight(2)
@pytest.mark.parametrize("training", [True, False])
def test_restores_after_an_error(observed, training):
    """restores the modes and autograd when the forward pass raises, and lets the error through"""
    error = observed["error"]
    expect(error["raised"] is not None and "boom" in error["message"],
           "predict swallowed the model's error: let it propagate to the caller "
           "(restore the modes in try/finally, do not catch the error)")
    changed = _changed(scenes.modes(scenes.failing_model(training)), observed["modes"])
    expect(not changed, f"after the forward pass raised, the modes of {changed} were not restored: "
                        "restore them in a finally: block, which runs even when an error escapes")
    expect(observed["grad_enabled"] is True,
           "after the forward pass raised, autograd was left switched off: use "
           "`with torch.no_grad():`, which switches it back on even on errors")


def test_input_unchanged(observed):
    """does not change the input"""
    _, x = scenes.net_and_input(8, 6)
    assert_close(observed, x, what="the input after predict",
                 hint="predict changed its input in place")


def test_meta_device(observed):
    """keeps the result on the model's device (checked with the meta device)"""
    if observed["raised"] is not None:
        fail(f"{OFF_DEVICE}\n  (your code raised {observed['raised']}: {observed['message']})")
    expect_tensor(observed["result"], "the predictions on the meta device", shape=(5,),
                  dtype=torch.int64, device="meta", hint=OFF_DEVICE)

"""Hidden tests for 03_training_loop/evaluate: the checks. The scenarios are in observe_evaluate.py;
the models and data are rebuilt here from the same seeds."""

import copy

import pytest
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader

from grader.checks import assert_close, assert_scalar_close, expect, expect_type
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

WEIGHTED = (
    "the mean loss is not weighted by batch size: sum loss.item() * batch size over the batches "
    "and divide by the number of samples (the last batch is smaller), not by the number of batches"
)
ACCURACY = (
    "the accuracy is wrong: count the correct predictions outputs.argmax(dim=-1) == targets over "
    "all batches and divide by the number of samples (not the mean of per-batch accuracies)"
)
EVAL_MODE = (
    "the model ran in training mode: call model.eval() before the loop, so that Dropout is off "
    "and BatchNorm uses (and does not update) its running statistics"
)
NO_GRAD = (
    "the forward pass ran with autograd recording: wrap the loop in torch.no_grad(); detaching "
    "the outputs afterwards is too late, the graph was already built"
)
RESTORE = (
    "restore the previous mode at the end: remember was_training = model.training before "
    "model.eval(), then call model.train(was_training)"
)


def _reference(model, loader, loss_fn):
    """Trusted: (mean loss, accuracy) of a copy of the model in eval mode under no_grad."""
    ref = copy.deepcopy(model).eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            out = ref(x)
            total += loss_fn(out, y).item() * len(y)
            correct += int((out.argmax(dim=-1) == y).sum())
            count += len(y)
    return total / count, correct / count


def _pair(result):
    expect_type(result, tuple, "evaluate's return value",
                hint="return a tuple (mean_loss, accuracy)")
    expect(len(result) == 2,
           f"evaluate should return 2 values (mean_loss, accuracy), got {len(result)}")
    loss, acc = result
    for value, name in ((loss, "the mean loss"), (acc, "the accuracy")):
        expect_type(value, float, name,
                    hint="return Python floats: accumulate loss.item() and plain counts, "
                         "converting tensors with .item()")
    return loss, acc


def _all_modes(modes, model, training):
    """Every module of `model` (rebuilt here) was observed with .training == `training`."""
    return all(modes.get(name) is training for name, _ in model.named_modules())


def test_returns_two_floats(observed, device):
    """returns (mean_loss, accuracy) as two Python floats"""
    loss, acc = _pair(observed)
    model = scenes.plain_model(1, device=device)
    loader = DataLoader(scenes.dataset(2, 10, device=device), batch_size=4)
    want_loss, want_acc = _reference(model, loader, F.cross_entropy)
    assert_scalar_close(loss, want_loss, what="the mean loss", hint=WEIGHTED)
    assert_scalar_close(acc, want_acc, what="the accuracy", hint=ACCURACY)


@pytest.mark.weight(2)
@pytest.mark.parametrize("n,batch", [(10, 4), (13, 5), (7, 2)])
def test_mean_loss_is_weighted_by_batch_size(observed, n, batch):
    """the mean loss is per sample: batches weighted by their size"""
    loss, _ = _pair(observed)
    model = scenes.plain_model(3 + n).eval()
    loader = DataLoader(scenes.dataset(4 + n, n), batch_size=batch)
    want, _ = _reference(model, loader, F.cross_entropy)
    assert_scalar_close(loss, want, what=f"the mean loss ({n} samples in batches of {batch})",
                        hint=WEIGHTED)


@pytest.mark.weight(2)
@pytest.mark.parametrize("n,batch", [(10, 4), (11, 3)])
def test_accuracy_over_all_samples(observed, n, batch):
    """accuracy is correct argmax predictions over the number of samples"""
    _, acc = _pair(observed)
    model = scenes.plain_model(5 + n, classes=4).eval()
    loader = DataLoader(scenes.dataset(6 + n, n, classes=4), batch_size=batch)
    _, want = _reference(model, loader, F.cross_entropy)
    assert_scalar_close(acc, want, what=f"the accuracy ({n} samples in batches of {batch})",
                        hint=ACCURACY)


def test_accuracy_is_a_fraction(observed):
    """a perfect classifier scores 1.0 (a fraction, not a percentage)"""
    _, acc = _pair(observed)
    assert_scalar_close(acc, 1.0, what="the accuracy of a perfect classifier",
                        hint="accuracy is a fraction between 0 and 1 (correct / samples), not a "
                             "percentage; predictions are outputs.argmax(dim=-1)")


@pytest.mark.weight(2)
def test_runs_in_eval_mode(observed):
    """evaluates in eval mode: Dropout off, BatchNorm on its running statistics"""
    model = scenes.noisy_model(8, probe=scenes.Probe()).train()
    loader = DataLoader(scenes.dataset(9, 12), batch_size=4)
    want_loss, want_acc = _reference(model, loader, F.cross_entropy)
    loss, acc = _pair(observed["result"])
    modes = observed["modes"]
    expect(len(modes) == len(loader),
           f"the model ran on {len(modes)} batches, but the loader has {len(loader)}: "
           "evaluate every batch once")
    expect(not any(modes), EVAL_MODE)
    assert_scalar_close(loss, want_loss, what="the mean loss of a Dropout/BatchNorm model",
                        hint=EVAL_MODE)
    assert_scalar_close(acc, want_acc, what="the accuracy of a Dropout/BatchNorm model",
                        hint=EVAL_MODE)


def test_does_not_change_the_model(observed):
    """leaves parameters and BatchNorm running statistics untouched"""
    for name, before in scenes.noisy_model(10).state_dict().items():
        expect(name in observed, f"the model's {name!r} was not observed after evaluate")
        assert_close(observed[name], before, what=f"the model's {name!r} after evaluate",
                     hint="evaluate changed the model: " + EVAL_MODE, rtol=0, atol=0)


@pytest.mark.weight(2)
def test_builds_no_graph(observed):
    """runs under torch.no_grad(): no graph, no gradients, autograd back on afterwards"""
    grad_modes = observed["grad_modes"]
    expect(len(grad_modes) > 0, "the model was never called on a batch")
    expect(not any(grad_modes), NO_GRAD)
    parameters = observed["parameters"]
    for name, _ in scenes.probed_plain_model(scenes.Probe()).named_parameters():
        expect(name in parameters, f"the model's {name!r} was not observed after evaluate")
        expect(parameters[name]["grad"] is None,
               f"evaluate created a gradient for {name!r}: do not call backward() "
               "when evaluating; " + NO_GRAD)
        expect(parameters[name]["requires_grad"] is True,
               f"evaluate switched off requires_grad of {name!r}: use "
               "torch.no_grad() instead, which changes nothing in the model")
    expect(observed["grad_enabled"] is True,
           "autograd was left switched off after evaluate: use a `with torch.no_grad():` block, "
           "which switches it back on, rather than torch.set_grad_enabled(False)")


def test_restores_training_mode(observed):
    """a model that was in training mode is in training mode again afterwards"""
    expect(_all_modes(observed, scenes.noisy_model(13), True),
           "the model was in training mode before evaluate and is not after it: " + RESTORE)


def test_keeps_eval_mode(observed):
    """a model that was in eval mode stays in eval mode"""
    expect(_all_modes(observed, scenes.noisy_model(15), False),
           "the model was in eval mode before evaluate but is in training mode after it: calling "
           "model.train() at the end switches a model the caller had in eval mode. " + RESTORE)


def test_restores_mode_when_the_loop_fails(observed):
    """restores the mode even when the loader raises (try/finally)"""
    expect(observed["raised"] is True, f"DID NOT RAISE {scenes.LoaderBroke}")
    expect(_all_modes(observed["modes"], scenes.noisy_model(17), True),
           "after an error in the loop the model was left in eval mode: restore the previous mode "
           "in a try/finally block, so it is restored even when an exception escapes")


def test_argmax_over_the_class_dimension(observed):
    """predicts with the argmax over classes, for batches larger than the number of classes"""
    _, acc = _pair(observed)
    model = scenes.plain_model(19, classes=2).eval()
    loader = DataLoader(scenes.dataset(20, 11, classes=2), batch_size=5)
    _, want = _reference(model, loader, F.cross_entropy)
    assert_scalar_close(acc, want, what="the accuracy with 2 classes and batches of 5",
                        hint=scenes.CLASS_DIM)


def test_does_not_change_the_data(observed):
    """leaves the dataset's tensors unchanged"""
    x0, y0 = scenes.dataset(21, 8).tensors
    assert_close(observed["inputs"], x0, what="the inputs after evaluate",
                 hint="evaluate changed the data in place: leave the batches as they are")
    assert_close(observed["targets"], y0, what="the targets after evaluate",
                 hint="evaluate changed the data in place: leave the batches as they are")

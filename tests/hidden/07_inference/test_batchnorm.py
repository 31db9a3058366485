"""Hidden tests for 07_inference/batchnorm: the checks. The scenarios are in
observe_batchnorm.py."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from grader.checks import assert_close, expect, expect_tensor
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

UNBIASED = ("running_var must be updated with the UNBIASED batch variance (divide by n - 1, "
            "x.var(unbiased=True)), while the output is normalised with the biased one "
            "(divide by n)")


# ------------------------------------------------------------------------------ manual step


def _reference_step(x, rm, rv, **kw):
    """Trusted: (output, running_mean, running_var) after torch's own train-mode step."""
    rm, rv = rm.clone(), rv.clone()
    out = F.batch_norm(x, rm, rv, training=True, **kw)
    return out, rm, rv


@pytest.mark.weight(2)
@pytest.mark.parametrize("shape", [(16, 4), (5, 3), (4, 3, 6)])
def test_output_matches_batchnorm(observed, shape, device):
    """normalises with the batch's mean and biased variance, per channel, like F.batch_norm"""
    expected, _, _ = _reference_step(*scenes.batch(shape, 1, device), momentum=0.1, eps=1e-5)
    assert_close(observed, expected, what=f"the normalised batch of shape {shape}",
                 hint="in train mode normalise with the CURRENT batch's statistics per channel "
                      "(every dim except 1), using the biased variance (divide by n) for the "
                      "output",
                 rtol=1e-4, atol=1e-5)


@pytest.mark.weight(2)
@pytest.mark.parametrize("shape", [(16, 4), (4, 3, 6)])
def test_running_mean_update(observed, shape):
    """updates running_mean in place: (1 - momentum) * old + momentum * batch mean"""
    _, rm_want, _ = _reference_step(*scenes.batch(shape, 2), momentum=0.1)
    assert_close(observed, rm_want, what="running_mean after the step", rtol=1e-5, atol=1e-6,
                 hint="update running_mean IN PLACE (running_mean.mul_(1 - m).add_(m * mean)): "
                      "`running_mean = ...` only rebinds a local name. The new batch gets weight "
                      "momentum, the old value 1 - momentum")


@pytest.mark.weight(2)
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 3)])
def test_running_var_is_unbiased(observed, shape):
    """updates running_var in place with the unbiased batch variance"""
    _, _, rv_want = _reference_step(*scenes.batch(shape, 3), momentum=0.1)
    assert_close(observed, rv_want, what="running_var after the step", hint=UNBIASED,
                 rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("momentum", [0.5, 1.0, 0.01])
def test_uses_the_given_momentum(observed, momentum):
    """weights the new batch by the momentum it is given"""
    _, rm_want, rv_want = _reference_step(*scenes.batch((8, 3), 4), momentum=momentum)
    hint = (f"with momentum={momentum} the running statistics become (1 - momentum) * old + "
            "momentum * new: use the momentum passed in, on the new batch's statistics")
    assert_close(observed["running_mean"], rm_want, what=f"running_mean with momentum={momentum}",
                 hint=hint, rtol=1e-5, atol=1e-6)
    assert_close(observed["running_var"], rv_want, what=f"running_var with momentum={momentum}",
                 hint=hint, rtol=1e-5, atol=1e-6)


def test_uses_the_given_eps(observed):
    """adds eps to the variance inside the square root"""
    expected, _, _ = _reference_step(*scenes.small_variance_batch(), eps=0.5)
    assert_close(observed, expected, what="the output with eps=0.5", rtol=1e-5, atol=1e-6,
                 hint="divide by sqrt(var + eps), with the eps passed in (not sqrt(var) + eps)")


@pytest.mark.weight(2)
def test_gradients_and_no_graph_in_running_stats(observed):
    """keeps the output differentiable and the running statistics out of the graph"""
    x, rm, rv = scenes.batch((10, 4), 6, dtype=torch.float64)
    xr = x.requires_grad_()
    expected, _, _ = _reference_step(xr, rm, rv)
    expect_tensor(observed["out"], "the output", requires_grad=True,
                  hint="the normalised output must stay in the autograd graph: only the running-"
                       "statistics update goes under torch.no_grad()")
    (expected * scenes.output_weights()).sum().backward()
    assert_close(observed["x_grad"], xr.grad, what="the gradient with respect to x",
                 hint="the output must depend on x through the batch mean and variance too, "
                      "as in BatchNorm")
    for name in ("running_mean", "running_var"):
        facts = observed[name]
        expect(facts["requires_grad"] is False and facts["has_grad_fn"] is False,
               f"{name} became part of the autograd graph: update it under torch.no_grad() "
               "(running statistics are buffers, not trained)")


def test_input_unchanged_and_device_kept(observed):
    """does not change x and keeps everything on x's device (checked with the meta device)"""
    x_before, _, _ = scenes.batch((6, 3), 8)
    assert_close(observed["x_after"], x_before, what="the input after the step",
                 hint="the step changed x in place")
    expect_tensor(observed["meta_out"], "the output on the meta device", shape=(4, 3, 5),
                  device="meta",
                  hint="create no tensors on a fixed device: work with x's own device")


# ------------------------------------------------------------------------------ recalibrate_bn


def _reference(model, inputs):
    """torch's own cumulative average: BatchNorms in train mode, momentum None, fresh stats."""
    ref = copy.deepcopy(model)
    ref.eval()
    for m in scenes.batchnorms(ref):
        m.reset_running_stats()
        m.momentum = None
        m.train()
    with torch.no_grad():
        for batch in inputs:
            ref(batch)
    return scenes.batchnorms(ref)


def _compare(seen, reference, hint):
    expect(len(seen) == len(reference),
           f"the statistics of {len(seen)} BatchNorm layers were observed, the model has "
           f"{len(reference)}: recalibrate every BatchNorm of the model you were given")
    for i, (bn, ref) in enumerate(zip(seen, reference)):
        assert_close(bn["running_mean"], ref.running_mean, what=f"BatchNorm {i}'s running_mean",
                     hint=hint, rtol=1e-4, atol=1e-5)
        assert_close(bn["running_var"], ref.running_var, what=f"BatchNorm {i}'s running_var",
                     hint=hint, rtol=1e-4, atol=1e-5)


STATS = ("the recalibrated statistics are wrong: reset each BatchNorm's running statistics "
         "(reset_running_stats()), set momentum = None for a cumulative average over all batches, "
         "and run the batches with the BatchNorm layers in train mode")


@pytest.mark.weight(3)
def test_recalibrates_from_a_loader_of_pairs(observed):
    """recomputes every BatchNorm's statistics as a cumulative average over (x, y) batches"""
    x, y = scenes.data(11)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)  # batches of 16, 16, 16, 2
    reference = _reference(scenes.mlp(10), [b for b, _ in loader])
    _compare(observed, reference, STATS)


def test_recalibrates_from_a_list_of_tensors(observed):
    """accepts an iterable of plain input tensors"""
    x, _ = scenes.data(13, n=40)
    reference = _reference(scenes.mlp(12), list(x.split(10)))
    _compare(observed, reference, "batches may be plain tensors: feed a tensor batch as it is "
                                  "(take batch[0] only from tuples or lists). " + STATS)


@pytest.mark.weight(2)
def test_dropout_stays_off(observed):
    """keeps Dropout in eval mode, so BatchNorm sees the activations inference will see"""
    x, y = scenes.data(15, n=64)
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    reference = _reference(scenes.mlp(14, dropout=0.5), [b for b, _ in loader])
    _compare(observed, reference,
             "the statistics do not match those of eval-mode activations: put only the BatchNorm "
             "layers in train mode and everything else (Dropout!) in eval mode; model.train() "
             "would feed BatchNorm dropped-out activations")


@pytest.mark.weight(2)
def test_restores_momentum_and_modes(observed):
    """restores each BatchNorm's momentum and every module's train/eval mode"""
    model = scenes.mlp_in_train_mode_with_a_frozen_batchnorm()
    before = {n: m.training for n, m in model.named_modules()}
    momenta = observed["momenta"]
    expect(momenta == [0.1, 0.3],
           f"the momenta are {momenta[0]} and {momenta[1]} after recalibration, "
           "expected 0.1 and 0.3: put each BatchNorm's momentum back afterwards")
    modes = observed["modes"]
    changed = sorted(n for n in before if modes.get(n) is not before[n])
    expect(not changed, f"the train/eval modes of {changed} changed: remember every module's "
                        ".training flag and set it back afterwards (model.train() is not enough)")
    after_eval = observed["modes_after_eval"]
    expect(len(after_eval) == len(before) and all(m is False for m in after_eval),
           "a model in eval mode was left in train mode: restore the previous modes")


@pytest.mark.weight(2)
def test_parameters_unchanged_no_autograd(observed):
    """changes no parameter, makes no gradient, and runs under torch.no_grad()"""
    for name, p in scenes.mlp(18).named_parameters():
        seen = observed["params"].get(name)
        expect(type(seen) is dict, f"the parameter {name!r} was not observed")
        assert_close(seen["value"], p.detach(), what=f"the parameter {name!r}",
                     hint="recalibration must not change parameters: use reset_running_stats(), "
                          "not reset_parameters() (which also resets the BatchNorm weight and "
                          "bias)")
        expect(seen["grad"] is None,
               f"{name!r} got a gradient: recalibration needs no backward pass")
    seen = observed["grad_seen"]
    expect(len(seen) == 5, f"the model was called {len(seen)} times for 5 batches")
    expect(all(s is False for s in seen),
           "the forward passes recorded autograd graphs: run them under torch.no_grad()")
    expect(observed["grad_enabled"] is True,
           "autograd was left switched off: use `with torch.no_grad():`")


def test_all_batchnorm_kinds(observed):
    """recalibrates BatchNorm2d layers too (any _BatchNorm)"""
    model, batches = scenes.conv_model_and_batches()
    reference = _reference(model, batches)
    _compare(observed, reference,
             "the BatchNorm2d layer was not recalibrated: find every BatchNorm with "
             "isinstance(m, nn.modules.batchnorm._BatchNorm) (1d, 2d and 3d)")

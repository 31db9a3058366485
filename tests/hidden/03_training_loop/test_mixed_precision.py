"""Hidden tests for 03_training_loop/mixed_precision: the checks. The scenarios are in
observe_mixed_precision.py.

The oracle is a reference AMP step run here on a model, optimizer and scaler built by the same
`setup` (same seed) as the one the submission stepped; the scenario observes the submission's
parameters, its returned loss, the scale and what the probe inside the model recorded.
"""

import math

import pytest
import torch
from torch import nn

from grader.checks import (
    assert_close,
    assert_equal_tensors,
    assert_scalar_close,
    expect,
    expect_type,
)
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

TOO_SMALL = ("the update is about {scale:g} times too small: the gradients were divided by the "
             "scale without having been multiplied by it. Backward the scaled loss, "
             "scaler.scale(loss).backward(), and clip only after scaler.unscale_(optimizer) "
             "(clipping before unscale_(optimizer) clips the scaled gradients)")
TOO_LARGE = ("the update is about {scale:g} times too large: the optimizer used the still-scaled "
             "gradients. Step with scaler.step(optimizer), not optimizer.step()")
NO_CHANGE = ("the parameters did not change: the gradients were cleared between backward() and the "
             "step, or the optimizer never stepped (scaler.step(optimizer))")


def _reference_step(s, max_norm=None, dtype=None):
    dtype = dtype or s.dtype
    s.opt.zero_grad(set_to_none=True)
    with torch.autocast(device_type=s.device, dtype=dtype):
        loss = s.loss_fn(s.model(s.x), s.y)
    s.scaler.scale(loss).backward()
    if max_norm is not None:
        s.scaler.unscale_(s.opt)
        nn.utils.clip_grad_norm_(s.model.parameters(), max_norm)
    s.scaler.step(s.opt)
    s.scaler.update()
    return loss.item()


def _flat(tensors):
    return torch.cat([t.detach().reshape(-1).float().cpu() for t in tensors])


def _observed_params(observed, model):
    """The submission's parameters, in the order of `model`'s (rebuilt here) named_parameters."""
    params = observed["params"]
    names = [name for name, _ in model.named_parameters()]
    expect(all(name in params for name in names), "not every parameter was observed")
    return [(name, params[name]) for name in names]


def _check_update(observed, ref, before, hint, what="the parameters after the step"):
    """Compare the submission's parameters with the reference's (`ref`, after its steps);
    diagnose the size of the update."""
    seen, steps = observed["forward_dtypes"], len(ref.probe.forward_dtypes)
    expect(len(seen) == steps,
           f"the model was called {len(seen)} times in {steps} step(s): call it once per step")
    expect(seen[-1] == ref.dtype,
           f"the model's forward pass ran in {seen[-1]}, not {ref.dtype}, so the "
           f"result differs from a mixed-precision step: run model(inputs) and the loss inside "
           f"torch.autocast(device_type=device_type, dtype=dtype), with the device_type and dtype "
           f"given (do not hard-code 'cuda' or a dtype)")
    params = _observed_params(observed, ref.model)
    got, want = _flat(p for _, p in params), _flat(ref.model.parameters())
    if not bool(torch.allclose(got, want, rtol=1e-4, atol=1e-6)):
        d_got, d_want = (got - before).norm().item(), (want - before).norm().item()
        if d_got == 0.0 and d_want > 0.0:
            hint = NO_CHANGE
        elif d_want > 0.0 and d_got < d_want / 100:
            hint = TOO_SMALL.format(scale=d_want / max(d_got, 1e-30))
        elif d_want > 0.0 and d_got > d_want * 100:
            hint = TOO_LARGE.format(scale=d_got / d_want)
    for (name, p), q in zip(params, ref.model.parameters()):
        expect(p.dtype == torch.float32,
               f"parameter {name!r} is {p.dtype}, not float32: keep the master weights float32 and "
               "let torch.autocast pick the precision inside the ops (do not call model.half() / "
               ".to(dtype) on the model)")
        assert_close(p, q.detach(), what=f"{what}: {name!r}", hint=hint, rtol=1e-4, atol=1e-6)


def test_returns_the_unscaled_loss_as_a_float(observed):
    """returns the batch's true (unscaled) loss as a Python float"""
    s = scenes.setup(1, "cpu")
    x0, y0 = s.x.clone(), s.y.clone()
    want = _reference_step(s)
    got = observed["loss"]
    expect(not isinstance(got, torch.Tensor),
           "the loss was returned as a tensor: return loss.item(), a Python float")
    expect_type(got, float, "amp_train_step's return value",
                hint="return loss.item(), a Python float")
    assert_scalar_close(got, want, what="the returned loss", rel=1e-4,
                        hint="return the true loss, loss.item(), not the scaled loss "
                             "(scaler.scale(loss) is multiplied by the scale)")
    assert_equal_tensors(observed["x"], x0, what="the inputs after the step",
                         hint="the inputs were changed: do not modify the batch")
    assert_equal_tensors(observed["y"], y0, what="the targets after the step",
                         hint="the targets were changed: do not modify the batch")


@pytest.mark.weight(2)
@pytest.mark.parametrize("seed", [2, 3])
def test_update_matches_a_reference_amp_step(observed, device, seed):
    """updates the parameters like a reference AMP step (no clipping), keeping them float32"""
    s = scenes.setup(seed, device)
    before = _flat(s.model.parameters())
    _reference_step(s)
    _check_update(observed, s, before,
                  hint="the parameters after one step differ from a reference AMP step: "
                       "scaler.scale(loss).backward(), scaler.step(optimizer), scaler.update()")


@pytest.mark.weight(2)
@pytest.mark.parametrize("max_norm", [0.05, 0.3])
def test_clips_the_unscaled_gradients(observed, device, max_norm):
    """clips the true gradients to max_norm: unscale_ first, then clip_grad_norm_"""
    s = scenes.setup(4, device, init_scale=2.0**16)
    before = _flat(s.model.parameters())
    _reference_step(s, max_norm=max_norm)
    got = _flat(p for _, p in _observed_params(observed, s.model))
    want = _flat(s.model.parameters())
    hint = ("the clipped update is wrong: call scaler.unscale_(optimizer) before "
            "clip_grad_norm_(model.parameters(), max_norm) so that max_norm applies to the true "
            "gradients")
    if (got - before).norm().item() > 1.2 * (want - before).norm().item():
        hint = ("the gradients were not clipped to max_norm: after scaler.unscale_(optimizer), "
                "call torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)")
    _check_update(observed, s, before, hint=hint, what="the parameters after a clipped step")


def test_max_norm_none_does_not_clip(observed):
    """with max_norm=None the update is not clipped"""
    s = scenes.setup(5, "cpu", lr=0.5)
    before = _flat(s.model.parameters())
    _reference_step(s, max_norm=None)
    _check_update(observed, s, before,
                  hint="with max_norm=None the gradients must not be clipped: clip only "
                       "`if max_norm is not None`")


@pytest.mark.parametrize(("device", "dtype"), [
    ("cpu", torch.bfloat16),
    ("cpu", torch.float16),
    pytest.param("cuda", torch.float16, marks=pytest.mark.gpu),
    pytest.param("cuda", torch.bfloat16, marks=pytest.mark.gpu),
])
def test_forward_runs_under_autocast(observed, device, dtype):
    """runs the model's forward pass under torch.autocast with the given device_type and dtype"""
    seen = observed["forward_dtypes"]
    expect(len(seen) == 1, f"the model was called {len(seen)} times in one step: call it once")
    expect(seen[0] == dtype,
           f"the model's forward pass ran in {seen[0]}, not {dtype}: run model(inputs) and the "
           "loss inside torch.autocast(device_type=device_type, dtype=dtype), with the "
           "device_type and dtype given (do not hard-code 'cuda' or a dtype)")


def test_backward_runs_outside_autocast(observed):
    """calls backward() after leaving the autocast block"""
    seen = observed["backward_autocast"]
    expect(len(seen) == 1, f"backward went through the model {len(seen)} times in one step: "
                           "call backward() once")
    expect(seen[0] is False,
           "backward() ran inside the autocast block: only the forward pass and the loss belong "
           "in `with torch.autocast(...)`; call scaler.scale(loss).backward() after the block")


def test_updates_the_scaler(observed):
    """calls scaler.update(), so the scale grows after good steps"""
    scale = observed["scale"]
    expect(scale == 2048.0,
           f"the scale is {scale:g} after a good step, expected 2048 (growth_interval=1): "
           "call scaler.update() after scaler.step(optimizer), on the scaler you were given")


@pytest.mark.weight(2)
def test_skips_the_step_when_gradients_overflow(observed):
    """skips the optimizer step and lowers the scale when the gradients overflow"""
    s = scenes.setup(9, "cpu")
    for (name, p), b in zip(_observed_params(observed, s.model), s.model.parameters()):
        assert_close(p, b.detach(), what=f"parameter {name!r} after an overflowing step",
                     equal_nan=False,
                     hint="the optimizer stepped although the gradients overflowed (inf/NaN): step "
                          "with scaler.step(optimizer), which skips the step in that case, not "
                          "optimizer.step()")
    scale = observed["scale"]
    expect(scale == s.init_scale / 2,
           f"the scale is {scale:g} after an overflow, expected {s.init_scale / 2:g}: "
           "call scaler.update() after scaler.step(optimizer), so the scale backs off")
    loss = observed["loss"]
    expect(type(loss) is float and math.isfinite(loss),
           "return the loss of the batch (loss.item()), a finite float, even when the step is "
           "skipped")


@pytest.mark.weight(2)
def test_two_steps_in_a_row(observed):
    """two steps in a row match two reference steps"""
    s = scenes.setup(10, "cpu", mse=True)
    before = _flat(s.model.parameters())
    for _ in range(2):
        _reference_step(s, max_norm=1.0)
    _check_update(observed, s, before, what="the parameters after two steps",
                  hint="two steps in a row differ from the reference: clear the gradients at the "
                       "start of each step (optimizer.zero_grad()) and call scaler.update() at the "
                       "end")


def test_clears_stale_gradients(observed):
    """clears gradients left over from earlier, so only this batch's gradient is used"""
    s = scenes.with_stale_gradients(scenes.setup(11, "cpu"))
    before = _flat(s.model.parameters())
    _reference_step(s)
    _check_update(observed, s, before,
                  hint="gradients from before the step were not cleared: they accumulate, "
                       "since backward() adds into .grad. Call optimizer.zero_grad() first")


def test_works_with_a_disabled_scaler(observed):
    """works when the scaler is disabled (GradScaler(enabled=False))"""
    s = scenes.setup(12, "cpu", enabled=False)
    before = _flat(s.model.parameters())
    want = _reference_step(s, max_norm=0.1)
    assert_scalar_close(observed["loss"], want, what="the returned loss", rel=1e-4,
                        hint="return loss.item() of this batch")
    _check_update(observed, s, before,
                  hint="with a disabled scaler the step must equal a plain autocast step: "
                       "use the scaler's methods (they do nothing extra when disabled)")


def test_leaves_autocast_off_and_grad_on(observed):
    """leaves autocast switched off and autograd switched on afterwards"""
    expect(observed["autocast_on"] is False,
           "autocast is still on after the step: use it as `with torch.autocast(...):` so it ends")
    expect(observed["grad_enabled"] is True, "autograd was left switched off after the step")

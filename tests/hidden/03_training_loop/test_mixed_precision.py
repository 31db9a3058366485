"""Hidden tests for 03_training_loop/mixed_precision.

The oracle is a reference AMP step run in the test on a deep copy of the same model, optimizer
and scaler settings. A probe module inside the model records the dtype its forward pass sees and
whether autocast was on during the backward pass; it can also inject inf gradients to simulate
a float16 overflow.
"""

import copy
import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.checks import (
    assert_close,
    assert_equal_tensors,
    assert_scalar_close,
    expect,
    expect_type,
    explain,
    manual_seed,
)

SCALER_ERRORS = {
    r"unscale_\(\) has already been called on this optimizer since the last update|"
    r"step\(\) has already been called since the last update":
        "scaler.update() was not called at the end of the step: call scaler.step(optimizer) and "
        "then scaler.update() once per step (and scaler.unscale_ at most once)",
    r"No inf checks were recorded":
        "scaler.update() ran without scaler.step(optimizer): step through the scaler, "
        "scaler.step(optimizer), not optimizer.step(); it unscales the gradients and skips the "
        "step when they overflowed",
    r"_scale is None|did not use scaler.scale":
        "the loss was never scaled: call scaler.scale(loss).backward() instead of loss.backward(), "
        "so the scaler can unscale the gradients before the step",
    r"Attempting to unscale FP16 gradients":
        "the model's parameters were converted to float16: keep them float32 and let "
        "torch.autocast pick the precision inside the ops (do not call model.half() / .to(dtype))",
}

TOO_SMALL = ("the update is about {scale:g} times too small: the gradients were divided by the scale "
             "without having been multiplied by it. Backward the scaled loss, "
             "scaler.scale(loss).backward(), and clip only after scaler.unscale_(optimizer) "
             "(clipping before unscale_(optimizer) clips the scaled gradients)")
TOO_LARGE = ("the update is about {scale:g} times too large: the optimizer used the still-scaled "
             "gradients. Step with scaler.step(optimizer), not optimizer.step()")
NO_CHANGE = ("the parameters did not change: the gradients were cleared between backward() and the "
             "step, or the optimizer never stepped (scaler.step(optimizer))")


class _Spy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, probe):
        ctx.probe = probe
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        probe = ctx.probe
        probe.backward_autocast.append(torch.is_autocast_enabled(grad.device.type))
        if probe.overflow:
            grad = grad * math.inf
        return grad, None


class Probe(nn.Module):
    """Identity layer that records what the forward and backward passes saw."""

    def __init__(self):
        super().__init__()
        self.forward_dtypes = []
        self.backward_autocast = []
        self.overflow = False

    def forward(self, x):
        self.forward_dtypes.append(x.dtype)
        return _Spy.apply(x, self)


def _amp_dtype(device):
    return torch.bfloat16 if device == "cpu" else torch.float16


def _setup(seed, device, *, d_in=6, hidden=16, d_out=3, batch=8, lr=0.1, init_scale=2.0**16,
           growth_interval=2000, enabled=True, mse=False):
    manual_seed(seed)
    model = nn.Sequential(nn.Linear(d_in, hidden), Probe(), nn.ReLU(), nn.Linear(hidden, d_out)).to(device)
    ref_model = copy.deepcopy(model)
    g = torch.Generator().manual_seed(seed + 1000)
    x = torch.randn(batch, d_in, generator=g).to(device)
    if mse:
        y = torch.randn(batch, d_out, generator=g).to(device)
        loss_fn = nn.MSELoss()
    else:
        y = torch.randint(0, d_out, (batch,), generator=g).to(device)
        loss_fn = F.cross_entropy

    def scaler():
        return torch.amp.GradScaler(device, init_scale=init_scale, growth_interval=growth_interval,
                                    enabled=enabled)

    return SimpleNamespace(
        model=model, ref_model=ref_model, probe=model[1], ref_probe=ref_model[1], x=x, y=y,
        loss_fn=loss_fn, device=device, dtype=_amp_dtype(device),
        opt=torch.optim.SGD(model.parameters(), lr=lr),
        ref_opt=torch.optim.SGD(ref_model.parameters(), lr=lr),
        scaler=scaler(), ref_scaler=scaler(), init_scale=init_scale,
    )


def _reference_step(s, max_norm=None, dtype=None):
    dtype = dtype or s.dtype
    s.ref_opt.zero_grad(set_to_none=True)
    with torch.autocast(device_type=s.device, dtype=dtype):
        loss = s.loss_fn(s.ref_model(s.x), s.y)
    s.ref_scaler.scale(loss).backward()
    if max_norm is not None:
        s.ref_scaler.unscale_(s.ref_opt)
        nn.utils.clip_grad_norm_(s.ref_model.parameters(), max_norm)
    s.ref_scaler.step(s.ref_opt)
    s.ref_scaler.update()
    return loss.item()


def _step(kata, s, max_norm=None, dtype=None):
    with explain(SCALER_ERRORS):
        return kata.amp_train_step(s.model, s.x, s.y, s.loss_fn, s.opt, s.scaler,
                                   device_type=s.device, dtype=dtype or s.dtype, max_norm=max_norm)


def _flat(model):
    return torch.cat([p.detach().reshape(-1).float().cpu() for p in model.parameters()])


def _check_update(s, before, hint, what="the parameters after the step"):
    """Compare the submission's parameters with the reference; diagnose the size of the update."""
    seen = s.probe.forward_dtypes
    expect(not seen or seen[-1] == s.dtype,
           f"the model's forward pass ran in {seen[-1] if seen else None}, not {s.dtype}, so the "
           f"result differs from a mixed-precision step: run model(inputs) and the loss inside "
           f"torch.autocast(device_type=device_type, dtype=dtype), with the device_type and dtype "
           f"given (do not hard-code 'cuda' or a dtype)")
    got, want = _flat(s.model), _flat(s.ref_model)
    if not bool(torch.allclose(got, want, rtol=1e-4, atol=1e-6)):
        d_got, d_want = (got - before).norm().item(), (want - before).norm().item()
        if d_got == 0.0 and d_want > 0.0:
            hint = NO_CHANGE
        elif d_want > 0.0 and d_got < d_want / 100:
            hint = TOO_SMALL.format(scale=d_want / max(d_got, 1e-30))
        elif d_want > 0.0 and d_got > d_want * 100:
            hint = TOO_LARGE.format(scale=d_got / d_want)
    for (name, p), q in zip(s.model.named_parameters(), s.ref_model.parameters()):
        expect(p.dtype == torch.float32,
               f"parameter {name!r} is {p.dtype}, not float32: keep the master weights float32 and "
               "let torch.autocast pick the precision inside the ops (do not call model.half() / "
               ".to(dtype) on the model)")
        assert_close(p.detach(), q.detach(), what=f"{what}: {name!r}", hint=hint, rtol=1e-4, atol=1e-6)


def test_returns_the_unscaled_loss_as_a_float(kata):
    """returns the batch's true (unscaled) loss as a Python float"""
    s = _setup(1, "cpu")
    x0, y0 = s.x.clone(), s.y.clone()
    want = _reference_step(s)
    got = _step(kata, s)
    expect(not isinstance(got, torch.Tensor),
           "the loss was returned as a tensor: return loss.item(), a Python float")
    expect_type(got, float, "amp_train_step's return value", hint="return loss.item(), a Python float")
    assert_scalar_close(got, want, what="the returned loss", rel=1e-4,
                        hint="return the true loss, loss.item(), not the scaled loss "
                             "(scaler.scale(loss) is multiplied by the scale)")
    assert_equal_tensors(s.x, x0, what="the inputs after the step",
                         hint="the inputs were changed: do not modify the batch")
    assert_equal_tensors(s.y, y0, what="the targets after the step",
                         hint="the targets were changed: do not modify the batch")


@pytest.mark.weight(2)
@pytest.mark.parametrize("seed", [2, 3])
def test_update_matches_a_reference_amp_step(kata, device, seed):
    """updates the parameters like a reference AMP step (no clipping), keeping them float32"""
    s = _setup(seed, device)
    before = _flat(s.model)
    _reference_step(s)
    _step(kata, s)
    _check_update(s, before, hint="the parameters after one step differ from a reference AMP step: "
                                  "scaler.scale(loss).backward(), scaler.step(optimizer), "
                                  "scaler.update()")


@pytest.mark.weight(2)
@pytest.mark.parametrize("max_norm", [0.05, 0.3])
def test_clips_the_unscaled_gradients(kata, device, max_norm):
    """clips the true gradients to max_norm: unscale_ first, then clip_grad_norm_"""
    s = _setup(4, device, init_scale=2.0**16)
    before = _flat(s.model)
    _reference_step(s, max_norm=max_norm)
    _step(kata, s, max_norm=max_norm)
    got, want = _flat(s.model), _flat(s.ref_model)
    hint = ("the clipped update is wrong: call scaler.unscale_(optimizer) before "
            "clip_grad_norm_(model.parameters(), max_norm) so that max_norm applies to the true gradients")
    if (got - before).norm().item() > 1.2 * (want - before).norm().item():
        hint = ("the gradients were not clipped to max_norm: after scaler.unscale_(optimizer), call "
                "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)")
    _check_update(s, before, hint=hint, what="the parameters after a clipped step")


def test_max_norm_none_does_not_clip(kata):
    """with max_norm=None the update is not clipped"""
    s = _setup(5, "cpu", lr=0.5)
    before = _flat(s.model)
    _reference_step(s, max_norm=None)
    _step(kata, s, max_norm=None)
    _check_update(s, before, hint="with max_norm=None the gradients must not be clipped: clip only "
                                  "`if max_norm is not None`")


@pytest.mark.parametrize(("device", "dtype"), [
    ("cpu", torch.bfloat16),
    ("cpu", torch.float16),
    pytest.param("cuda", torch.float16, marks=pytest.mark.gpu),
    pytest.param("cuda", torch.bfloat16, marks=pytest.mark.gpu),
])
def test_forward_runs_under_autocast(kata, device, dtype):
    """runs the model's forward pass under torch.autocast with the given device_type and dtype"""
    s = _setup(6, device)
    _step(kata, s, dtype=dtype)
    seen = s.probe.forward_dtypes
    expect(len(seen) == 1, f"the model was called {len(seen)} times in one step: call it once")
    expect(seen[0] == dtype,
           f"the model's forward pass ran in {seen[0]}, not {dtype}: run model(inputs) and the loss "
           f"inside torch.autocast(device_type=device_type, dtype=dtype), with the device_type and "
           f"dtype given (do not hard-code 'cuda' or a dtype)")


def test_backward_runs_outside_autocast(kata):
    """calls backward() after leaving the autocast block"""
    s = _setup(7, "cpu")
    _step(kata, s)
    seen = s.probe.backward_autocast
    expect(len(seen) == 1, f"backward went through the model {len(seen)} times in one step: "
                           "call backward() once")
    expect(seen[0] is False,
           "backward() ran inside the autocast block: only the forward pass and the loss belong "
           "in `with torch.autocast(...)`; call scaler.scale(loss).backward() after the block")


def test_updates_the_scaler(kata):
    """calls scaler.update(), so the scale grows after good steps"""
    s = _setup(8, "cpu", init_scale=1024.0, growth_interval=1)
    _step(kata, s)
    expect(s.scaler.get_scale() == 2048.0,
           f"the scale is {s.scaler.get_scale():g} after a good step, expected 2048 (growth_interval=1): "
           "call scaler.update() after scaler.step(optimizer), on the scaler you were given")


@pytest.mark.weight(2)
def test_skips_the_step_when_gradients_overflow(kata):
    """skips the optimizer step and lowers the scale when the gradients overflow"""
    s = _setup(9, "cpu")
    s.probe.overflow = True
    before = [p.detach().clone() for p in s.model.parameters()]
    loss = _step(kata, s)
    for (name, p), b in zip(s.model.named_parameters(), before):
        assert_close(p.detach(), b, what=f"parameter {name!r} after an overflowing step", equal_nan=False,
                     hint="the optimizer stepped although the gradients overflowed (inf/NaN): step "
                          "with scaler.step(optimizer), which skips the step in that case, not "
                          "optimizer.step()")
    expect(s.scaler.get_scale() == s.init_scale / 2,
           f"the scale is {s.scaler.get_scale():g} after an overflow, expected {s.init_scale / 2:g}: "
           "call scaler.update() after scaler.step(optimizer), so the scale backs off")
    expect(type(loss) is float and math.isfinite(loss),
           "return the loss of the batch (loss.item()), a finite float, even when the step is skipped")


@pytest.mark.weight(2)
def test_two_steps_in_a_row(kata):
    """two steps in a row match two reference steps"""
    s = _setup(10, "cpu", mse=True)
    before = _flat(s.model)
    for _ in range(2):
        _reference_step(s, max_norm=1.0)
        _step(kata, s, max_norm=1.0)
    _check_update(s, before, what="the parameters after two steps",
                  hint="two steps in a row differ from the reference: clear the gradients at the "
                       "start of each step (optimizer.zero_grad()) and call scaler.update() at the end")


def test_clears_stale_gradients(kata):
    """clears gradients left over from earlier, so only this batch's gradient is used"""
    s = _setup(11, "cpu")
    for p in s.model.parameters():
        p.grad = torch.full_like(p, 5.0)
    before = _flat(s.model)
    _reference_step(s)
    _step(kata, s)
    _check_update(s, before, hint="gradients from before the step were not cleared: they accumulate, "
                                  "since backward() adds into .grad. Call optimizer.zero_grad() first")


def test_works_with_a_disabled_scaler(kata):
    """works when the scaler is disabled (GradScaler(enabled=False))"""
    s = _setup(12, "cpu", enabled=False)
    before = _flat(s.model)
    want = _reference_step(s, max_norm=0.1)
    got = _step(kata, s, max_norm=0.1)
    assert_scalar_close(got, want, what="the returned loss", rel=1e-4,
                        hint="return loss.item() of this batch")
    _check_update(s, before, hint="with a disabled scaler the step must equal a plain autocast step: "
                                  "use the scaler's methods (they do nothing extra when disabled)")


def test_leaves_autocast_off_and_grad_on(kata):
    """leaves autocast switched off and autograd switched on afterwards"""
    s = _setup(13, "cpu")
    _step(kata, s)
    expect(not torch.is_autocast_enabled("cpu"),
           "autocast is still on after the step: use it as `with torch.autocast(...):` so it ends")
    expect(torch.is_grad_enabled(), "autograd was left switched off after the step")

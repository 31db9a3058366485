"""Scenarios for 03_training_loop/mixed_precision: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_mixed_precision.py, which builds the same model, optimizer and scaler with
`setup` below and runs a reference AMP step on them. A probe module inside the model records the
dtype its forward pass sees and whether autocast was on during the backward pass; it can also
inject inf gradients to simulate a float16 overflow.
"""

import math
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import nn

from grader.checks import explain, manual_seed
from grader.observe import scenario

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


def amp_dtype(device):
    return torch.bfloat16 if device == "cpu" else torch.float16


def setup(seed, device, *, d_in=6, hidden=16, d_out=3, batch=8, lr=0.1, init_scale=2.0**16,
          growth_interval=2000, enabled=True, mse=False):
    """A model (with a Probe), its batch, loss, SGD optimizer and GradScaler, all from `seed`."""
    manual_seed(seed)
    model = nn.Sequential(nn.Linear(d_in, hidden), Probe(), nn.ReLU(),
                          nn.Linear(hidden, d_out)).to(device)
    g = torch.Generator().manual_seed(seed + 1000)
    x = torch.randn(batch, d_in, generator=g).to(device)
    if mse:
        y = torch.randn(batch, d_out, generator=g).to(device)
        loss_fn = nn.MSELoss()
    else:
        y = torch.randint(0, d_out, (batch,), generator=g).to(device)
        loss_fn = F.cross_entropy
    return SimpleNamespace(
        model=model, probe=model[1], x=x, y=y, loss_fn=loss_fn, device=device,
        dtype=amp_dtype(device), opt=torch.optim.SGD(model.parameters(), lr=lr),
        scaler=torch.amp.GradScaler(device, init_scale=init_scale,
                                    growth_interval=growth_interval, enabled=enabled),
        init_scale=init_scale,
    )


def with_stale_gradients(s):
    """Gradients left over from before the step."""
    for p in s.model.parameters():
        p.grad = torch.full_like(p, 5.0)
    return s


def _step(kata, s, max_norm=None, dtype=None):
    with explain(SCALER_ERRORS):
        return kata.amp_train_step(s.model, s.x, s.y, s.loss_fn, s.opt, s.scaler,
                                   device_type=s.device, dtype=dtype or s.dtype, max_norm=max_norm)


def _seen(s, loss=None):
    """What one or more steps left behind: the parameters, the probe's records, the scale."""
    return {"loss": loss,
            "params": {name: p.detach() for name, p in s.model.named_parameters()},
            "forward_dtypes": list(s.probe.forward_dtypes),
            "backward_autocast": list(s.probe.backward_autocast),
            "scale": s.scaler.get_scale()}


@scenario
def returns_the_unscaled_loss_as_a_float(kata):
    s = setup(1, "cpu")
    loss = _step(kata, s)
    return {"loss": loss, "x": s.x, "y": s.y}


@scenario
def update_matches_a_reference_amp_step(kata, device, seed):
    s = setup(seed, device)
    return _seen(s, _step(kata, s))


@scenario
def clips_the_unscaled_gradients(kata, device, max_norm):
    s = setup(4, device, init_scale=2.0**16)
    return _seen(s, _step(kata, s, max_norm=max_norm))


@scenario
def max_norm_none_does_not_clip(kata):
    s = setup(5, "cpu", lr=0.5)
    return _seen(s, _step(kata, s, max_norm=None))


@scenario
def forward_runs_under_autocast(kata, device, dtype):
    s = setup(6, device)
    return _seen(s, _step(kata, s, dtype=dtype))


@scenario
def backward_runs_outside_autocast(kata):
    s = setup(7, "cpu")
    return _seen(s, _step(kata, s))


@scenario
def updates_the_scaler(kata):
    s = setup(8, "cpu", init_scale=1024.0, growth_interval=1)
    return _seen(s, _step(kata, s))


@scenario
def skips_the_step_when_gradients_overflow(kata):
    s = setup(9, "cpu")
    s.probe.overflow = True
    return _seen(s, _step(kata, s))


@scenario
def two_steps_in_a_row(kata):
    s = setup(10, "cpu", mse=True)
    for _ in range(2):
        _step(kata, s, max_norm=1.0)
    return _seen(s)


@scenario
def clears_stale_gradients(kata):
    s = with_stale_gradients(setup(11, "cpu"))
    return _seen(s, _step(kata, s))


@scenario
def works_with_a_disabled_scaler(kata):
    s = setup(12, "cpu", enabled=False)
    return _seen(s, _step(kata, s, max_norm=0.1))


@scenario
def leaves_autocast_off_and_grad_on(kata):
    s = setup(13, "cpu")
    _step(kata, s)
    return {"autocast_on": torch.is_autocast_enabled("cpu"),
            "grad_enabled": torch.is_grad_enabled()}

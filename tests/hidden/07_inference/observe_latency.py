"""Scenarios for 07_inference/latency: they run beside the submission and only observe.

Never real timing: a fake clock that moves only while the model runs, by scripted durations.
No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_latency.py, which rebuilds the inputs with the builders below."""

import time

import torch
from torch import nn

from grader.observe import scenario


class FakeClock:
    def __init__(self, start=1000.0):
        self.now = start
        self.reads = 0

    def __call__(self):
        self.reads += 1
        return self.now


class ScriptedModel(nn.Module):
    """Each call advances the fake clock by the next duration and records the autograd state."""

    def __init__(self, clock, durations):
        super().__init__()
        self.clock = clock
        self.durations = list(durations)
        self.calls = 0
        self.modes = []  # (inference mode on, grad mode on) per call

    def forward(self, x):
        self.modes.append((torch.is_inference_mode_enabled(), torch.is_grad_enabled()))
        if self.calls < len(self.durations):
            self.clock.now += self.durations[self.calls]
        self.calls += 1
        return x * 2


def durations(n, seed):
    g = torch.Generator().manual_seed(seed)
    values = (torch.rand(n, generator=g, dtype=torch.float64) * 0.05 + 0.01).tolist()
    values[n // 3] = 0.9  # one slow outlier: the mean is far from the median
    return values


def unsorted_values():
    return [0.3, 0.1, 0.2, 0.5, 0.4]


WARMUP_SECONDS = 50.0  # each warm-up call: far slower than any timed call


def _measure(kata, warmup, timed):
    """measure_latency on a scripted model; what it returned and how it used model and clock."""
    clock = FakeClock()
    model = ScriptedModel(clock, [WARMUP_SECONDS] * warmup + timed)
    result = kata.measure_latency(model, torch.ones(3), warmup=warmup, iters=len(timed),
                                  timer=clock)
    return {"result": result, "calls": model.calls, "reads": clock.reads, "modes": model.modes,
            "inference_mode_after": torch.is_inference_mode_enabled(),
            "grad_enabled_after": torch.is_grad_enabled()}


# ------------------------------------------------------------------------------ percentile


@scenario
def percentile_interpolates(kata, n, q):
    return kata.percentile(durations(n, n * 100 + q), q)


@scenario
def percentile_single_value_and_no_mutation(kata):
    single = kata.percentile([0.25], 90)
    values = unsorted_values()
    kata.percentile(values, 50)
    return {"single": single, "values_after": values}


# ------------------------------------------------------------------------------ measure_latency


@scenario
def median_and_p90(kata, iters, warmup):
    return _measure(kata, warmup, durations(iters, iters))


@scenario
def call_counts(kata, warmup, iters):
    return _measure(kata, warmup, durations(iters, 40 + iters))


@scenario
def warmup_is_not_timed(kata):
    return _measure(kata, 3, [0.01, 0.02, 0.03, 0.04, 0.05])


@scenario
def inference_mode(kata):
    return _measure(kata, 2, [0.1, 0.2, 0.3])


@scenario
def uses_the_given_timer(kata):
    return _measure(kata, 1, [2.0, 4.0, 6.0])


@scenario
def rejects_zero_iterations(kata):
    clock = FakeClock()
    try:
        kata.measure_latency(ScriptedModel(clock, []), torch.ones(1), warmup=1, iters=0,
                             timer=clock)
    except ValueError as err:
        return {"raised": type(err).__name__, "mro": [c.__name__ for c in type(err).__mro__]}
    return {"raised": None}


@scenario
def no_cuda_synchronize_on_cpu(kata, monkeypatch):
    calls = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *a, **k: calls.append(a))
    seen = _measure(kata, 1, [0.1, 0.2])
    return {**seen, "synchronize_calls": len(calls)}


class _RecordedLinear(nn.Module):
    """A CUDA linear layer that logs each call into `events`."""

    def __init__(self, events):
        super().__init__()
        self.events = events
        self.lin = nn.Linear(64, 64).cuda()

    def forward(self, x):
        self.events.append("model")
        return self.lin(x)


@scenario
def cuda_synchronizes_before_reading_the_clock(kata, monkeypatch):
    events = []
    real_sync = torch.cuda.synchronize

    def sync(*args, **kwargs):
        events.append("sync")
        return real_sync(*args, **kwargs)

    def timer():
        events.append("timer")
        return time.perf_counter()

    monkeypatch.setattr(torch.cuda, "synchronize", sync)
    model = _RecordedLinear(events).eval()
    x = torch.randn(32, 64, device="cuda")
    result = kata.measure_latency(model, x, warmup=2, iters=5, timer=timer)
    return {"result": result, "events": events}

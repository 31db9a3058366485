"""Hidden tests for 07_inference/latency.

Never real timing: a fake clock that moves only while the model runs, by scripted durations,
so every expected number is exact and no test can be flaky."""

import time

import pytest
import torch
from torch import nn

from grader.checks import assert_scalar_close, expect, expect_type

PCT = ("percentiles interpolate linearly between sorted values (numpy.percentile's default): "
       "position (n - 1) * q / 100 between s[floor] and s[floor + 1]; the median of an even count "
       "is the mean of the two middle values")


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


def _quantile(values, q):
    return float(torch.quantile(torch.tensor(values, dtype=torch.float64), q / 100))


def _durations(n, seed):
    g = torch.Generator().manual_seed(seed)
    values = (torch.rand(n, generator=g, dtype=torch.float64) * 0.05 + 0.01).tolist()
    values[n // 3] = 0.9  # one slow outlier: the mean is far from the median
    return values


def _measure(kata, warmup, timed, **kw):
    clock = FakeClock()
    model = ScriptedModel(clock, [50.0] * warmup + timed)
    result = kata.measure_latency(model, torch.ones(3), warmup=warmup, iters=len(timed), timer=clock, **kw)
    expect_type(result, dict, "measure_latency's return value",
                hint='return a dict {"median": seconds, "p90": seconds}')
    expect(sorted(result) == ["median", "p90"],
           f'the result should have exactly the keys "median" and "p90", got {sorted(result)}')
    for key in ("median", "p90"):
        if isinstance(result[key], torch.Tensor):
            expect(False, f"result[{key!r}] is a tensor: return Python floats (call .item())")
    return result, model, clock


# ------------------------------------------------------------------------------ percentile


@pytest.mark.weight(2)
@pytest.mark.parametrize("n,q", [(7, 50), (8, 50), (20, 90), (11, 90), (5, 25), (6, 0), (6, 100)])
def test_percentile_interpolates(kata, n, q):
    """computes the q-th percentile by linear interpolation, like numpy.percentile"""
    values = _durations(n, n * 100 + q)
    got = kata.percentile(values, q)
    assert_scalar_close(got, _quantile(values, q), what=f"the {q}th percentile of {n} values",
                        hint=PCT + " (sort the values first)", rel=1e-9, abs_tol=1e-12)


def test_percentile_single_value_and_no_mutation(kata):
    """works for a single value and does not reorder the caller's list"""
    assert_scalar_close(kata.percentile([0.25], 90), 0.25, what="p90 of a single value", hint=PCT)
    values = [0.3, 0.1, 0.2, 0.5, 0.4]
    kata.percentile(values, 50)
    expect(values == [0.3, 0.1, 0.2, 0.5, 0.4],
           "percentile reordered the caller's list: sort a copy (sorted(values)), not values.sort()")


# ------------------------------------------------------------------------------ measure_latency


@pytest.mark.weight(3)
@pytest.mark.parametrize("iters,warmup", [(20, 3), (9, 5), (10, 1)])
def test_median_and_p90(kata, iters, warmup):
    """reports the median and p90 of the timed calls, in seconds, as floats"""
    timed = _durations(iters, iters)
    result, model, _ = _measure(kata, warmup, timed)
    hint = ("time each call separately (read the clock right before and right after model(x)) and "
            "take percentiles of those durations, in seconds. Warm-up calls are not timed. " + PCT)
    assert_scalar_close(result["median"], _quantile(timed, 50), what="the median latency", hint=hint, rel=1e-6)
    assert_scalar_close(result["p90"], _quantile(timed, 90), what="the p90 latency", hint=hint, rel=1e-6)


@pytest.mark.weight(2)
@pytest.mark.parametrize("warmup,iters", [(3, 20), (0, 4), (7, 1)])
def test_call_counts(kata, warmup, iters):
    """calls the model exactly warmup + iters times"""
    _, model, clock = _measure(kata, warmup, _durations(iters, 40 + iters))
    expect(model.calls == warmup + iters,
           f"the model was called {model.calls} times, expected {warmup} warm-up + {iters} timed calls")
    expect(clock.reads >= 2 * iters,
           f"the clock was read {clock.reads} times for {iters} timed calls: read `timer()` before and "
           "after each call, using the timer you are given (not time.perf_counter directly)")


def test_warmup_is_not_timed(kata):
    """leaves the slow warm-up calls out of the statistics"""
    timed = [0.01, 0.02, 0.03, 0.04, 0.05]
    result, _, _ = _measure(kata, 3, timed)
    expect(isinstance(result["p90"], float) and result["p90"] < 1.0,
           f"p90 is {result['p90']} s although every timed call took at most 0.05 s: the 50 s "
           "warm-up calls were timed. Run the warm-up calls first, outside the timed loop")
    assert_scalar_close(result["median"], 0.03, what="the median latency",
                        hint="do not time the warm-up calls", rel=1e-6)


@pytest.mark.weight(2)
def test_inference_mode(kata):
    """runs every call, warm-up included, under torch.inference_mode()"""
    _, model, _ = _measure(kata, 2, [0.1, 0.2, 0.3])
    expect(all(inference for inference, _ in model.modes[2:]),
           "the timed calls did not run under torch.inference_mode() (torch.no_grad() is not the "
           "same: it still tracks tensor versions); wrap the loops in `with torch.inference_mode():`")
    expect(all(inference for inference, _ in model.modes),
           "the warm-up calls ran outside torch.inference_mode(): warm up exactly as you measure")
    expect(not torch.is_inference_mode_enabled() and torch.is_grad_enabled(),
           "inference mode or no-grad was left on after measuring: use the `with` form")


def test_uses_the_given_timer(kata):
    """reads the clock it is given (the default is time.perf_counter)"""
    result, _, _ = _measure(kata, 1, [2.0, 4.0, 6.0])
    assert_scalar_close(result["median"], 4.0, what="the median with a fake clock", rel=1e-6,
                        hint="use the `timer` argument to read the clock (and report seconds, not ms)")


def test_rejects_zero_iterations(kata):
    """raises ValueError when iters < 1"""
    clock = FakeClock()
    raised = False
    try:
        kata.measure_latency(ScriptedModel(clock, []), torch.ones(1), warmup=1, iters=0, timer=clock)
    except ValueError:
        raised = True
    expect(raised, "iters=0 should raise ValueError: there is nothing to take percentiles of")


def test_no_cuda_synchronize_on_cpu(kata, monkeypatch):
    """does not call torch.cuda.synchronize() for a CPU input"""
    calls = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *a, **k: calls.append(a))
    _measure(kata, 1, [0.1, 0.2])
    expect(not calls, "torch.cuda.synchronize() was called for a CPU input: synchronise only when "
                      "x is on CUDA (x.device.type == 'cuda'); without a GPU it raises")


@pytest.mark.gpu
def test_cuda_synchronizes_before_reading_the_clock(kata, monkeypatch):
    """on CUDA, synchronises after every model call before the clock is read"""
    events = []
    real_sync = torch.cuda.synchronize

    def sync(*args, **kwargs):
        events.append("sync")
        return real_sync(*args, **kwargs)

    def timer():
        events.append("timer")
        return time.perf_counter()

    class Recorded(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(64, 64).cuda()

        def forward(self, x):
            events.append("model")
            return self.lin(x)

    monkeypatch.setattr(torch.cuda, "synchronize", sync)
    model = Recorded().eval()
    x = torch.randn(32, 64, device="cuda")
    result = kata.measure_latency(model, x, warmup=2, iters=5, timer=timer)
    expect(events.count("model") == 7, f"the model was called {events.count('model')} times, expected 7")
    pending = False
    for event in events:
        if event == "model":
            pending = True
        elif event == "sync":
            pending = False
        elif pending:
            expect(False, "the clock was read while CUDA work could still be queued: call "
                          "torch.cuda.synchronize() after model(x) (and after the warm-up) before "
                          "reading the timer; CUDA calls return before the GPU has finished")
    for key in ("median", "p90"):
        expect(type(result[key]) is float and result[key] > 0,
               f"result[{key!r}] should be a positive float, got {result[key]!r}")

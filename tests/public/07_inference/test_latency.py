"""Public tests for 07_inference/latency: the basics. The hidden suite checks much more.

No real timing here: a fake clock that only moves while the model runs."""

import torch
from torch import nn

from grader.checks import assert_scalar_close, expect


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class SlowModel(nn.Module):
    """Each call 'takes' the next of the given durations on the fake clock."""

    def __init__(self, clock, durations):
        super().__init__()
        self.clock, self.durations, self.calls = clock, list(durations), 0

    def forward(self, x):
        self.clock.now += self.durations[self.calls]
        self.calls += 1
        return x


def test_percentile(kata):
    """interpolates percentiles linearly between sorted values"""
    assert_scalar_close(kata.percentile([3.0, 1.0, 2.0, 4.0], 50), 2.5, what="the median of [3, 1, 2, 4]")
    assert_scalar_close(kata.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 90), 4.6, what="p90 of [1, 2, 3, 4, 5]")


def test_skips_warmup_and_times_each_call(kata):
    """times `iters` calls after `warmup` untimed ones"""
    clock = FakeClock()
    model = SlowModel(clock, [9.0, 9.0] + [0.1, 0.3, 0.2])
    result = kata.measure_latency(model, torch.zeros(2), warmup=2, iters=3, timer=clock)
    expect(model.calls == 5, f"the model was called {model.calls} times, expected 2 warm-up + 3 timed")
    assert_scalar_close(result["median"], 0.2, what="the median", hint="do not time the warm-up calls")

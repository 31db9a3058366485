"""Hidden tests for 07_inference/latency: the checks. The scenarios are in observe_latency.py.

Never real timing: a fake clock that moves only while the model runs, by scripted durations,
so every expected number is exact and no test can be flaky."""

import pytest
import torch

from grader.checks import assert_scalar_close, expect, expect_type
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

PCT = ("percentiles interpolate linearly between sorted values (numpy.percentile's default): "
       "position (n - 1) * q / 100 between s[floor] and s[floor + 1]; the median of an even count "
       "is the mean of the two middle values")


def _quantile(values, q):
    return float(torch.quantile(torch.tensor(values, dtype=torch.float64), q / 100))


def _result(seen):
    """What measure_latency returned, once it is a dict of the two keys, holding no tensor."""
    result = seen["result"]
    expect_type(result, dict, "measure_latency's return value",
                hint='return a dict {"median": seconds, "p90": seconds}')
    expect(sorted(result) == ["median", "p90"],
           f'the result should have exactly the keys "median" and "p90", got {sorted(result)}')
    for key in ("median", "p90"):
        if isinstance(result[key], torch.Tensor):
            expect(False, f"result[{key!r}] is a tensor: return Python floats (call .item())")
    return result


# ------------------------------------------------------------------------------ percentile


@pytest.mark.weight(2)
@pytest.mark.parametrize("n,q", [(7, 50), (8, 50), (20, 90), (11, 90), (5, 25), (6, 0), (6, 100)])
def test_percentile_interpolates(observed, n, q):
    """computes the q-th percentile by linear interpolation, like numpy.percentile"""
    values = scenes.durations(n, n * 100 + q)
    assert_scalar_close(observed, _quantile(values, q), what=f"the {q}th percentile of {n} values",
                        hint=PCT + " (sort the values first)", rel=1e-9, abs_tol=1e-12)


def test_percentile_single_value_and_no_mutation(observed):
    """works for a single value and does not reorder the caller's list"""
    assert_scalar_close(observed["single"], 0.25, what="p90 of a single value", hint=PCT)
    expect(observed["values_after"] == scenes.unsorted_values(),
           "percentile reordered the caller's list: sort a copy (sorted(values)), "
           "not values.sort()")


# ------------------------------------------------------------------------------ measure_latency


@pytest.mark.weight(3)
@pytest.mark.parametrize("iters,warmup", [(20, 3), (9, 5), (10, 1)])
def test_median_and_p90(observed, iters, warmup):
    """reports the median and p90 of the timed calls, in seconds, as floats"""
    timed = scenes.durations(iters, iters)
    result = _result(observed)
    hint = ("time each call separately (read the clock right before and right after model(x)) and "
            "take percentiles of those durations, in seconds. Warm-up calls are not timed. " + PCT)
    assert_scalar_close(result["median"], _quantile(timed, 50), what="the median latency",
                        hint=hint, rel=1e-6)
    assert_scalar_close(result["p90"], _quantile(timed, 90), what="the p90 latency", hint=hint,
                        rel=1e-6)


@pytest.mark.weight(2)
@pytest.mark.parametrize("warmup,iters", [(3, 20), (0, 4), (7, 1)])
def test_call_counts(observed, warmup, iters):
    """calls the model exactly warmup + iters times"""
    _result(observed)
    calls, reads = observed["calls"], observed["reads"]
    expect(calls == warmup + iters,
           f"the model was called {calls} times, expected {warmup} warm-up + {iters} timed calls")
    expect(reads >= 2 * iters,
           f"the clock was read {reads} times for {iters} timed calls: read `timer()` before and "
           "after each call, using the timer you are given (not time.perf_counter directly)")


def test_warmup_is_not_timed(observed):
    """leaves the slow warm-up calls out of the statistics"""
    result = _result(observed)
    expect(isinstance(result["p90"], float) and result["p90"] < 1.0,
           f"p90 is {result['p90']} s although every timed call took at most 0.05 s: the 50 s "
           "warm-up calls were timed. Run the warm-up calls first, outside the timed loop")
    assert_scalar_close(result["median"], 0.03, what="the median latency",
                        hint="do not time the warm-up calls", rel=1e-6)


@pytest.mark.weight(2)
def test_inference_mode(observed):
    """runs every call, warm-up included, under torch.inference_mode()"""
    _result(observed)
    modes = observed["modes"]
    expect(len(modes) == 5,
           f"the model was called {len(modes)} times, expected 2 warm-up + 3 timed calls")
    expect(all(inference is True for inference, _ in modes[2:]),
           "the timed calls did not run under torch.inference_mode() (torch.no_grad() is not the "
           "same: it still tracks tensor versions); wrap the loops in "
           "`with torch.inference_mode():`")
    expect(all(inference is True for inference, _ in modes),
           "the warm-up calls ran outside torch.inference_mode(): warm up exactly as you measure")
    expect(observed["inference_mode_after"] is False and observed["grad_enabled_after"] is True,
           "inference mode or no-grad was left on after measuring: use the `with` form")


def test_uses_the_given_timer(observed):
    """reads the clock it is given (the default is time.perf_counter)"""
    result = _result(observed)
    assert_scalar_close(result["median"], 4.0, what="the median with a fake clock", rel=1e-6,
                        hint="use the `timer` argument to read the clock (and report seconds, "
                             "not ms)")


def test_rejects_zero_iterations(observed):
    """raises ValueError when iters < 1"""
    expect(observed["raised"] is not None and "ValueError" in observed["mro"],
           "iters=0 should raise ValueError: there is nothing to take percentiles of")


def test_no_cuda_synchronize_on_cpu(observed):
    """does not call torch.cuda.synchronize() for a CPU input"""
    _result(observed)
    expect(observed["synchronize_calls"] == 0,
           "torch.cuda.synchronize() was called for a CPU input: synchronise only when "
           "x is on CUDA (x.device.type == 'cuda'); without a GPU it raises")


@pytest.mark.gpu
def test_cuda_synchronizes_before_reading_the_clock(observed):
    """on CUDA, synchronises after every model call before the clock is read"""
    events, result = observed["events"], observed["result"]
    calls = events.count("model")
    expect(calls == 7, f"the model was called {calls} times, expected 7")
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

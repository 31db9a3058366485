"""Hidden tests for 04_architectures/conv_shapes: the checks. The scenarios are in
observe_conv_shapes.py.

The oracle is PyTorch itself: real conv/pool ops run on `meta` tensors (shapes only, no data, so
no compute) over many seeded random configurations.
"""

import copy

import pytest
import torch
import torch.nn.functional as F

from grader.checks import expect, fail
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

FORMULA = "out = (size + 2*padding - dilation*(kernel - 1) - 1) // stride + 1"


def _conv_truth(n, k, s=1, p=0, d=1):
    x = torch.empty(1, 1, n, device="meta")
    w = torch.empty(1, 1, k, device="meta")
    return int(F.conv1d(x, w, stride=s, padding=p, dilation=d).shape[-1])


def _pool_truth(n, k, s=None, p=0, d=1, ceil=False):
    x = torch.empty(1, 1, n, device="meta")
    return int(F.max_pool1d(x, k, stride=s, padding=p, dilation=d, ceil_mode=ceil).shape[-1])


def _valid(fn, *args):
    try:
        return fn(*args)
    except RuntimeError:
        return None


def _cases(truth, fixed, candidates, count):
    """(index in the observations, config, want): the fixed configs, then the first `count`
    random ones PyTorch can run."""
    cases = [(i, c, truth(*c)) for i, c in enumerate(fixed)]
    valid = [(len(fixed) + i, c, want) for i, c in enumerate(candidates)
             if (want := _valid(truth, *c)) is not None]
    assert len(valid) >= count, "test bug: too few valid random configurations drawn"
    return cases + valid[:count]


def _pool_truth_ceil(n, k, s, p, d):
    return _pool_truth(n, k, s, p, d, True)


def _pool_truth_floor(n, k, s, p, d):
    return _pool_truth(n, k, s, p, d, False)


def _got(seen):
    """What a call did, for a message: `returned 3`, or `raised ValueError: ...`."""
    if "raised" in seen:
        return f"raised {seen['raised']}: {seen['message']}"
    return f"returned {seen['returned']!r}"


def _is(seen, want):
    return "returned" in seen and type(seen["returned"]) is int and seen["returned"] == want


def _expect_returned_type(seen, name, what, hint):
    """expect_type on what a call returned, by the type's name the scenario saw; a ValueError
    the call raised fails too."""
    if "raised" in seen:
        fail(f"{hint}\n  {what} {_got(seen)}")
    if seen["type"] != name or type(seen["returned"]).__name__ != name:
        shown = repr(seen["returned"])
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        fail(f"{hint}\n  {what} should be a {name}, got a {seen['type']}: {shown}")


def _explained(message, seen):
    """The failure explain() gives for a ValueError that the scenario recorded."""
    text = f"{seen['raised']}: {seen['message']}"
    fail(f"{message}\n  (your code raised {text[:300]})")


def _check_conv(observed, cases, hint):
    for i, (n, k, s, p, d), want in cases:
        seen = observed[i]
        expect(_is(seen, want),
               f"{hint}\n  conv_output_size(size={n}, kernel={k}, stride={s}, padding={p}, "
               f"dilation={d}) {_got(seen)}, expected {want} ({FORMULA})")


def test_conv_without_padding_or_stride(observed):
    """a plain convolution: size - kernel + 1"""
    cases = _cases(_conv_truth, scenes.PLAIN_CONFIGS, scenes.plain_candidates(), 30)
    _check_conv(observed, cases,
                "with stride 1 and no padding a kernel of size k fits size - k + 1 times")


def test_conv_padding_counts_on_both_sides(observed):
    """padding is added on both sides of the input"""
    cases = _cases(_conv_truth, scenes.PADDED_CONFIGS, scenes.padded_candidates(), 40)
    _check_conv(observed, cases,
                "padding is added on BOTH sides: the padded size is size + 2*padding")


def test_conv_stride_floors(observed):
    """a stride divides the positions, rounding down"""
    cases = _cases(_conv_truth, scenes.STRIDED_CONFIGS, scenes.strided_candidates(), 60)
    _check_conv(observed, cases,
                "with a stride, divide the span (size + 2*padding - kernel) by the stride "
                "with floor division //, then add 1 (the first position)")


def test_conv_dilation(observed):
    """a dilated kernel spans dilation*(kernel-1)+1 inputs"""
    cases = _cases(_conv_truth, scenes.DILATED_CONFIGS, scenes.dilated_candidates(), 60)
    _check_conv(observed, cases,
                "dilation spreads the kernel's taps apart: a kernel of k taps with "
                "dilation d covers d*(k-1)+1 inputs")


@pytest.mark.weight(2)
def test_conv_random_configurations(observed):
    """matches nn.functional.conv1d over 300 random configurations"""
    cases = _cases(_conv_truth, [], scenes.random_candidates(), 300)
    _check_conv(observed, cases, "the output size is wrong for some combination of "
                                 "stride, padding and dilation")


def test_window_too_big_raises_value_error(observed):
    """raises ValueError when the kernel or window does not fit, and not at the edge case"""
    for (call, args), seen in zip(scenes.WINDOW_TOO_BIG, observed["too_big"]):
        if "raised" in seen:
            continue
        expect(False, f"{call}{args} returned {seen['returned']!r}: the window does not fit in "
                      "the padded input even once, so raise ValueError instead of returning a size")
    expect(len(observed["too_big"]) == len(scenes.WINDOW_TOO_BIG), "not every call was observed")
    edge = observed["at_the_edge"]
    expect(len(edge) == len(scenes.WINDOW_AT_THE_EDGE), "not every call was observed")
    for (call, args), want, seen in zip(scenes.WINDOW_AT_THE_EDGE, (1, 1, 1), edge):
        if "raised" in seen:
            _explained(f"{call}{args} should be {want}: a window that fits exactly once is valid "
                       "(only raise when the span is negative)", seen)
        got = seen["returned"]
        expect(got == want, f"{call}{args} returned {got!r}, expected {want}")


def test_pool_stride_defaults_to_kernel(observed):
    """pooling's stride defaults to its kernel size"""
    expect(len(observed) == len(scenes.POOL_DEFAULT_STRIDE), "not every call was observed")
    for (n, k), pair in zip(scenes.POOL_DEFAULT_STRIDE, observed):
        want = _pool_truth(n, k)
        expect(len(pair) == 2, "not every call was observed")
        for seen in pair:
            expect(_is(seen, want),
                   f"pooling's stride defaults to the kernel size, not 1 (nn.MaxPool2d(2) halves "
                   f"the size): pool_output_size({n}, {k}) {_got(seen)}, expected {want}")


def test_pool_with_stride_padding_and_dilation(observed):
    """matches max_pool1d over random configurations (floor mode)"""
    cases = _cases(_pool_truth_floor, [], scenes.pool_floor_candidates(), 150)
    for i, (n, k, s, p, d), want in cases:
        seen = observed[i]
        expect(_is(seen, want),
               f"pooling uses the same formula as a convolution ({FORMULA}) with the stride given"
               f"\n  pool_output_size({n}, {k}, stride={s}, padding={p}, dilation={d}) "
               f"{_got(seen)}, expected {want}")


@pytest.mark.weight(2)
def test_pool_ceil_mode(observed):
    """ceil_mode rounds up but never starts a window past the input"""
    cases = _cases(_pool_truth_ceil, scenes.CEIL_CONFIGS, scenes.pool_ceil_candidates(), 150)
    for i, (n, k, s, p, d), want in cases:
        seen = observed[i]
        if _is(seen, want):
            continue
        got = seen.get("returned")
        span = n + 2 * p - d * (k - 1) - 1
        if "returned" in seen and got == span // s + 1:
            hint = ("ceil_mode=True was ignored: round the division up (-(-span // stride)) in "
                    "ceil mode")
        elif "returned" in seen and got == -(-span // s) + 1:
            hint = ("in ceil mode the last window must start inside the input or the left "
                    "padding: if (out - 1) * stride >= size + padding, drop it (out -= 1)")
        else:
            hint = "with ceil_mode=True round the division up instead of down"
        expect(False, f"{hint}\n  pool_output_size({n}, {k}, stride={s}, padding={p}, "
                      f"dilation={d}, ceil_mode=True) {_got(seen)}, expected {want}")


def test_returns_plain_ints(observed):
    """returns Python ints, not floats or tensors"""
    hint = "use integer floor division // (the / operator gives a float)"
    expect(len(observed) == len(scenes.INT_ARGS), "not every call was observed")
    for args, (conv, pool) in zip(scenes.INT_ARGS, observed):
        for name, seen in (("conv_output_size", conv), ("pool_output_size", pool)):
            _expect_returned_type(seen, "int", f"{name}{args}", hint)


# --------------------------------------------------------------------------- output_shape


def _truth_shape(layers, input_shape):
    meta = copy.deepcopy(layers).to("meta").eval()
    with torch.no_grad():
        out = meta(torch.empty(input_shape, device="meta"))
    return tuple(int(d) for d in out.shape)


def _describe(layers):
    return "[" + ", ".join(repr(m) for m in layers) + "]"


def _check_shape(seen, layers, input_shape, hint):
    want = _truth_shape(layers, input_shape)
    if "raised" in seen:
        _explained(f"{hint}\n  output_shape raised ValueError on a valid network (PyTorch runs it "
                   f"and gives {want}): are the channels tracked right?", seen)
    _expect_returned_type(seen, "tuple", f"output_shape(..., {input_shape})",
                          "return a plain tuple of ints (tuple(...)), not a list or torch.Size")
    got = seen["returned"]
    expect(all(type(d) is int for d in got),
           f"output_shape returned {got!r}: every dimension should be a Python int")
    expect(got == want, f"{hint}\n  output_shape({_describe(layers)}, {input_shape}) returned "
                        f"{got}, expected {want}")


def _check_shapes(observed, cases, hint):
    expect(len(observed) == len(cases), "not every call was observed")
    for seen, (layers, shape) in zip(observed, cases):
        _check_shape(seen, layers, shape, hint)


def test_output_shape_of_a_small_cnn(observed):
    """tracks (N, C, H, W) through conv -> relu -> pool blocks and a linear head"""
    _check_shapes(observed, scenes.small_cnns(),
                  "a Conv2d changes the channels to out_channels and (H, W) by the conv formula; "
                  "a pool keeps the channels; Flatten gives (N, C*H*W); Linear gives "
                  "(N, out_features)")


def test_output_shape_non_square_settings(observed):
    """uses each layer's (H, W) settings separately"""
    layers = scenes.non_square_layers()
    _check_shapes(observed, [(layers, shape) for shape in scenes.NON_SQUARE_SHAPES],
                  "kernel_size, stride, padding and dilation are (H, W) pairs: use index 0 for "
                  "the height and index 1 for the width")


def test_output_shape_padding_strings(observed):
    """handles Conv2d(padding='same') and padding='valid'"""
    _check_shape(observed, scenes.padding_string_layers(), scenes.PADDING_STRINGS_SHAPE,
                 "padding='same' keeps (H, W) unchanged and padding='valid' means padding 0")


def test_output_shape_pool_settings(observed):
    """reads the pooling layers' stride, padding, dilation and ceil_mode"""
    layers = scenes.pool_settings_layers()
    _check_shapes(observed, [(layers, shape) for shape in scenes.POOL_SETTINGS_SHAPES],
                  "pass each pooling layer's kernel_size, stride, padding, dilation (AvgPool2d "
                  "has none: use 1) and ceil_mode to pool_output_size")


def test_output_shape_flatten_and_linear(observed):
    """handles Flatten's start_dim/end_dim and Linear on the last dimension"""
    _check_shapes(observed, scenes.flatten_and_linear_cases(),
                  "Flatten merges the dimensions from start_dim (default 1: keep the batch) to "
                  "end_dim (default -1) into one; Linear changes only the last dimension")


@pytest.mark.weight(2)
def test_output_shape_random_networks(observed):
    """matches running 30 random networks"""
    _check_shapes(observed, scenes.random_networks(),
                  "the shape after some layer is wrong: follow the shape layer by layer")


def test_output_shape_raises_on_mismatched_layers(observed):
    """raises ValueError when in_channels or in_features do not match"""
    cases = scenes.mismatched_cases()
    for (layers, shape), seen in zip(cases, observed):
        if "raised" in seen:
            continue
        expect(False, f"output_shape returned {seen['returned']!r} for layers that cannot run on "
                      f"{shape}: check that each Conv2d's in_channels (and each Linear's "
                      "in_features) matches what comes in, and raise ValueError if not\n"
                      f"  layers: {_describe(layers)}")
    expect(len(observed) == len(cases), "not every call was observed")


def test_output_shape_leaves_the_layers_alone(observed):
    """does not move or change the layers (no running them on another device)"""
    before = scenes.layers_to_leave_alone().state_dict()
    state = observed["state"]
    for k in [*before, *(k for k in state if k not in before)]:
        v = state.get(k)
        expect(k in before and type(v) is torch.Tensor and v.device.type == "cpu"
               and v.shape == before[k].shape and bool(torch.equal(v, before[k])),
               f"the layers were changed ({k!r} moved or modified): output_shape only reads the "
               "layers' settings; do not move them (.to('meta')) or change their weights")
    expect(observed["training"] is True,
           "the layers were switched to eval mode: output_shape must not change them")

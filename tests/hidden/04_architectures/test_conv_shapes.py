"""Hidden tests for 04_architectures/conv_shapes.

The oracle is PyTorch itself: real conv/pool ops run on `meta` tensors (shapes only, no data, so
no compute) over many seeded random configurations.
"""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.checks import expect, expect_type, explain, manual_seed

FORMULA = "out = (size + 2*padding - dilation*(kernel - 1) - 1) // stride + 1"


def _ri(g, lo, hi):
    """A random int in [lo, hi] from the generator g."""
    return int(torch.randint(lo, hi + 1, (1,), generator=g))


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


def _conv_configs(seed, count, *, stride=True, padding=True, dilation=True):
    g = torch.Generator().manual_seed(seed)
    out = []
    while len(out) < count:
        n, k = _ri(g, 1, 40), _ri(g, 1, 7)
        s = _ri(g, 1, 4) if stride else 1
        p = _ri(g, 0, 3) if padding else 0
        d = _ri(g, 1, 3) if dilation else 1
        want = _valid(_conv_truth, n, k, s, p, d)
        if want is not None:
            out.append(((n, k, s, p, d), want))
    return out


def _check_conv(kata, configs, hint):
    for (n, k, s, p, d), want in configs:
        got = kata.conv_output_size(n, k, stride=s, padding=p, dilation=d)
        expect(type(got) is int and got == want,
               f"{hint}\n  conv_output_size(size={n}, kernel={k}, stride={s}, padding={p}, "
               f"dilation={d}) returned {got!r}, expected {want} ({FORMULA})")


def test_conv_without_padding_or_stride(kata):
    """a plain convolution: size - kernel + 1"""
    configs = [((28, 3, 1, 0, 1), 26), ((5, 5, 1, 0, 1), 1), ((7, 1, 1, 0, 1), 7)]
    configs += _conv_configs(1, 30, stride=False, padding=False, dilation=False)
    _check_conv(kata, configs, "with stride 1 and no padding a kernel of size k fits size - k + 1 times")


def test_conv_padding_counts_on_both_sides(kata):
    """padding is added on both sides of the input"""
    configs = [((28, 3, 1, 1, 1), 28), ((10, 5, 1, 2, 1), 10), ((4, 3, 1, 3, 1), 8)]
    configs += _conv_configs(2, 40, stride=False, dilation=False)
    _check_conv(kata, configs, "padding is added on BOTH sides: the padded size is size + 2*padding")


def test_conv_stride_floors(kata):
    """a stride divides the positions, rounding down"""
    configs = [((28, 3, 2, 1, 1), 14), ((10, 3, 3, 0, 1), 3), ((11, 2, 2, 0, 1), 5)]
    configs += _conv_configs(3, 60, dilation=False)
    _check_conv(kata, configs, "with a stride, divide the span (size + 2*padding - kernel) by the stride "
                               "with floor division //, then add 1 (the first position)")


def test_conv_dilation(kata):
    """a dilated kernel spans dilation*(kernel-1)+1 inputs"""
    configs = [((10, 3, 1, 0, 2), 6), ((9, 3, 1, 0, 4), 1), ((12, 2, 2, 1, 3), 6)]
    configs += _conv_configs(4, 60, stride=False, padding=False)
    _check_conv(kata, configs, "dilation spreads the kernel's taps apart: a kernel of k taps with "
                               "dilation d covers d*(k-1)+1 inputs")


@pytest.mark.weight(2)
def test_conv_random_configurations(kata):
    """matches nn.functional.conv1d over 300 random configurations"""
    _check_conv(kata, _conv_configs(5, 300), "the output size is wrong for some combination of "
                                             "stride, padding and dilation")


def test_window_too_big_raises_value_error(kata):
    """raises ValueError when the kernel or window does not fit, and not at the edge case"""
    for call, args in [("conv_output_size", (2, 3)), ("conv_output_size", (4, 3, 1, 0, 2)),
                       ("pool_output_size", (2, 3)), ("pool_output_size", (5, 3, 1, 0, 3))]:
        try:
            got = getattr(kata, call)(*args)
        except ValueError:
            continue
        expect(False, f"{call}{args} returned {got!r}: the window does not fit in the padded input "
                      "even once, so raise ValueError instead of returning a size")
    for call, args, want in [("conv_output_size", (3, 3), 1), ("conv_output_size", (1, 3, 1, 1), 1),
                             ("pool_output_size", (2, 2), 1)]:
        with explain({r"ValueError": f"{call}{args} should be {want}: a window that fits exactly "
                                     "once is valid (only raise when the span is negative)"}):
            got = getattr(kata, call)(*args)
        expect(got == want, f"{call}{args} returned {got!r}, expected {want}")


def test_pool_stride_defaults_to_kernel(kata):
    """pooling's stride defaults to its kernel size"""
    for n, k in [(28, 2), (7, 2), (9, 3), (10, 3), (5, 5), (33, 4)]:
        want = _pool_truth(n, k)
        for got in (kata.pool_output_size(n, k), kata.pool_output_size(n, k, stride=None)):
            expect(type(got) is int and got == want,
                   f"pooling's stride defaults to the kernel size, not 1 (nn.MaxPool2d(2) halves the "
                   f"size): pool_output_size({n}, {k}) returned {got!r}, expected {want}")


def _pool_configs(seed, count, ceil):
    g = torch.Generator().manual_seed(seed)
    out = []
    while len(out) < count:
        n, k = _ri(g, 1, 30), _ri(g, 1, 6)
        s, d = _ri(g, 1, 4), _ri(g, 1, 2)
        p = _ri(g, 0, k // 2)
        want = _valid(_pool_truth, n, k, s, p, d, ceil)
        if want is not None:
            out.append(((n, k, s, p, d), want))
    return out


def test_pool_with_stride_padding_and_dilation(kata):
    """matches max_pool1d over random configurations (floor mode)"""
    for (n, k, s, p, d), want in _pool_configs(6, 150, False):
        got = kata.pool_output_size(n, k, stride=s, padding=p, dilation=d, ceil_mode=False)
        expect(type(got) is int and got == want,
               f"pooling uses the same formula as a convolution ({FORMULA}) with the stride given"
               f"\n  pool_output_size({n}, {k}, stride={s}, padding={p}, dilation={d}) returned "
               f"{got!r}, expected {want}")


@pytest.mark.weight(2)
def test_pool_ceil_mode(kata):
    """ceil_mode rounds up but never starts a window past the input"""
    configs = [((5, 2, 2, 0, 1), 3), ((6, 3, 2, 1, 1), 4), ((7, 3, 3, 1, 1), 3)]
    configs += _pool_configs(7, 150, True)
    for (n, k, s, p, d), want in configs:
        got = kata.pool_output_size(n, k, stride=s, padding=p, dilation=d, ceil_mode=True)
        if type(got) is int and got == want:
            continue
        span = n + 2 * p - d * (k - 1) - 1
        if got == span // s + 1:
            hint = "ceil_mode=True was ignored: round the division up (-(-span // stride)) in ceil mode"
        elif got == -(-span // s) + 1:
            hint = ("in ceil mode the last window must start inside the input or the left padding: "
                    "if (out - 1) * stride >= size + padding, drop it (out -= 1)")
        else:
            hint = "with ceil_mode=True round the division up instead of down"
        expect(False, f"{hint}\n  pool_output_size({n}, {k}, stride={s}, padding={p}, dilation={d}, "
                      f"ceil_mode=True) returned {got!r}, expected {want}")


def test_returns_plain_ints(kata):
    """returns Python ints, not floats or tensors"""
    for args in [(10, 3, 3), (7, 2, 2, 1), (28, 5, 1, 2)]:
        expect_type(kata.conv_output_size(*args), int, f"conv_output_size{args}",
                    hint="use integer floor division // (the / operator gives a float)")
        expect_type(kata.pool_output_size(*args), int, f"pool_output_size{args}",
                    hint="use integer floor division // (the / operator gives a float)")


# --------------------------------------------------------------------------- output_shape


def _truth_shape(layers, input_shape):
    meta = copy.deepcopy(layers).to("meta").eval()
    with torch.no_grad():
        out = meta(torch.empty(input_shape, device="meta"))
    return tuple(int(d) for d in out.shape)


def _check_shape(kata, layers, input_shape, hint):
    want = _truth_shape(layers, input_shape)
    with explain({r"ValueError": f"{hint}\n  output_shape raised ValueError on a valid network "
                                 f"(PyTorch runs it and gives {want}): are the channels tracked right?"}):
        got = kata.output_shape(layers, input_shape)
    expect_type(got, tuple, f"output_shape(..., {input_shape})",
                hint="return a plain tuple of ints (tuple(...)), not a list or torch.Size")
    expect(all(type(d) is int for d in got),
           f"output_shape returned {got!r}: every dimension should be a Python int")
    expect(got == want, f"{hint}\n  output_shape({_describe(layers)}, {input_shape}) returned "
                        f"{got}, expected {want}")


def _describe(layers):
    return "[" + ", ".join(repr(m) for m in layers) + "]"


def test_output_shape_of_a_small_cnn(kata):
    """tracks (N, C, H, W) through conv -> relu -> pool blocks and a linear head"""
    for n, size in [(2, 28), (5, 32), (1, 17)]:
        s1 = size // 2
        s2 = (s1 - 2) // 2
        layers = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                               nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                               nn.Flatten(), nn.Linear(16 * s2 * s2, 10))
        _check_shape(kata, layers, (n, 3, size, size),
                     "a Conv2d changes the channels to out_channels and (H, W) by the conv formula; "
                     "a pool keeps the channels; Flatten gives (N, C*H*W); Linear gives (N, out_features)")


def test_output_shape_non_square_settings(kata):
    """uses each layer's (H, W) settings separately"""
    layers = nn.Sequential(nn.Conv2d(2, 4, (3, 5), stride=(1, 2), padding=(2, 0), dilation=(1, 2)),
                           nn.MaxPool2d((2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
                           nn.AvgPool2d((3, 1), stride=(1, 2)))
    for shape in [(1, 2, 20, 31), (3, 2, 9, 40)]:
        _check_shape(kata, layers, shape,
                     "kernel_size, stride, padding and dilation are (H, W) pairs: use index 0 for the "
                     "height and index 1 for the width")


def test_output_shape_padding_strings(kata):
    """handles Conv2d(padding='same') and padding='valid'"""
    layers = nn.Sequential(nn.Conv2d(3, 6, 5, padding="same"), nn.Conv2d(6, 6, 3, padding="same", dilation=2),
                           nn.Conv2d(6, 2, 3, padding="valid"))
    with explain({r"str|string|unsupported operand|invalid literal":
                  "Conv2d's padding may be the string 'same' (output size = input size) or 'valid' "
                  "(no padding): handle those before doing arithmetic with it"}):
        _check_shape(kata, layers, (2, 3, 11, 14),
                     "padding='same' keeps (H, W) unchanged and padding='valid' means padding 0")


def test_output_shape_pool_settings(kata):
    """reads the pooling layers' stride, padding, dilation and ceil_mode"""
    layers = nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
                           nn.AvgPool2d(2, ceil_mode=True), nn.MaxPool2d(2, stride=1, dilation=2),
                           nn.AvgPool2d(3, stride=2, padding=1))
    for shape in [(1, 4, 30, 23), (2, 1, 17, 40)]:
        _check_shape(kata, layers, shape,
                     "pass each pooling layer's kernel_size, stride, padding, dilation (AvgPool2d has "
                     "none: use 1) and ceil_mode to pool_output_size")


def test_output_shape_flatten_and_linear(kata):
    """handles Flatten's start_dim/end_dim and Linear on the last dimension"""
    cases = [
        (nn.Sequential(nn.Flatten()), (4, 3, 5, 6)),
        (nn.Sequential(nn.Flatten(start_dim=2), nn.Linear(30, 7)), (4, 3, 5, 6)),
        (nn.Sequential(nn.Flatten(1, 2)), (2, 3, 5, 6)),
        (nn.Sequential(nn.Conv2d(3, 2, 1), nn.Flatten(0)), (4, 3, 5, 6)),
        (nn.Sequential(nn.Linear(6, 9), nn.ReLU(), nn.Linear(9, 2)), (4, 3, 5, 6)),
    ]
    for layers, shape in cases:
        _check_shape(kata, layers, shape,
                     "Flatten merges the dimensions from start_dim (default 1: keep the batch) to "
                     "end_dim (default -1) into one; Linear changes only the last dimension")


def _random_network(g, input_shape):
    """A random valid Sequential, built with the trusted meta run checking each layer."""
    layers, shape = [], input_shape
    for _ in range(_ri(g, 2, 6)):
        c, h, w = shape[1], shape[2], shape[3]
        kind = _ri(g, 0, 4)
        if kind <= 1:
            k = (_ri(g, 1, 5), _ri(g, 1, 5))
            layer = nn.Conv2d(c, _ri(g, 1, 6), k, stride=(_ri(g, 1, 3), _ri(g, 1, 3)),
                              padding=(_ri(g, 0, 2), _ri(g, 0, 2)), dilation=(_ri(g, 1, 2), 1))
        elif kind == 2:
            k = _ri(g, 1, 3)
            layer = nn.MaxPool2d(k, stride=_ri(g, 1, 3), padding=_ri(g, 0, k // 2),
                                 ceil_mode=bool(_ri(g, 0, 1)))
        elif kind == 3:
            layer = nn.AvgPool2d((_ri(g, 1, 3), _ri(g, 1, 3)))
        else:
            layer = [nn.ReLU(), nn.BatchNorm2d(c), nn.Dropout(0.1)][_ri(g, 0, 2)]
        trial = _valid(_truth_shape, nn.Sequential(layer), shape)
        if trial is not None and min(trial) >= 1:
            layers.append(layer)
            shape = trial
    if _ri(g, 0, 1):
        layers += [nn.Flatten(), nn.Linear(shape[1] * shape[2] * shape[3], _ri(g, 1, 10))]
    return nn.Sequential(*layers)


@pytest.mark.weight(2)
def test_output_shape_random_networks(kata):
    """matches running 30 random networks"""
    g = torch.Generator().manual_seed(8)
    for _ in range(30):
        shape = (_ri(g, 1, 4), _ri(g, 1, 4), _ri(g, 8, 40), _ri(g, 8, 40))
        _check_shape(kata, _random_network(g, shape), shape,
                     "the shape after some layer is wrong: follow the shape layer by layer")


def test_output_shape_raises_on_mismatched_layers(kata):
    """raises ValueError when in_channels or in_features do not match"""
    for layers, shape in [(nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(4, 8, 3)), (1, 3, 16, 16)),
                          (nn.Sequential(nn.Conv2d(1, 8, 3)), (2, 3, 16, 16)),
                          (nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(100, 3)), (2, 1, 8, 8))]:
        try:
            got = kata.output_shape(layers, shape)
        except ValueError:
            continue
        expect(False, f"output_shape returned {got!r} for layers that cannot run on {shape}: check "
                      f"that each Conv2d's in_channels (and each Linear's in_features) matches what comes "
                      f"in, and raise ValueError if not\n  layers: {_describe(layers)}")


def test_output_shape_leaves_the_layers_alone(kata):
    """does not move or change the layers (no running them on another device)"""
    manual_seed(9)
    layers = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 7 * 7, 5))
    layers.train()
    before = {k: v.clone() for k, v in layers.state_dict().items()}
    kata.output_shape(layers, (2, 3, 16, 16))
    for k, v in layers.state_dict().items():
        expect(v.device.type == "cpu" and v.shape == before[k].shape and bool(torch.equal(v, before[k])),
               f"the layers were changed ({k!r} moved or modified): output_shape only reads the "
               "layers' settings; do not move them (.to('meta')) or change their weights")
    expect(layers.training, "the layers were switched to eval mode: output_shape must not change them")

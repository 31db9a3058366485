"""Scenarios for 04_architectures/conv_shapes: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_conv_shapes.py, which rebuilds the inputs with the builders below and asks
PyTorch itself for the answers.

The random size configurations are drawn without asking PyTorch which of them are valid: each
scenario calls the submission on twice as many draws as its check keeps, and the check keeps the
first ones PyTorch can run. A call that raises ValueError is recorded, not raised: on a valid
configuration the check says so; on an invalid one that is the right answer."""

import copy

import torch
from torch import nn

from grader.checks import explain, manual_seed, type_name
from grader.observe import scenario

STRING_PADDING = {r"str|string|unsupported operand|invalid literal": (
    "Conv2d's padding may be the string 'same' (output size = input size) or 'valid' "
    "(no padding): handle those before doing arithmetic with it")}

# (size, kernel, stride, padding, dilation)
PLAIN_CONFIGS = [(28, 3, 1, 0, 1), (5, 5, 1, 0, 1), (7, 1, 1, 0, 1)]
PADDED_CONFIGS = [(28, 3, 1, 1, 1), (10, 5, 1, 2, 1), (4, 3, 1, 3, 1)]
STRIDED_CONFIGS = [(28, 3, 2, 1, 1), (10, 3, 3, 0, 1), (11, 2, 2, 0, 1)]
DILATED_CONFIGS = [(10, 3, 1, 0, 2), (9, 3, 1, 0, 4), (12, 2, 2, 1, 3)]
CEIL_CONFIGS = [(5, 2, 2, 0, 1), (6, 3, 2, 1, 1), (7, 3, 3, 1, 1)]

# (function, positional arguments)
WINDOW_TOO_BIG = [("conv_output_size", (2, 3)), ("conv_output_size", (4, 3, 1, 0, 2)),
                  ("pool_output_size", (2, 3)), ("pool_output_size", (5, 3, 1, 0, 3))]
WINDOW_AT_THE_EDGE = [("conv_output_size", (3, 3)), ("conv_output_size", (1, 3, 1, 1)),
                      ("pool_output_size", (2, 2))]
POOL_DEFAULT_STRIDE = [(28, 2), (7, 2), (9, 3), (10, 3), (5, 5), (33, 4)]
INT_ARGS = [(10, 3, 3), (7, 2, 2, 1), (28, 5, 1, 2)]

NON_SQUARE_SHAPES = [(1, 2, 20, 31), (3, 2, 9, 40)]
PADDING_STRINGS_SHAPE = (2, 3, 11, 14)
POOL_SETTINGS_SHAPES = [(1, 4, 30, 23), (2, 1, 17, 40)]
LEAVE_ALONE_SHAPE = (2, 3, 16, 16)


def _ri(g, lo, hi):
    """A random int in [lo, hi] from the generator g."""
    return int(torch.randint(lo, hi + 1, (1,), generator=g))


def conv_candidates(seed, draws, *, stride=True, padding=True, dilation=True):
    """`draws` random configurations; in some the kernel does not fit."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(draws):
        n, k = _ri(g, 1, 40), _ri(g, 1, 7)
        s = _ri(g, 1, 4) if stride else 1
        p = _ri(g, 0, 3) if padding else 0
        d = _ri(g, 1, 3) if dilation else 1
        out.append((n, k, s, p, d))
    return out


def pool_candidates(seed, draws):
    """`draws` random configurations; in some no window fits."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(draws):
        n, k = _ri(g, 1, 30), _ri(g, 1, 6)
        s, d = _ri(g, 1, 4), _ri(g, 1, 2)
        p = _ri(g, 0, k // 2)
        out.append((n, k, s, p, d))
    return out


# Each draws twice the random configurations its check keeps.
def plain_candidates():
    return conv_candidates(1, 60, stride=False, padding=False, dilation=False)


def padded_candidates():
    return conv_candidates(2, 80, stride=False, dilation=False)


def strided_candidates():
    return conv_candidates(3, 120, dilation=False)


def dilated_candidates():
    return conv_candidates(4, 120, stride=False, padding=False)


def random_candidates():
    return conv_candidates(5, 600)


def pool_floor_candidates():
    return pool_candidates(6, 300)


def pool_ceil_candidates():
    return pool_candidates(7, 300)


def small_cnns():
    """(layers, input shape): conv -> relu -> pool blocks and a linear head, three sizes."""
    cases = []
    for n, size in [(2, 28), (5, 32), (1, 17)]:
        s1 = size // 2
        s2 = (s1 - 2) // 2
        layers = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                               nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                               nn.Flatten(), nn.Linear(16 * s2 * s2, 10))
        cases.append((layers, (n, 3, size, size)))
    return cases


def non_square_layers():
    return nn.Sequential(
        nn.Conv2d(2, 4, (3, 5), stride=(1, 2), padding=(2, 0), dilation=(1, 2)),
        nn.MaxPool2d((2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
        nn.AvgPool2d((3, 1), stride=(1, 2)))


def padding_string_layers():
    return nn.Sequential(nn.Conv2d(3, 6, 5, padding="same"),
                         nn.Conv2d(6, 6, 3, padding="same", dilation=2),
                         nn.Conv2d(6, 2, 3, padding="valid"))


def pool_settings_layers():
    return nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
                         nn.AvgPool2d(2, ceil_mode=True), nn.MaxPool2d(2, stride=1, dilation=2),
                         nn.AvgPool2d(3, stride=2, padding=1))


def flatten_and_linear_cases():
    return [
        (nn.Sequential(nn.Flatten()), (4, 3, 5, 6)),
        (nn.Sequential(nn.Flatten(start_dim=2), nn.Linear(30, 7)), (4, 3, 5, 6)),
        (nn.Sequential(nn.Flatten(1, 2)), (2, 3, 5, 6)),
        (nn.Sequential(nn.Conv2d(3, 2, 1), nn.Flatten(0)), (4, 3, 5, 6)),
        (nn.Sequential(nn.Linear(6, 9), nn.ReLU(), nn.Linear(9, 2)), (4, 3, 5, 6)),
    ]


def _shape_after(layer, shape):
    """The shape `layer` gives on a meta tensor of `shape`, None if it cannot run. Building a
    random valid network needs it to pick each next layer (the checks ask PyTorch themselves)."""
    meta = copy.deepcopy(layer).to("meta").eval()
    try:
        with torch.no_grad():
            return tuple(int(d) for d in meta(torch.empty(shape, device="meta")).shape)
    except RuntimeError:
        return None


def _random_network(g, input_shape):
    """A random valid Sequential for `input_shape`, layer by layer."""
    layers, shape = [], input_shape
    for _ in range(_ri(g, 2, 6)):
        c = shape[1]
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
        trial = _shape_after(layer, shape)
        if trial is not None and min(trial) >= 1:
            layers.append(layer)
            shape = trial
    if _ri(g, 0, 1):
        layers += [nn.Flatten(), nn.Linear(shape[1] * shape[2] * shape[3], _ri(g, 1, 10))]
    return nn.Sequential(*layers)


def random_networks():
    """30 (layers, input shape) pairs."""
    g = torch.Generator().manual_seed(8)
    cases = []
    for _ in range(30):
        shape = (_ri(g, 1, 4), _ri(g, 1, 4), _ri(g, 8, 40), _ri(g, 8, 40))
        cases.append((_random_network(g, shape), shape))
    return cases


def mismatched_cases():
    """(layers, input shape) where a Conv2d's in_channels or a Linear's in_features is wrong."""
    return [(nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(4, 8, 3)), (1, 3, 16, 16)),
            (nn.Sequential(nn.Conv2d(1, 8, 3)), (2, 3, 16, 16)),
            (nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(100, 3)), (2, 1, 8, 8))]


def layers_to_leave_alone():
    manual_seed(9)
    layers = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                           nn.Linear(4 * 7 * 7, 5))
    return layers.train()


def _outcome(call, rules=None):
    """{"returned": what call() returned, "type": its type's name (a torch.Size or a numpy int
    arrives as something else)}, or for a ValueError (the documented error, which the checks
    judge) {"raised": its type, "message": its text}. Other errors fail as usual."""
    try:
        with explain(rules or {}):
            value = call()
    except ValueError as err:
        return {"raised": type(err).__name__, "message": str(err)[:500]}
    return {"returned": value, "type": type_name(value)}


def _conv_sizes(kata, configs):
    return [_outcome(lambda c=c: kata.conv_output_size(c[0], c[1], stride=c[2], padding=c[3],
                                                       dilation=c[4]))
            for c in configs]


def _pool_sizes(kata, configs, ceil_mode):
    return [_outcome(lambda c=c: kata.pool_output_size(c[0], c[1], stride=c[2], padding=c[3],
                                                       dilation=c[4], ceil_mode=ceil_mode))
            for c in configs]


def _shape(kata, layers, input_shape, rules=None):
    return _outcome(lambda: kata.output_shape(layers, input_shape), rules)


def _must_raise(kata, calls):
    """Outcomes up to the first call that returns (where the check stops)."""
    seen = []
    for call in calls:
        seen.append(_outcome(call))
        if "returned" in seen[-1]:
            break
    return seen


@scenario
def conv_without_padding_or_stride(kata):
    return _conv_sizes(kata, PLAIN_CONFIGS + plain_candidates())


@scenario
def conv_padding_counts_on_both_sides(kata):
    return _conv_sizes(kata, PADDED_CONFIGS + padded_candidates())


@scenario
def conv_stride_floors(kata):
    return _conv_sizes(kata, STRIDED_CONFIGS + strided_candidates())


@scenario
def conv_dilation(kata):
    return _conv_sizes(kata, DILATED_CONFIGS + dilated_candidates())


@scenario
def conv_random_configurations(kata):
    return _conv_sizes(kata, random_candidates())


@scenario
def window_too_big_raises_value_error(kata):
    too_big = _must_raise(kata, [lambda f=f, a=a: getattr(kata, f)(*a) for f, a in WINDOW_TOO_BIG])
    if "returned" in too_big[-1]:
        return {"too_big": too_big, "at_the_edge": []}
    return {"too_big": too_big,
            "at_the_edge": [_outcome(lambda f=f, a=a: getattr(kata, f)(*a))
                            for f, a in WINDOW_AT_THE_EDGE]}


@scenario
def pool_stride_defaults_to_kernel(kata):
    return [[_outcome(lambda: kata.pool_output_size(n, k)),
             _outcome(lambda: kata.pool_output_size(n, k, stride=None))]
            for n, k in POOL_DEFAULT_STRIDE]


@scenario
def pool_with_stride_padding_and_dilation(kata):
    return _pool_sizes(kata, pool_floor_candidates(), ceil_mode=False)


@scenario
def pool_ceil_mode(kata):
    return _pool_sizes(kata, CEIL_CONFIGS + pool_ceil_candidates(), ceil_mode=True)


@scenario
def returns_plain_ints(kata):
    return [[_outcome(lambda: kata.conv_output_size(*args)),
             _outcome(lambda: kata.pool_output_size(*args))] for args in INT_ARGS]


@scenario
def output_shape_of_a_small_cnn(kata):
    return [_shape(kata, layers, shape) for layers, shape in small_cnns()]


@scenario
def output_shape_non_square_settings(kata):
    return [_shape(kata, non_square_layers(), shape) for shape in NON_SQUARE_SHAPES]


@scenario
def output_shape_padding_strings(kata):
    return _shape(kata, padding_string_layers(), PADDING_STRINGS_SHAPE, STRING_PADDING)


@scenario
def output_shape_pool_settings(kata):
    return [_shape(kata, pool_settings_layers(), shape) for shape in POOL_SETTINGS_SHAPES]


@scenario
def output_shape_flatten_and_linear(kata):
    return [_shape(kata, layers, shape) for layers, shape in flatten_and_linear_cases()]


@scenario
def output_shape_random_networks(kata):
    return [_shape(kata, layers, shape) for layers, shape in random_networks()]


@scenario
def output_shape_raises_on_mismatched_layers(kata):
    return _must_raise(kata, [lambda layers=layers, shape=shape: kata.output_shape(layers, shape)
                              for layers, shape in mismatched_cases()])


@scenario
def output_shape_leaves_the_layers_alone(kata):
    layers = layers_to_leave_alone()
    kata.output_shape(layers, LEAVE_ALONE_SHAPE)
    return {"state": dict(layers.state_dict()), "training": layers.training}

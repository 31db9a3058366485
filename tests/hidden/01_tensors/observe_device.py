"""Scenarios for 01_tensors/device: they run beside the submission and only observe.

No expected value belongs here (this module is in the submission's process when grading); the
checks are in test_device.py, which rebuilds the inputs with the builders below. What to_device
returns is observed as a tree of nodes (`described`): containers keep their type's name, keys
and items, so a namedtuple or an OrderedDict crosses as data; each value also says which leaf
of the input it is, by identity, since "returned unchanged" means the very same object."""

from collections import OrderedDict, namedtuple

import torch

from grader.checks import explain, type_name
from grader.observe import scenario

Pair = namedtuple("Pair", ["inputs", "target"])

ERRORS = {
    r"missing \d+ required positional argument|takes \d+ positional argument"
    r"|expected \d+ arguments":
        "a namedtuple takes its fields as separate arguments: rebuild it with type(obj)(*items), "
        "not type(obj)(generator)",
    r"object has no attribute 'to'|object has no attribute 'items'":
        "only tensors have .to() (and only dicts .items()): return ints, strings, None and other "
        "leaves unchanged",
    r"Torch not compiled with CUDA|no NVIDIA driver|No CUDA GPUs":
        "the device was hard-coded ('cuda' or .cuda()): move tensors with .to(device), to the "
        "device you are given",
    r"RecursionError|maximum recursion depth":
        "infinite recursion: a string is a Sequence too, and each of its characters is again a "
        "string; treat only dicts, lists and tuples as containers",
}

PLAIN_LEAVES = (5, "text", None)
REPR_LIMIT = 500


def tensor(seed, shape=(2, 3), dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    if dtype.is_floating_point:
        return torch.randn(shape, generator=g).to(dtype)
    if dtype == torch.bool:
        return torch.rand(shape, generator=g) > 0.5
    return torch.randint(0, 100, shape, generator=g).to(dtype)


def batch():
    return {"x": tensor(2, (4, 3)), "ids": tensor(3, (4,), torch.int64)}


def nested():
    return {"batch": [{"x": tensor(4), "mask": tensor(5, dtype=torch.bool)},
                      {"x": tensor(6), "extra": [tensor(7, (5,)), [tensor(8, (1,))]]}],
            "weights": tensor(9, (2,), torch.float64)}


def lists_and_tuples():
    return [[(tensor(10), tensor(11, (3,), torch.int64)), [tensor(12)], ()],
            (tensor(13), [tensor(14)], (tensor(15), 3))]


def pair():
    return Pair(inputs=tensor(16, (4, 2)), target=tensor(17, (4,), torch.int64))


def pairs_in_a_dict():
    return {"train": [Pair(tensor(18), tensor(19, (2,)))], "epoch": 3}


def state_dict():
    return OrderedDict([("layer.weight", tensor(20, (3, 2))), ("layer.bias", tensor(21, (3,))),
                        ("steps", 7)])


def with_leaves():
    return {"n": 12, "lr": 0.5, "name": "run-1", "none": None, "flag": True,
            "words": ["a", "bc", "def"], "x": tensor(22)}


def leaves_of(node):
    """The values of `node` that are neither tensors nor containers, in walking order."""
    if isinstance(node, torch.Tensor):
        return []
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in leaves_of(value)]
    if isinstance(node, (list, tuple)):
        return [leaf for item in node for leaf in leaves_of(item)]
    return [node]


def leaf_index(leaves, value):
    """The position of `value` among `leaves`, by identity; None when it is none of them."""
    return next((i for i, leaf in enumerate(leaves) if value is leaf), None)


def _repr(value):
    try:
        return repr(value)[:REPR_LIMIT]
    except Exception:  # noqa: BLE001 - a returned object's repr may raise; it is only shown
        return f"<{type_name(value)}>"


def described(result, leaves):
    """`result` as a tree of nodes: its type's name, repr and input leaf index; a tensor as
    itself; a dict's keys and a dict's, list's or tuple's items described in turn."""
    node = {"type": type_name(result), "repr": _repr(result),
            "input_leaf": leaf_index(leaves, result)}
    if isinstance(result, torch.Tensor):
        node["tensor"] = result
    elif isinstance(result, dict):
        node["keys"] = list(result.keys())
        node["items"] = [described(value, leaves) for value in result.values()]
    elif isinstance(result, (list, tuple)):
        node["items"] = [described(item, leaves) for item in result]
    return node


def _call(kata, obj, device):
    with explain(ERRORS):
        return kata.to_device(obj, device)


def _moved(kata, obj, device):
    leaves = leaves_of(obj)
    return described(_call(kata, obj, device), leaves)


def _patch(monkeypatch, cuda, mps):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


@scenario
def best_device_order(kata, monkeypatch, cuda, mps):
    _patch(monkeypatch, cuda, mps)
    return kata.best_device()


@scenario
def best_device_on_this_machine(kata):
    return kata.best_device()


@scenario
def moves_a_single_tensor(kata, dtype):
    return _moved(kata, tensor(1, (3, 4), dtype), "meta")


@scenario
def moves_to_the_given_device(kata, device):
    obj = batch()
    return [_moved(kata, obj, device), _moved(kata, obj, torch.device(device))]


@scenario
def nested_structures(kata):
    return _moved(kata, nested(), "meta")


@scenario
def tuples_and_lists_keep_their_type(kata):
    return [_moved(kata, obj, "meta") for obj in lists_and_tuples()]


@scenario
def namedtuples(kata):
    return [_moved(kata, pair(), "meta"), _moved(kata, pairs_in_a_dict(), "meta")]


@scenario
def ordered_dict(kata):
    return _moved(kata, state_dict(), "meta")


@scenario
def leaves_that_are_not_tensors(kata):
    return {"dict": _moved(kata, with_leaves(), "meta"),
            "alone": [_moved(kata, leaf, "meta") for leaf in PLAIN_LEAVES]}


def callers_tensors():
    """The tensors of the caller's dict in `input_not_changed`."""
    return [tensor(23), tensor(24, (3,), torch.int64), tensor(25, (5,))]


@scenario
def input_not_changed(kata):
    x, y, z = callers_tensors()
    inner = [z, "tag"]
    obj = {"x": x, "pairs": [(y, 1)], "inner": inner}
    _call(kata, obj, "meta")
    # Whether the caller's containers still hold the very same objects: identity, seen here.
    return {"keys": list(obj), "inner_length": len(inner),
            "same_objects": [obj["x"] is x, obj["pairs"][0][0] is y, obj["inner"] is inner,
                             inner[0] is z],
            "tensors": [x, y, z]}

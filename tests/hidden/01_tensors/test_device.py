"""Hidden tests for 01_tensors/device."""

from collections import OrderedDict, namedtuple

import pytest
import torch

from grader.checks import assert_close, expect, expect_tensor, expect_type, explain, fail, type_name

Pair = namedtuple("Pair", ["inputs", "target"])

ERRORS = {
    r"missing \d+ required positional argument|takes \d+ positional argument|expected \d+ arguments":
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

NOT_MOVED = ("a tensor was not moved: tensor.to(device) is not in place, it returns the moved "
             "tensor; put that returned tensor into the result (and recurse into nested containers)")


def _tensor(seed, shape=(2, 3), dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    if dtype.is_floating_point:
        return torch.randn(shape, generator=g).to(dtype)
    if dtype == torch.bool:
        return torch.rand(shape, generator=g) > 0.5
    return torch.randint(0, 100, shape, generator=g).to(dtype)


def _call(kata, obj, device):
    with explain(ERRORS):
        return kata.to_device(obj, device)


def _same_structure(result, original, device, where="the result"):
    """Walk `original` and `result` together: same container types, tensors moved, leaves kept."""
    if isinstance(original, torch.Tensor):
        expect_tensor(result, where, hint=NOT_MOVED if isinstance(result, torch.Tensor) else
                      f"{where} should be the moved tensor")
        expect_tensor(result, where, device=device, hint=NOT_MOVED)
        expect_tensor(result, where, shape=tuple(original.shape), dtype=original.dtype,
                      hint="move tensors with .to(device) only: do not change their dtype or shape")
        if torch.device(device).type != "meta":
            assert_close(result, original.to(device), what=where,
                         hint="the values of a moved tensor changed: only move it")
        return
    if isinstance(original, (dict, list, tuple)):
        if type(result) is not type(original):
            fail(f"the container type changed at {where}: a {type_name(original)} became a "
                 f"{type_name(result)}. Rebuild each container with its own type (type(obj)(...); "
                 "a namedtuple as type(obj)(*items))")
        if isinstance(original, dict):
            expect(list(result.keys()) == list(original.keys()),
                   f"the keys at {where} changed: got {list(result.keys())}, expected "
                   f"{list(original.keys())}: keep every key, in order, even those whose value is "
                   "not a tensor")
            for key in original:
                _same_structure(result[key], original[key], device, f"{where}[{key!r}]")
        else:
            expect(len(result) == len(original),
                   f"{where} has {len(result)} items, expected {len(original)}: keep every item, "
                   "also those that are not tensors")
            for i, (r, o) in enumerate(zip(result, original)):
                _same_structure(r, o, device, f"{where}[{i}]")
        return
    if isinstance(original, str):
        expect(result is original,
               f"{where} is a string, which is a leaf: expected {original!r}, got {result!r}. A "
               "string is a Sequence too, but not a container to walk into: treat only dicts, "
               "lists and tuples as containers")
    expect(result is original,
           f"{where} is not a tensor and should be returned as it is: expected {original!r}, got "
           f"{result!r}")


def _patch(monkeypatch, cuda, mps):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


@pytest.mark.parametrize("cuda,mps,want", [
    (True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu"),
], ids=["cuda+mps", "cuda-only", "mps-only", "neither"])
def test_best_device_order(kata, monkeypatch, cuda, mps, want):
    """prefers CUDA, then MPS, then the CPU"""
    _patch(monkeypatch, cuda, mps)
    device = expect_type(kata.best_device(), torch.device, "best_device()",
                         hint="return a torch.device (torch.device('cuda')), not a string")
    expect(device.type == want,
           f"with CUDA {'available' if cuda else 'unavailable'} and MPS "
           f"{'available' if mps else 'unavailable'}, the best device is {want}, got {device}. "
           "Check torch.cuda.is_available() first, then torch.backends.mps.is_available() (call "
           "them: without () a function object is always true), and fall back to the CPU")


def test_best_device_on_this_machine(kata):
    """answers with what this machine really has"""
    device = expect_type(kata.best_device(), torch.device, "best_device()",
                         hint="return a torch.device, not a string")
    want = ("cuda" if torch.cuda.is_available() else
            "mps" if torch.backends.mps.is_available() else "cpu")
    expect(device.type == want, f"this machine's best device is {want}, got {device}: ask "
           "torch.cuda.is_available() and torch.backends.mps.is_available(), do not hard-code it")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool])
def test_moves_a_single_tensor(kata, dtype):
    """moves a lone tensor, keeping its dtype and shape"""
    x = _tensor(1, (3, 4), dtype)
    _same_structure(_call(kata, x, "meta"), x, "meta", "to_device(tensor)")


def test_moves_to_the_given_device(kata, device):
    """moves tensors to the device it is given (string or torch.device), values kept"""
    batch = {"x": _tensor(2, (4, 3)), "ids": _tensor(3, (4,), torch.int64)}
    _same_structure(_call(kata, batch, device), batch, device, "to_device(batch, device)")
    _same_structure(_call(kata, batch, torch.device(device)), batch, device,
                    "to_device(batch, torch.device(...))")


def test_nested_structures(kata):
    """moves tensors at any depth: dicts in lists in dicts"""
    obj = {"batch": [{"x": _tensor(4), "mask": _tensor(5, dtype=torch.bool)},
                     {"x": _tensor(6), "extra": [_tensor(7, (5,)), [_tensor(8, (1,))]]}],
           "weights": _tensor(9, (2,), torch.float64)}
    _same_structure(_call(kata, obj, "meta"), obj, "meta")


def test_tuples_and_lists_keep_their_type(kata):
    """keeps lists as lists and tuples as tuples"""
    obj = [(_tensor(10), _tensor(11, (3,), torch.int64)), [_tensor(12)], ()]
    _same_structure(_call(kata, obj, "meta"), obj, "meta")
    obj = (_tensor(13), [_tensor(14)], (_tensor(15), 3))
    _same_structure(_call(kata, obj, "meta"), obj, "meta")


def test_namedtuples(kata):
    """keeps a namedtuple a namedtuple, with its fields moved"""
    pair = Pair(inputs=_tensor(16, (4, 2)), target=_tensor(17, (4,), torch.int64))
    result = _call(kata, pair, "meta")
    _same_structure(result, pair, "meta", "to_device(Pair(...))")
    nested = {"train": [Pair(_tensor(18), _tensor(19, (2,)))], "epoch": 3}
    _same_structure(_call(kata, nested, "meta"), nested, "meta")


def test_ordered_dict(kata):
    """keeps an OrderedDict an OrderedDict, in order (like a state_dict)"""
    state = OrderedDict([("layer.weight", _tensor(20, (3, 2))), ("layer.bias", _tensor(21, (3,))),
                         ("steps", 7)])
    _same_structure(_call(kata, state, "meta"), state, "meta", "to_device(OrderedDict)")


def test_leaves_that_are_not_tensors(kata):
    """returns ints, floats, strings, None and other leaves unchanged"""
    obj = {"n": 12, "lr": 0.5, "name": "run-1", "none": None, "flag": True,
           "words": ["a", "bc", "def"], "x": _tensor(22)}
    _same_structure(_call(kata, obj, "meta"), obj, "meta")
    for leaf in (5, "text", None):
        expect(_call(kata, leaf, "meta") is leaf,
               f"to_device({leaf!r}) should return {leaf!r} unchanged: only tensors move")


def test_input_not_changed(kata):
    """leaves the caller's containers and tensors as they were"""
    x, y, z = _tensor(23), _tensor(24, (3,), torch.int64), _tensor(25, (5,))
    inner = [z, "tag"]
    obj = {"x": x, "pairs": [(y, 1)], "inner": inner}
    _call(kata, obj, "meta")
    expect(obj["x"] is x and obj["pairs"][0][0] is y and obj["inner"] is inner and inner[0] is z
           and list(obj) == ["x", "pairs", "inner"] and len(inner) == 2,
           "the input was changed: to_device must build new containers and leave the caller's "
           "dict and lists as they were (do not assign into them)")
    expect(x.device.type == "cpu" and y.device.type == "cpu" and z.device.type == "cpu",
           "a tensor of the input was moved in place: use the tensor that .to(device) returns")

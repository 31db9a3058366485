"""Hidden tests for 01_tensors/device: the checks. The scenarios are in observe_device.py."""

import pytest
import torch

from grader.checks import assert_close, expect, expect_tensor, expect_type, fail, type_name
from grader.observe import scenarios_of

scenes = scenarios_of(__file__)

NOT_MOVED = ("a tensor was not moved: tensor.to(device) is not in place, it returns the moved "
             "tensor; put that returned tensor into the result (and recurse into nested "
             "containers)")
MOVED_IN_PLACE = ("a tensor of the input was moved in place: use the tensor that .to(device) "
                  "returns")
SHORT_REPR = 80  # as grader.checks shows a value that has the wrong type


def _short(text):
    return text if len(text) <= SHORT_REPR else text[:SHORT_REPR - 3] + "..."


def _same_structure(node, original, device, leaves, where="the result"):
    """Walk `original` and the observed `node` together: same container types, tensors moved,
    leaves kept (the very objects of the input: `leaves`)."""
    if isinstance(original, torch.Tensor):
        if "tensor" not in node:
            fail(f"{where} should be the moved tensor\n  {where} should be a torch.Tensor, got a "
                 f"{node['type']}: {_short(node['repr'])}")
        result = expect_tensor(node["tensor"], where, hint=NOT_MOVED)
        expect_tensor(result, where, device=device, hint=NOT_MOVED)
        expect_tensor(result, where, shape=tuple(original.shape), dtype=original.dtype,
                      hint="move tensors with .to(device) only: do not change their dtype or shape")
        if torch.device(device).type != "meta":
            assert_close(result, original.to(device), what=where,
                         hint="the values of a moved tensor changed: only move it")
        return
    if isinstance(original, (dict, list, tuple)):
        if node["type"] != type_name(original):
            fail(f"the container type changed at {where}: a {type_name(original)} became a "
                 f"{node['type']}. Rebuild each container with its own type (type(obj)(...); "
                 "a namedtuple as type(obj)(*items))")
        if isinstance(original, dict):
            expect(node["keys"] == list(original.keys()),
                   f"the keys at {where} changed: got {node['keys']}, expected "
                   f"{list(original.keys())}: keep every key, in order, even those whose value is "
                   "not a tensor")
            for key, item in zip(original, node["items"], strict=True):
                _same_structure(item, original[key], device, leaves, f"{where}[{key!r}]")
        else:
            items = node["items"]
            expect(len(items) == len(original),
                   f"{where} has {len(items)} items, expected {len(original)}: keep every item, "
                   "also those that are not tensors")
            for i, (item, o) in enumerate(zip(items, original)):
                _same_structure(item, o, device, leaves, f"{where}[{i}]")
        return
    kept = node["input_leaf"] == scenes.leaf_index(leaves, original)
    if isinstance(original, str):
        expect(kept,
               f"{where} is a string, which is a leaf: expected {original!r}, got {node['repr']}. "
               "A string is a Sequence too, but not a container to walk into: treat only dicts, "
               "lists and tuples as containers")
    expect(kept,
           f"{where} is not a tensor and should be returned as it is: expected {original!r}, got "
           f"{node['repr']}")


def _check_moved(node, original, device, where="the result"):
    _same_structure(node, original, device, scenes.leaves_of(original), where)


@pytest.mark.parametrize("cuda,mps,want", [
    (True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu"),
], ids=["cuda+mps", "cuda-only", "mps-only", "neither"])
def test_best_device_order(observed, cuda, mps, want):
    """prefers CUDA, then MPS, then the CPU"""
    device = expect_type(observed, torch.device, "best_device()",
                         hint="return a torch.device (torch.device('cuda')), not a string")
    expect(device.type == want,
           f"with CUDA {'available' if cuda else 'unavailable'} and MPS "
           f"{'available' if mps else 'unavailable'}, the best device is {want}, got {device}. "
           "Check torch.cuda.is_available() first, then torch.backends.mps.is_available() (call "
           "them: without () a function object is always true), and fall back to the CPU")


def test_best_device_on_this_machine(observed):
    """answers with what this machine really has"""
    device = expect_type(observed, torch.device, "best_device()",
                         hint="return a torch.device, not a string")
    want = ("cuda" if torch.cuda.is_available() else
            "mps" if torch.backends.mps.is_available() else "cpu")
    expect(device.type == want, f"this machine's best device is {want}, got {device}: ask "
           "torch.cuda.is_available() and torch.backends.mps.is_available(), do not hard-code it")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool])
def test_moves_a_single_tensor(observed, dtype):
    """moves a lone tensor, keeping its dtype and shape"""
    _check_moved(observed, scenes.tensor(1, (3, 4), dtype), "meta", "to_device(tensor)")


def test_moves_to_the_given_device(observed, device):
    """moves tensors to the device it is given (string or torch.device), values kept"""
    batch = scenes.batch()
    _check_moved(observed[0], batch, device, "to_device(batch, device)")
    _check_moved(observed[1], batch, device, "to_device(batch, torch.device(...))")


def test_nested_structures(observed):
    """moves tensors at any depth: dicts in lists in dicts"""
    _check_moved(observed, scenes.nested(), "meta")


def test_tuples_and_lists_keep_their_type(observed):
    """keeps lists as lists and tuples as tuples"""
    for node, obj in zip(observed, scenes.lists_and_tuples(), strict=True):
        _check_moved(node, obj, "meta")


def test_namedtuples(observed):
    """keeps a namedtuple a namedtuple, with its fields moved"""
    _check_moved(observed[0], scenes.pair(), "meta", "to_device(Pair(...))")
    _check_moved(observed[1], scenes.pairs_in_a_dict(), "meta")


def test_ordered_dict(observed):
    """keeps an OrderedDict an OrderedDict, in order (like a state_dict)"""
    _check_moved(observed, scenes.state_dict(), "meta", "to_device(OrderedDict)")


def test_leaves_that_are_not_tensors(observed):
    """returns ints, floats, strings, None and other leaves unchanged"""
    _check_moved(observed["dict"], scenes.with_leaves(), "meta")
    for node, leaf in zip(observed["alone"], scenes.PLAIN_LEAVES, strict=True):
        expect(node["input_leaf"] == 0,
               f"to_device({leaf!r}) should return {leaf!r} unchanged: only tensors move")


def test_input_not_changed(observed):
    """leaves the caller's containers and tensors as they were"""
    same = observed["same_objects"]
    # The scenario tests 4 identities: obj['x'], obj['pairs'][0][0], obj['inner'], inner[0].
    expect(len(same) == 4 and all(s is True for s in same)
           and observed["keys"] == ["x", "pairs", "inner"] and observed["inner_length"] == 2,
           "the input was changed: to_device must build new containers and leave the caller's "
           "dict and lists as they were (do not assign into them)")
    tensors = observed["tensors"]
    originals = scenes.callers_tensors()
    expect(len(tensors) == len(originals)
           and all(type(t) is torch.Tensor and t.device.type == "cpu" for t in tensors),
           MOVED_IN_PLACE)
    for t, original in zip(tensors, originals, strict=True):
        assert_close(t, original, what="a tensor of the input after to_device",
                     hint=MOVED_IN_PLACE)

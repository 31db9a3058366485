"""Scenarios and observations: submission code and the checks never share a process.

A kata's hidden tests come in two files:

- `tests/hidden/<chapter>/observe_<name>.py` holds *scenarios*: functions decorated with
  `@scenario` that build inputs, call the submission (`kata.f(...)`) and return what they saw
  (tensors, numbers, strings, and lists, tuples and dicts of them). They hold no expected
  values: a scenario runs beside the submission, which can read anything in its process.
- `tests/hidden/<chapter>/test_<name>.py` holds the checks: `test_<scenario name>` asks for the
  `observed` fixture, gets what its scenario returned, rebuilds the inputs itself (from the same
  seeds, with the scenario module's builders) and compares.

A scenario's return value is packed when the scenario returns: clone a tensor that a later call
in the same scenario may change in place, if the check needs it as it was.

Under plain pytest a scenario runs in the test's own process, right when the check asks for it.
In a grading child the scenarios of each kata run in a separate, sandboxed process that holds
neither the result channel nor any check (grader.runner.doer); what crosses back is data only,
parsed as JSON and raw tensor bytes (no pickle) and checked for type here. Forging a pass then
means producing the right values: solving the kata.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import pickle
import struct
import sys
import types
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.checks import KataFailure, type_name

SCENARIO_PREFIX = "observe_"
# What a scenario may take besides the check test's own parameters.
PROVIDED = ("kata", "tmp_path", "monkeypatch")
MAX_DEPTH = 20
MAX_ITEMS = 100_000
_MARK = "__kata_scenario__"


def scenario(fn: Callable) -> Callable:
    """Mark `fn` as a scenario. Its arguments: `kata` (the submission's module, imported fresh),
    optionally `tmp_path` and `monkeypatch`, and any parameter of the check test of the same
    name (`device`, or those of its `@pytest.mark.parametrize`)."""
    setattr(fn, _MARK, True)
    return fn


def is_scenario(obj: Any) -> bool:
    return callable(obj) and getattr(obj, _MARK, False) is True


def scenario_path(test_file: Path) -> Path:
    """`.../test_<name>.py` -> `.../observe_<name>.py`."""
    return test_file.with_name(SCENARIO_PREFIX + test_file.name.removeprefix("test_"))


def scenario_name(test_name: str) -> str:
    return test_name.removeprefix("test_")


def load_scenarios(path: Path) -> types.ModuleType:
    """The scenario module at `path`, imported once per process and registered in sys.modules
    under its file's stem (its classes' `__module__` must resolve, for dataclasses and
    tracebacks); shared by the check module (`scenarios_of`), the observed fixture and the
    observer."""
    key = str(path.resolve())
    module = sys.modules.get(path.stem)
    if module is None or getattr(module, "__file__", None) != key:
        spec = importlib.util.spec_from_file_location(path.stem, key)
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
    return module


def find(module: types.ModuleType, name: str, where: str) -> Callable:
    fn = getattr(module, name, None)
    if not is_scenario(fn):
        raise LookupError(f"{where}: no @scenario named {name!r} in {module.__file__} "
                          f"(a check test_{name} needs a scenario of that name)")
    return fn


def arguments(fn: Callable) -> tuple[str, ...]:
    return tuple(inspect.signature(fn).parameters)


@dataclass(frozen=True)
class Request:
    """One scenario run: its name and the values of the check test's parameters it takes."""
    name: str
    params: tuple[tuple[str, Any], ...]

    @property
    def key(self) -> str:
        return self.name + "[" + ",".join(f"{k}={v!r}" for k, v in self.params) + "]"


def scenario_for(item: Any) -> tuple[Callable, Request]:
    """A check test's scenario (`test_<name>` -> `<name>` in the paired observe module) and the
    run it needs. LookupError when there is none or its parameters do not fit."""
    module = load_scenarios(scenario_path(Path(str(item.path))))
    name = scenario_name(getattr(item, "originalname", item.name))
    fn = find(module, name, item.nodeid)
    callspec = getattr(item, "callspec", None)
    return fn, request_for(fn, name, dict(callspec.params) if callspec else {})


def request_for(fn: Callable, name: str, callspec_params: dict[str, Any]) -> Request:
    wanted = [a for a in arguments(fn) if a not in PROVIDED]
    missing = [a for a in wanted if a not in callspec_params]
    if missing:
        raise LookupError(f"scenario {name!r} takes {', '.join(missing)}, which its check test "
                          "is not parametrized with")
    params = tuple((a, callspec_params[a]) for a in wanted)
    try:  # when grading, the parameters travel to the observer's worker by pickle
        pickle.dumps(params)
    except Exception as err:  # noqa: BLE001 - whatever pickling raised, the same advice
        raise LookupError(f"scenario {name!r}: its parameters cannot be sent to the process "
                          f"that runs the submission ({type(err).__name__}): parametrize with "
                          "names, numbers or dtypes and build objects in the scenario") from None
    return Request(name, params)


# ---------------------------------------------------------------------------------------------
# packing: what a scenario returned, as plain data


@dataclass(frozen=True)
class Opaque:
    """Something a scenario saw that is not plain data (the submission returned an object of its
    own): only its type's name crosses, so a check can say what came back."""
    type_name: str

    def __repr__(self) -> str:
        return f"<a {self.type_name}>"


# The wire format: `>I` (length of a JSON tree), the tree, then the tensors' bytes. Plain values
# are JSON values; everything else is a tagged list: ["list", [...]], ["tuple", [...]],
# ["dict", [[key, value], ...]], ["complex", re, im], ["bytes", blob], ["dtype", name],
# ["device", name], ["opaque", type name], ["tensor", dtype, shape, device, requires_grad, blob].
# No pickle: the checks' side parses JSON and copies bytes, nothing in the data can run code.
_HEAD = struct.Struct(">I")
_DEVICE_TYPES = ("cpu", "cuda", "meta")


def pack(value: Any) -> bytes:
    """`value` as plain data. Runs beside the submission: a convenience, not a defence (what
    matters is what `unpack` accepts)."""
    blobs: list[bytes] = []
    tree = json.dumps({"tree": _encode(value, blobs, 0), "blobs": [len(b) for b in blobs]})
    head = tree.encode()
    return _HEAD.pack(len(head)) + head + b"".join(blobs)


def _encode(value: Any, blobs: list[bytes], depth: int) -> Any:
    import torch

    if depth > MAX_DEPTH:
        return ["opaque", "structure nested too deep"]
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is complex:
        return ["complex", value.real, value.imag]
    if kind is bytes:
        blobs.append(value)
        return ["bytes", len(blobs) - 1]
    if kind in (torch.Tensor, torch.nn.Parameter) and value.layout == torch.strided:
        return _encode_tensor(value, blobs)
    if kind is torch.dtype:
        return ["dtype", str(value).removeprefix("torch.")]
    if kind is torch.device:
        return ["device", str(value)]
    if kind in (list, tuple, torch.Size):
        tag = "list" if kind is list else "tuple"
        return [tag, [_encode(v, blobs, depth + 1) for v in value]]
    if kind in (dict, OrderedDict) and all(type(k) in (str, int) for k in value):  # state_dict()
        return ["dict", [[k, _encode(v, blobs, depth + 1)] for k, v in value.items()]]
    return ["opaque", type_name(value)]


def _encode_tensor(tensor: Any, blobs: list[bytes]) -> list:
    import torch

    plain = tensor.detach()
    blob = -1
    if plain.device.type != "meta":
        flat = plain.resolve_conj().resolve_neg().cpu().contiguous().reshape(-1)
        blobs.append(flat.view(torch.uint8).numpy().tobytes())
        blob = len(blobs) - 1
    return ["tensor", str(plain.dtype).removeprefix("torch."), list(plain.shape),
            str(plain.device), bool(tensor.requires_grad), blob]


class BadObservation(ValueError):
    pass


def unpack(data: bytes) -> Any:
    """What a scenario sent, rebuilt from plain data only (the sender is untrusted): JSON and
    raw tensor bytes, every tag, dtype, shape and size checked."""
    try:
        (length,) = _HEAD.unpack_from(data)
        head = json.loads(data[_HEAD.size:_HEAD.size + length])
        sizes = head["blobs"]
        if type(sizes) is not list or not all(type(n) is int and n >= 0 for n in sizes):
            raise BadObservation("bad blob sizes")
        blobs, offset = [], _HEAD.size + length
        for size in sizes:
            blobs.append(data[offset:offset + size])
            offset += size
        if offset != len(data):
            raise BadObservation("the sizes do not add up")
        return _decode(head["tree"], blobs, 0, [0])
    except BadObservation:
        raise
    except Exception as err:  # noqa: BLE001 - whatever the bytes were, they are not data
        raise BadObservation(f"not an observation ({type(err).__name__})") from None


def _decode(node: Any, blobs: list[bytes], depth: int, count: list[int]) -> Any:
    count[0] += 1
    if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
        raise BadObservation("nested too deep or too large")
    kind = type(node)
    if node is None or kind in (bool, int, float, str):
        return node
    if kind is not list or not node or type(node[0]) is not str:
        raise BadObservation(f"an unexpected {kind.__name__}")
    tag, rest = node[0], node[1:]
    if tag in ("list", "tuple") and len(rest) == 1 and type(rest[0]) is list:
        items = [_decode(item, blobs, depth + 1, count) for item in rest[0]]
        return items if tag == "list" else tuple(items)
    if tag == "dict" and len(rest) == 1 and type(rest[0]) is list:
        pairs = rest[0]
        if not all(type(p) is list and len(p) == 2 and type(p[0]) in (str, int) for p in pairs):
            raise BadObservation("a malformed dict")
        return {key: _decode(value, blobs, depth + 1, count) for key, value in pairs}
    if tag == "complex" and len(rest) == 2 and all(type(x) in (int, float) for x in rest):
        return complex(rest[0], rest[1])
    if tag == "bytes" and len(rest) == 1:
        return _blob(blobs, rest[0])
    if tag == "dtype" and len(rest) == 1:
        return _dtype(rest[0])
    if tag == "device" and len(rest) == 1:
        return _device(rest[0])
    if tag == "opaque" and len(rest) == 1 and type(rest[0]) is str:
        return Opaque(rest[0][:200])
    if tag == "tensor" and len(rest) == 5:
        return _tensor(*rest, blobs)
    raise BadObservation(f"an unknown tag {tag[:40]!r}")


def _blob(blobs: list[bytes], index: Any) -> bytes:
    if type(index) is not int or not 0 <= index < len(blobs):
        raise BadObservation("a missing blob")
    return blobs[index]


def _dtype(name: Any) -> Any:
    import torch

    dtype = getattr(torch, name, None) if type(name) is str and name.isidentifier() else None
    if type(dtype) is not torch.dtype:
        raise BadObservation(f"an unknown dtype {str(name)[:40]!r}")
    return dtype


def _device(name: Any, holds_data: bool = False) -> Any:
    """A device as a value (any kind torch knows, "mps" included), or where a tensor crossing
    here is rebuilt (cpu, cuda or meta only)."""
    import torch

    try:
        device = torch.device(name) if type(name) is str else None
    except (RuntimeError, ValueError):
        device = None
    if device is None or (holds_data and device.type not in _DEVICE_TYPES):
        raise BadObservation(f"an unexpected device {str(name)[:40]!r}")
    return device


def _tensor(dtype_name: Any, shape: Any, device_name: Any, requires_grad: Any, blob: Any,
            blobs: list[bytes]) -> Any:
    import math

    import torch

    dtype, device = _dtype(dtype_name), _device(device_name, holds_data=True)
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape) \
            or type(requires_grad) is not bool:
        raise BadObservation("a malformed tensor")
    if device.type == "meta":
        tensor = torch.empty(shape, dtype=dtype, device="meta")
    else:
        data = _blob(blobs, blob)
        itemsize = torch.empty((), dtype=dtype).element_size()
        if len(data) != math.prod(shape) * itemsize:
            raise BadObservation("a tensor whose bytes do not match its shape")
        flat = torch.frombuffer(bytearray(data), dtype=torch.uint8) if data else \
            torch.empty(0, dtype=torch.uint8)
        tensor = flat.view(dtype).reshape(shape).to(device)
    if requires_grad and (dtype.is_floating_point or dtype.is_complex):
        tensor.requires_grad_(True)
    return tensor


# ---------------------------------------------------------------------------------------------
# running one scenario (in the test's process under plain pytest, in the doer when grading)


def call(fn: Callable, provided: dict[str, Any], request: Request,
         reset: Callable[[], None]) -> Any:
    """Run `fn` with its arguments. `reset` restores torch's global state after the kata is
    imported, so the scenario builds its inputs as the checks rebuild them, whatever the file
    does at import (the checks never see that state)."""
    kwargs = dict(request.params)
    for name in arguments(fn):
        if name in PROVIDED:
            kwargs[name] = provided[name]()
    reset()
    return fn(**kwargs)


def scenarios_of(check_file: str | Path) -> types.ModuleType:
    """For a check module: its scenario module, whose builders rebuild the inputs
    (`scenes = scenarios_of(__file__)`)."""
    return load_scenarios(scenario_path(Path(check_file)))


class ObservedFailure(KataFailure):
    """The scenario did not return: the submission raised, crashed, hung or exited. The message
    was written beside the submission (its own error, translated)."""

    def __init__(self, message: str, not_implemented: bool = False, timed_out: bool = False):
        super().__init__(message)
        self.kata_not_implemented = not_implemented
        self.kata_timed_out = timed_out


def attempt(kata: Any, fn: Callable, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """`{"value": fn(*args, **kwargs)}`, or `{"error": the grader's feedback for what it
    raised}`: a scenario that calls the submission several times keeps the error of a later
    call for the check to report where the test meets it, after the checks on what came
    before. The stub's NotImplementedError propagates (the test is not implemented)."""
    from grader import feedback

    try:
        return {"value": fn(*args, **kwargs)}
    except Exception as err:  # noqa: BLE001 - reported by the check, in the grader's words
        if feedback.is_stub_error(err):
            raise
        return {"error": feedback.message_for(err, Path(kata.__file__).parents[1])}

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
loaded with `torch.load(weights_only=True)` and checked for type here. Forging a pass then
means producing the right values: solving the kata.
"""

from __future__ import annotations

import importlib.util
import inspect
import io
import pickle
import sys
import types
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.checks import KataFailure

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


_MODULES: dict[str, types.ModuleType] = {}


def load_scenarios(path: Path) -> types.ModuleType:
    """The scenario module at `path`, imported once per process (under its file's stem, so that
    pickled objects of its classes, such as a probe's, resolve), shared by the check module
    (`scenarios_of`), the observed fixture and the observer."""
    key = str(path.resolve())
    module = _MODULES.get(key)
    if module is None:
        module = sys.modules.get(path.stem)
        if module is None or getattr(module, "__file__", None) != key:
            spec = importlib.util.spec_from_file_location(path.stem, key)
            module = importlib.util.module_from_spec(spec)
            sys.modules[path.stem] = module
            spec.loader.exec_module(module)
        _MODULES[key] = module
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


_OPAQUE_KEY = "__kata_opaque__"


def _plain(value: Any, depth: int = 0) -> Any:
    """`value` with every tensor detached and every object that is not plain data replaced by a
    marker naming its type. Runs beside the submission: a convenience, not a defence."""
    import torch

    if depth > MAX_DEPTH:
        return {_OPAQUE_KEY: "structure nested too deep"}
    kind = type(value)
    if value is None or kind in (bool, int, float, complex, str, bytes):
        return value
    if isinstance(value, torch.Tensor):
        if kind not in (torch.Tensor, torch.nn.Parameter):
            return {_OPAQUE_KEY: _type_name(value)}
        plain = value.detach()
        if plain.is_floating_point() or plain.is_complex():
            plain = plain.requires_grad_(value.requires_grad)
        return plain
    if kind in (torch.dtype, torch.device):
        return value
    if kind is torch.Size:
        return tuple(value)
    if kind in (list, tuple):
        return kind(_plain(v, depth + 1) for v in value)
    if kind in (dict, OrderedDict) and all(type(k) in (str, int) for k in value):  # state_dict()
        return {k: _plain(v, depth + 1) for k, v in value.items()}
    return {_OPAQUE_KEY: _type_name(value)}


def _type_name(value: Any) -> str:
    kind = type(value)
    module = getattr(kind, "__module__", "") or ""
    name = getattr(kind, "__qualname__", "object")
    return name if module == "builtins" else f"{module}.{name}"


def pack(value: Any) -> bytes:
    import torch

    buffer = io.BytesIO()
    torch.save(_plain(value), buffer)
    return buffer.getvalue()


class BadObservation(ValueError):
    pass


def unpack(data: bytes) -> Any:
    """Load what a scenario sent, accepting plain data only (the sender is untrusted)."""
    import torch

    try:
        value = torch.load(io.BytesIO(data), weights_only=True)
    except Exception as err:  # noqa: BLE001 - whatever the bytes were, they are not data
        raise BadObservation(f"not loadable as plain data ({type(err).__name__})") from None
    return _checked(value, 0, [0])


def _checked(value: Any, depth: int, count: list[int]) -> Any:
    import torch

    count[0] += 1
    if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
        raise BadObservation("nested too deep or too large")
    kind = type(value)
    if value is None or kind in (bool, int, float, complex, str, bytes, torch.dtype, torch.device):
        return value
    if kind is torch.Tensor:
        return value
    if kind in (list, tuple):
        return kind(_checked(v, depth + 1, count) for v in value)
    if kind is dict:
        if set(value) == {_OPAQUE_KEY} and type(value[_OPAQUE_KEY]) is str:
            return Opaque(value[_OPAQUE_KEY][:200])
        if not all(type(k) in (str, int) for k in value):
            raise BadObservation("a dict key that is not a str or int")
        return {k: _checked(v, depth + 1, count) for k, v in value.items()}
    raise BadObservation(f"a value of type {_type_name(value)}")


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

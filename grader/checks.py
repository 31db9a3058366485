"""Assertions that teach: tensor-aware comparisons whose failures name the likely mistake first.

Every check accepts only plain values of the expected type (an exact `torch.Tensor`, never a
subclass that could fake comparisons; an exact `float`, `int` or `bool`), so an object whose
`__eq__` or `__bool__` always says True cannot pass. The torch functions used here are captured
when this module is imported, before any submission is, so monkeypatching `torch.allclose` or
`torch.Tensor.__eq__` later does not change what these checks compute.

Messages read: the hint (the likely mistake, in a learner's words), then the facts:
shape, dtype, device and requires_grad mismatches first, then a summary of differing values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import torch

# Trusted references, captured before submission code runs.
_Tensor = torch.Tensor
_isclose = torch.isclose
_isfinite = torch.isfinite
_isnan = torch.isnan
_abs = torch.abs
_sub = torch.sub
_div = torch.div
_nonzero = torch.nonzero
_logical_not = torch.logical_not
_logical_and = torch.logical_and
_count = torch.count_nonzero
_clamp_min = torch.clamp_min
_amax = torch.amax
_float64 = torch.float64
_tolist = torch.Tensor.tolist
_item = torch.Tensor.item
_detach = torch.Tensor.detach
_to = torch.Tensor.to
_cpu = torch.Tensor.cpu
_equal = torch.equal
_default_generator = torch.default_generator

SMALL_TENSOR = 16  # tensors with at most this many elements are printed in full

# Default tolerances per dtype, looser for low precision.
_TOLERANCES = {
    torch.float16: (1e-3, 1e-3),
    torch.bfloat16: (1.6e-2, 1e-2),
    torch.float32: (1.3e-6, 1e-5),
    torch.float64: (1e-7, 1e-7),
}


class KataFailure(AssertionError):
    """A check failed; the message is the learner-facing feedback, nothing else."""

    __slots__ = ()


def manual_seed(value: int) -> None:
    """`torch.manual_seed` for tests: the same CPU stream, without the stack trace torch records
    on every call for each device type it might seed lazily later (a few ms a call, hundreds of
    calls a grading run). CUDA is seeded too where there is one."""
    _default_generator.manual_seed(value)
    if torch.cuda.device_count() > 0:
        torch.cuda.manual_seed_all(value)


def fail(message: str) -> None:
    raise KataFailure(message)


def _join(hint: str, detail: str) -> str:
    hint = hint.strip()
    return f"{hint}\n  {detail}" if hint else detail


def expect(condition: bool, message: str) -> None:
    """Fail with `message` unless `condition` is the bool True.

    Only a real bool is accepted: tests must compute conditions from trusted values, so a
    submission's object with a lying `__bool__` cannot reach here unnoticed.
    """
    if type(condition) is not bool:
        raise TypeError(f"expect() takes a bool, got {type(condition).__name__}: a test bug")
    if not condition:
        raise KataFailure(message)


def type_name(value: Any) -> str:
    kind = type(value)
    if kind.__module__ == "grader.observe" and kind.__name__ == "Opaque":
        return value.type_name  # what the submission returned, seen from the checks' process
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def expect_type(value: Any, expected: type | tuple[type, ...], what: str, hint: str = "") -> Any:
    """`value` must be exactly of type `expected` (no subclasses); returns it."""
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if type(value) not in kinds:
        names = " or ".join(k.__name__ for k in kinds)
        fail(_join(hint, f"{what} should be a {names}, got a {type_name(value)}: {_short_repr(value)}"))
    return value


def expect_tensor(value: Any, what: str, *, shape: tuple[int, ...] | None = None,
                  dtype: torch.dtype | None = None, device: torch.device | str | None = None,
                  requires_grad: bool | None = None, hint: str = "") -> torch.Tensor:
    """`value` must be a plain torch.Tensor with the given properties; returns it."""
    if type(value) is not _Tensor:
        if isinstance(value, _Tensor):
            fail(_join(hint, f"{what} should be a plain torch.Tensor, got the subclass "
                             f"{type_name(value)}: return an ordinary tensor"))
        fail(_join(hint, f"{what} should be a torch.Tensor, got a {type_name(value)}: "
                         f"{_short_repr(value)}"))
    problems = _property_mismatches(value, shape=shape, dtype=dtype, device=device,
                                    requires_grad=requires_grad)
    if problems:
        fail(_join(hint, f"{what}: " + "; ".join(problems)))
    return value


def _same_device(actual: torch.device, expected: torch.device) -> bool:
    if actual.type != expected.type:
        return False
    return expected.index is None or actual.index is None or actual.index == expected.index


def _property_mismatches(value: torch.Tensor, *, shape=None, dtype=None, device=None,
                         requires_grad=None) -> list[str]:
    problems = []
    if shape is not None and tuple(value.shape) != tuple(shape):
        problems.append(f"shape {_shape(value.shape)} but expected {_shape(shape)}")
    if dtype is not None and value.dtype != dtype:
        problems.append(f"dtype {value.dtype} but expected {dtype}")
    if device is not None and not _same_device(value.device, torch.device(device)):
        problems.append(f"on device '{value.device}' but expected '{torch.device(device)}'")
    if requires_grad is not None and value.requires_grad != requires_grad:
        problems.append(
            f"requires_grad={value.requires_grad} but expected requires_grad={requires_grad}"
        )
    return problems


def assert_close(actual: Any, expected: torch.Tensor, *, what: str = "the result", hint: str = "",
                 rtol: float | None = None, atol: float | None = None,
                 check_dtype: bool = True, check_device: bool = True,
                 check_requires_grad: bool = False, equal_nan: bool = False) -> None:
    """`actual` must be a plain tensor matching the trusted `expected` in shape, dtype, device
    (and requires_grad if asked), and close in value."""
    if type(expected) is not _Tensor:
        raise TypeError("assert_close: `expected` must be a trusted plain tensor (a test bug)")
    expect_tensor(
        actual, what, hint=hint,
        shape=tuple(expected.shape),
        dtype=expected.dtype if check_dtype else None,
        device=expected.device if check_device else None,
        requires_grad=expected.requires_grad if check_requires_grad else None,
    )
    if actual.device.type == "meta" or expected.device.type == "meta":
        return  # meta tensors have no values: properties were all there is to check
    default_rtol, default_atol = _TOLERANCES.get(expected.dtype, (0.0, 0.0))
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    a = _to(_cpu(_detach(actual)), _float64) if actual.is_floating_point() or expected.is_floating_point() else _cpu(_detach(actual))
    e = _to(_cpu(_detach(expected)), _float64) if actual.is_floating_point() or expected.is_floating_point() else _cpu(_detach(expected))
    if a.is_floating_point():
        close = _isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    else:
        close = a == e if a.dtype == e.dtype else _isclose(_to(a, _float64), _to(e, _float64))
    if a.dim() == 0:
        close = close.reshape(1)
    if bool(close.all()):
        return
    fail(_join(hint, f"{what} has wrong values: " + describe_difference(a, e, close)))


def describe_difference(actual: torch.Tensor, expected: torch.Tensor, close: torch.Tensor) -> str:
    """A summary of where two same-shaped CPU tensors differ: counts, max abs/rel difference,
    the first differing index, NaN/inf, and small tensors in full."""
    total = actual.numel()
    bad = int(_count(_logical_not(close)))
    parts = [f"{bad} of {total} element{'s' if total != 1 else ''} differ"]
    if actual.is_floating_point():
        nan_a, nan_e = int(_count(_isnan(actual))), int(_count(_isnan(expected)))
        inf_a = int(_count(_logical_and(_logical_not(_isfinite(actual)), _logical_not(_isnan(actual)))))
        if nan_a and not nan_e:
            parts.append(f"{nan_a} NaN value{'s' if nan_a != 1 else ''} in the result "
                         "(a division by zero, log of a negative number, or an exploding update?)")
        if inf_a:
            parts.append(f"{inf_a} infinite value{'s' if inf_a != 1 else ''} in the result")
        finite = _logical_and(_isfinite(actual), _isfinite(expected))
        if bool(finite.any()):
            diff = _abs(_sub(actual, expected))
            diff = diff.masked_fill(_logical_not(finite), 0.0)
            rel = _div(diff, _clamp_min(_abs(expected), 1e-12))
            rel = rel.masked_fill(_logical_not(finite), 0.0)
            parts.append(f"max abs diff {float(_amax(diff)):.3g}, max rel diff {float(_amax(rel)):.3g}")
    flat_bad = _nonzero(_logical_not(close).reshape(-1))
    if flat_bad.numel():
        first = int(flat_bad[0, 0]) if flat_bad.dim() == 2 else int(flat_bad[0])
        index = _unravel(first, tuple(actual.shape))
        got = _item(actual.reshape(-1)[first])
        want = _item(expected.reshape(-1)[first])
        parts.append(f"first at index {index}: got {_num(got)}, expected {_num(want)}")
    text = "; ".join(parts)
    if total <= SMALL_TENSOR:
        text += f"\n  got:      {_values(actual)}\n  expected: {_values(expected)}"
    return text


def assert_scalar_close(actual: Any, expected: float, *, what: str = "the result",
                        hint: str = "", rel: float = 1e-5, abs_tol: float = 1e-6) -> None:
    """`actual` must be a Python float (not a tensor) close to `expected`."""
    if isinstance(actual, _Tensor):
        fail(_join(hint, f"{what} should be a Python float, got a tensor: call .item() on it"))
    expect_type(actual, float, what, hint=hint)
    if math.isnan(actual):
        fail(_join(hint, f"{what} is NaN, expected {_num(expected)}"))
    if not math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_tol):
        fail(_join(hint, f"{what} is {_num(actual)}, expected {_num(expected)} "
                         f"(difference {_num(abs(actual - expected))})"))


def assert_equal_tensors(actual: torch.Tensor, expected: torch.Tensor, *, what: str, hint: str = "") -> None:
    """Bit-identical values (for determinism and resume checks)."""
    expect_tensor(actual, what, shape=tuple(expected.shape), dtype=expected.dtype, hint=hint)
    if not _equal(_cpu(_detach(actual)), _cpu(_detach(expected))):
        close = _cpu(_detach(actual)) == _cpu(_detach(expected))
        fail(_join(hint, f"{what} is not bit-identical: " + describe_difference(
            _to(_cpu(_detach(actual)), _float64), _to(_cpu(_detach(expected)), _float64), close)))


@contextmanager
def explain(rules: Mapping[str, str]) -> Iterator[None]:
    """Translate a known error raised by submission code into the mistake it usually means.

    `rules` maps a regular expression (searched in "ExceptionType: message") to the teaching
    message. An error that matches no rule propagates unchanged (the grader still reports it with
    its type, message and line). NotImplementedError always propagates: it means "not done yet".

        with explain({r"leaf Variable that requires grad": "wrap the update in torch.no_grad()"}):
            kata.sgd_step(params, lr=0.1)
    """
    from grader.feedback import is_stub_error

    try:
        yield
    except Exception as err:  # noqa: BLE001 - only to translate; unmatched errors re-raise
        if is_stub_error(err):
            raise  # the stub's "not implemented yet": not a mistake to translate
        text = f"{type(err).__name__}: {err}"
        for pattern, message in rules.items():
            if re.search(pattern, text):
                raise KataFailure(f"{message}\n  (your code raised {text[:300]})") from err
        raise


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    index = []
    for size in reversed(shape):
        index.append(flat % size)
        flat //= size
    return tuple(reversed(index))


def _shape(shape) -> str:
    dims = tuple(int(d) for d in shape)
    return "(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")"


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def _values(tensor: torch.Tensor) -> str:
    values = _tolist(tensor)

    def fmt(v):
        if isinstance(v, list):
            return "[" + ", ".join(fmt(x) for x in v) + "]"
        return _num(v)

    return fmt(values)


def _short_repr(value: Any, limit: int = 80) -> str:
    try:
        text = object.__repr__(value) if not isinstance(value, (int, float, str, bool, type(None), tuple, list, dict)) else repr(value)
    except Exception:  # noqa: BLE001 - a submission's repr may raise; that is not the test's failure
        text = f"<{type_name(value)}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."

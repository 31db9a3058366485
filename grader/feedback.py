"""From a failed test to the sentence a learner needs.

A check in a test (`grader.checks`) already fails with a teaching message. Anything else that
escapes a test is usually an error PyTorch raised inside the learner's code; the table below
names the mistake that typically causes each of those errors, so that a RuntimeError deep in
autograd reads as "you changed a parameter in place while autograd was recording".

Pure functions of an exception: used by the pytest plugin (for learners) and the grading child.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

MAX_MESSAGE = 1200

# (pattern searched in "ExceptionType: message", what it usually means)
COMMON_ERRORS: tuple[tuple[str, str], ...] = (
    (r"leaf Variable that requires grad is being used in an in-place operation",
     "a tensor that requires grad was changed in place while autograd was recording: "
     "do such updates inside torch.no_grad()"),
    (r"modified by an inplace operation",
     "an in-place operation overwrote a tensor that autograd still needed for backward: "
     "use the out-of-place form (y = y + x rather than y += x)"),
    (r"Expected all tensors to be on the same device|must be on the same device|"
     r"Expected .* to be on .* device|found at least two devices|is not on the expected device",
     "tensors on different devices were combined: create new tensors on the input's device "
     "(device=x.device, torch.zeros_like(x)) and move inputs with .to(device); never hard-code 'cuda' or 'cpu'"),
    (r"mat1 and mat2 shapes cannot be multiplied|size mismatch, m1|shapes cannot be multiplied",
     "a matrix product got incompatible shapes: check the feature sizes and transposes "
     "(nn.Linear computes x @ weight.T)"),
    (r"does not require grad and does not have a grad_fn|element \d+ of tensors does not require grad",
     "backward() was called on something outside the autograd graph: it was computed under "
     "torch.no_grad(), detached, or from inputs that do not require grad"),
    (r"Trying to backward through the graph a second time",
     "the graph was freed by the first backward(): pass retain_graph=True to the backward() "
     "calls that are followed by another one"),
    (r"grad can be implicitly created only for (real )?scalar outputs",
     "backward() without arguments needs a scalar: reduce to one number first (.sum() or .mean())"),
    (r"Can't call numpy\(\) on Tensor that requires grad",
     "a tensor that requires grad cannot become a NumPy array directly: call .detach() first"),
    (r"can't convert (cuda|mps|meta).* to numpy|convert .*device type tensor to numpy",
     "only CPU tensors convert to NumPy: call .cpu() before .numpy()"),
    (r"unsupported operand type\(s\) for .*NoneType|'NoneType' object has no attribute",
     "a value was None where a tensor was expected: a parameter that took no part in the loss "
     "has .grad None (skip it), and a function that forgets to `return` gives None"),
    (r"Weights only load failed|weights_only",
     "torch.load(..., weights_only=True) loads only tensors and plain containers: save "
     "state_dict()s and numbers, not whole modules or optimizers"),
    (r"Missing key\(s\) in state_dict|Unexpected key\(s\) in state_dict",
     "the saved keys do not match the model's: save and load model.state_dict(), with the same "
     "module names"),
    (r"size mismatch for",
     "a saved tensor's shape does not match the model's parameter: the architecture differs "
     "from the one that was saved"),
    (r"The size of tensor a \(\d+\) must match the size of tensor b",
     "two tensors' shapes do not broadcast: check which dimension you reduced or transposed"),
    (r"view size is not compatible with input tensor's size and stride",
     "the tensor is not contiguous (after a transpose or permute): use .reshape(), "
     "or .contiguous() before .view()"),
    (r"Dimension out of range",
     "a dim index is out of range for this tensor's number of dimensions: use negative dims "
     "(dim=-1) for 'the last one'"),
    (r"Inference tensors cannot be saved for backward|Inference tensors do not track version",
     "a tensor made under torch.inference_mode() was used with autograd: use torch.no_grad() "
     "where the result may later need gradients"),
    (r"expected scalar type|expected (m1|mat1) and (m2|mat2) to have the same dtype|"
     r"Input type .* and weight type .* should be the same|same dtype",
     "tensors of different dtypes were combined: create new tensors with dtype=x.dtype "
     "(or use *_like) and move inputs with .to(dtype)"),
    (r"can't allocate memory|not enough memory|out of memory|MemoryError",
     "ran out of memory: a tensor far larger than needed? Check the shapes you create"),
    (r"NotImplementedError: .*not implemented for '",
     "an operation got a dtype it does not support (integer class indices where floats were "
     "expected, or the reverse?): check the dtypes and the order of the arguments"),
    (r"RecursionError|maximum recursion depth", "infinite recursion: check the recursive call reaches a base case"),
)


def explain(exc_type: str, message: str) -> str | None:
    text = f"{exc_type}: {message}"
    for pattern, meaning in COMMON_ERRORS:
        if re.search(pattern, text):
            return meaning
    return None


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def submission_location(tb, submission: Path | None) -> str | None:
    """`file.py line N: code` of the innermost frame inside the submission, if any."""
    if submission is None or tb is None:
        return None
    prefix = str(submission).rstrip("/") + "/"  # the kata files are loaded from this exact path
    found = None
    for frame, lineno in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        if filename.startswith(prefix):
            found = (filename[len(prefix):], lineno)
    if found is None:
        return None
    rel, lineno = found
    try:
        code = (submission / rel).read_text(encoding="utf-8").splitlines()[lineno - 1].strip()
    except (OSError, IndexError, UnicodeDecodeError):
        code = ""
    return f"{rel} line {lineno}" + (f": {code}" if code else "")


TIMED_OUT = "the test ran past its time limit: an infinite loop, or far more work than needed?"


def is_timeout(exc: BaseException) -> bool:
    """pytest-timeout stopped the test (its failure message starts so)."""
    return _is_pytest_outcome(exc) and safe_str(exc).startswith("Timeout (>")


def message_for(exc: BaseException, submission: Path | None) -> str:
    """The feedback for an exception that escaped a test."""
    from grader.checks import KataFailure  # checks imports torch; feedback users already have it

    if isinstance(exc, KataFailure):
        return truncate(str(exc))
    if _is_pytest_outcome(exc):  # pytest.fail() from the kata fixture or pytest-timeout
        text = safe_str(exc)
        if is_timeout(exc):
            return f"{TIMED_OUT} ({first_line(text)})"
        return truncate(text)
    exc_type = type(exc).__name__
    raw = safe_str(exc)
    if isinstance(exc, AssertionError):
        # A plain assert in a test: keep the message, drop pytest's introspection lines.
        kept = raw.split("\nassert ")[0].strip()
        return truncate(kept or "a check failed")
    where = submission_location(exc.__traceback__, submission)
    at = f" (at {where})" if where else ""
    if is_stub_error(exc):
        if "not implemented" in raw.lower():
            return truncate(raw)  # the stub's own message names the kata and the function
        return truncate(f"not implemented yet: {raw or 'fill in the TODO'}{at}")
    meaning = explain(exc_type, raw)
    raised = f"{exc_type}: {first_line(raw)}"
    if meaning:
        return truncate(f"{meaning}\n  (your code raised {raised}{at})")
    return truncate(f"your code raised {raised}{at}")


def is_stub_error(exc: BaseException) -> bool:
    """The stub's own NotImplementedError ("not done yet"), as opposed to one torch raises for
    an unsupported dtype ("not implemented for 'Long'"), which is a real mistake."""
    if type(exc).__module__ == "grader.observe":  # ObservedFailure: the scenario's verdict
        return exc.kata_not_implemented is True
    if not isinstance(exc, NotImplementedError):
        return False
    text = safe_str(exc)
    return not text or "is not implemented yet" in text or "not implemented for '" not in text


def _is_pytest_outcome(exc: BaseException) -> bool:
    import pytest

    return isinstance(exc, pytest.fail.Exception)


def safe_str(exc: BaseException) -> str:
    """str(exc), or "<unprintable>" if the submission's __str__ raises or returns a non-str."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a hostile __str__
        return "<unprintable>"
    return text if type(text) is str else "<unprintable>"


def truncate(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 15] + "... (truncated)"

"""What the exported notebooks run in their kernel: standard library only, no torch.

A kata notebook (see `nbgrader_export`) has a read-only setup cell, the learner's solution cell
and a read-only test cell. The test cell calls `grade_kata_cell`, which

1. takes the solution cell's source: while nbgrader autogrades (NBGRADER_EXECUTION is set), from
   the notebook file being executed, the cell found by its nbgrader `grade_id` - exactly what was
   submitted, whatever the kernel's state and even if a marker line was deleted; interactively,
   the source last run in this kernel for that cell (JupyterLab sends the cell id with each run),
   else the saved notebook file;
2. writes it as `<chapter>/<name>.py` in a temporary submission folder, next to a one-kata
   temporary kit (katas.toml and the tests embedded in the test cell);
3. runs `python -m grader grade ... --format json` on it in a separate process, so the kata's
   tests run with the grader's own isolation and scoring, out of reach of anything the learner's
   code did in this kernel (a patched torch.allclose, say), and with its output captured: nothing
   reaches this cell's stderr, which nbgrader would count as a failure;
4. prints the result on stdout and returns the points earned, the cell's last expression, which
   nbgrader takes as partial credit.

`setup_kernel` (the setup cell) makes `os._exit()`, `os.abort()` and `os.kill()` of the kernel
itself raise in the kernel's main thread instead of ending it. Without that, nbgrader 0.9 loses
the kernel, stops autograding that student's assignment (DeadKernelError), deletes its autograded
folder and leaves the notebook at 0 "needs manual grade" with the reason only in its log. The
grading process still sees the real call, so such code scores 0 with the grader's reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

# Taken at import (the setup cell, before any learner code runs), so a later patch of these
# module attributes in the kernel does not reach the grading.
_run = subprocess.run
_TimeoutExpired = subprocess.TimeoutExpired
_loads = json.loads
_dumps = json.dumps
_mkdtemp = tempfile.mkdtemp
_rmtree = shutil.rmtree
_real_exit = os._exit
_real_abort = os.abort
_real_kill = os.kill
_real_killpg = os.killpg

GRADER_ROOT = str(Path(__file__).resolve().parent.parent.parent)
PUBLIC = "public"
MAX_FAILURES_SHOWN = 6
MAX_MESSAGE_LINES = 8
_recorded: dict[str, str] = {}  # solution cell id -> source last run in this kernel


class KernelExitRefused(RuntimeError):
    """os._exit()/os.abort() called in the notebook's kernel."""


def setup_kernel() -> None:
    """Called by the setup cell; idempotent."""
    if getattr(os._exit, "_kata_guard", False):
        return

    def refuse(name, real):
        def guarded(*args, **kwargs):
            if threading.current_thread() is not threading.main_thread():
                return real(*args, **kwargs)  # the kernel's own machinery (parent poller)
            raise KernelExitRefused(
                f"{name}() was called: it would end this notebook's kernel, so it was refused "
                "here. When your code is graded it ends the grading process: 0 points.")
        guarded._kata_guard = True
        return guarded

    os._exit = refuse("os._exit", _real_exit)
    os.abort = refuse("os.abort", _real_abort)
    refuse_kill = refuse("os.kill", _real_kill)
    refuse_killpg = refuse("os.killpg", _real_killpg)

    def kill(pid, sig, *args, **kwargs):
        if pid in (0, os.getpid()) and sig:
            return refuse_kill(pid, sig)
        return _real_kill(pid, sig, *args, **kwargs)

    def killpg(pgid, sig, *args, **kwargs):
        if pgid in (0, os.getpgrp()) and sig:
            return refuse_killpg(pgid, sig)
        return _real_killpg(pgid, sig, *args, **kwargs)

    os.kill, os.killpg = kill, killpg
    try:
        import posix

        posix._exit, posix.abort, posix.kill, posix.killpg = os._exit, os.abort, kill, killpg
    except (ImportError, AttributeError, TypeError):
        pass
    shell = _ipython()
    if shell is not None:
        try:
            shell.events.register("post_run_cell", _record_cell)
        except Exception:  # noqa: BLE001 - recording is a convenience for interactive use
            pass


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _record_cell(result) -> None:
    info = getattr(result, "info", None)
    cell_id = getattr(info, "cell_id", None)
    if cell_id and isinstance(getattr(info, "raw_cell", None), str):
        _recorded[cell_id] = info.raw_cell


# ---------------------------------------------------------------------------------------------


def grade_kata_cell(kata_id: str, *, points: float, timeout: int, tests: str, notebook: str,
                    cell: str, public_tests: str = "", scenarios: str = "") -> float:
    """Grade the solution cell `cell` (its nbgrader grade_id and cell id) of `notebook` with
    `tests` (test module source) and return the points earned. Never raises, never writes to
    stderr: a problem is printed on stdout and scores 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if tests == PUBLIC:
                tests = public_tests
                print("Running the public tests (the full tests run when your notebook is graded).")
            source, origin = _solution_source(notebook, cell)
            if source is None:
                print(f"{kata_id}: 0/{points:g} points: {origin}")
                return 0.0
            report, problem = _grade(kata_id, source, tests, scenarios, timeout)
            if problem:
                print(f"{kata_id}: 0/{points:g} points: {problem}")
                return 0.0
            return _show(kata_id, report, points, origin)
        except Exception as err:  # noqa: BLE001 - a bug here must not look like a stderr failure
            print(f"{kata_id}: 0/{points:g} points: the grading cell failed: "
                  f"{type(err).__name__}: {err}")
            return 0.0


def _solution_source(notebook: str, cell: str) -> tuple[str | None, str]:
    autograding = bool(os.environ.get("NBGRADER_EXECUTION"))
    if not autograding and cell in _recorded:
        return _recorded[cell], "the code last run in the solution cell"
    path = Path(notebook)
    if not path.is_file():
        return None, (f"cannot find the notebook {notebook} in {Path.cwd()} to read the solution "
                      "cell from: keep its name, and run the solution cell first")
    try:
        nb = _loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return None, f"cannot read {notebook}: {err}"
    for item in nb.get("cells", []):
        meta = (item.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("grade_id") == cell and item.get("cell_type") == "code":
            source = item.get("source", "")
            if isinstance(source, list):
                source = "".join(source)
            where = "the solution cell" if autograding else f"the solution cell as saved in {notebook}"
            return source, where
    return None, (f"{notebook} has no solution cell {cell!r} any more: restore it "
                  "(the cell with your code must keep its nbgrader metadata)")


def python_file(source: str) -> str:
    """The cell's source as a Python file: IPython-only lines (`%magic`, `!shell`) at the top
    level become comments, so one stray `%timeit` does not cost the whole kata."""
    lines = []
    for line in source.splitlines():
        if line[:1] in ("%", "!"):
            line = "# (IPython-only line, not graded) " + line
        lines.append(line)
    return "\n".join(lines) + "\n"


def _grade(kata_id: str, source: str, tests: str, scenarios: str,
           timeout: int) -> tuple[dict | None, str]:
    chapter, name = kata_id.split("/")
    work = Path(_mkdtemp(prefix="kata-nb-"))
    try:
        kit = work / "kit"
        (kit / "tests" / "hidden" / chapter).mkdir(parents=True)
        (kit / "tests" / "hidden" / chapter / f"test_{name}.py").write_text(tests, encoding="utf-8")
        if scenarios:  # the hidden tests' scenarios (the public tests have none)
            (kit / "tests" / "hidden" / chapter / f"observe_{name}.py").write_text(
                scenarios, encoding="utf-8")
        (kit / "katas.toml").write_text(
            "format = 1\n\n[[kata]]\n"
            f"id = {_dumps(kata_id)}\ntitle = {_dumps(kata_id)}\ntopic = \"notebook\"\n"
            f"points = 1\nhints = [\"see the notebook\"]\ntimeout = {int(timeout)}\n",
            encoding="utf-8")
        submission = work / "submission"
        (submission / chapter).mkdir(parents=True)
        (submission / chapter / f"{name}.py").write_text(python_file(source), encoding="utf-8")
        boot = (f"import sys; sys.path.insert(0, {GRADER_ROOT!r}); "
                "from grader.cli import main; sys.exit(main())")
        command = [sys.executable, "-I", "-W", "ignore", "-c", boot,
                   "--manifest", str(kit / "katas.toml"), "grade", str(submission),
                   "--kata", kata_id, "--format", "json", "--jobs", "1"]
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        try:
            done = _run(command, cwd=work, env=env, stdin=subprocess.DEVNULL,
                        capture_output=True, text=True, timeout=int(timeout) + 60)
        except _TimeoutExpired:
            return None, f"the grader did not finish within {int(timeout) + 60} s"
        try:
            report = _loads(done.stdout)
            return report["katas"][0], ""
        except (ValueError, KeyError, IndexError, TypeError):
            tail = (done.stderr or done.stdout or "").strip().splitlines()[-3:]
            return None, (f"the grader could not run (exit status {done.returncode}): "
                          + " / ".join(tail))
    finally:
        _rmtree(work, ignore_errors=True)


def earned(kata: dict, points: float) -> float:
    """The kata's points earned out of `points`: the grader's share of passed test weight among the
    tests gradable here (tests that need CUDA on a machine without it count for neither side,
    so a perfect solution earns all the points), 0 if the grading process failed."""
    if kata.get("error"):
        return 0.0
    gradable = [t for t in kata.get("tests", []) if t.get("outcome") != "not_gradable"]
    total = sum(float(t.get("weight", 1.0)) for t in gradable)
    if total <= 0:
        return 0.0
    passed = sum(float(t.get("weight", 1.0)) for t in gradable if t.get("outcome") == "passed")
    return min(float(points), max(0.0, round(points * passed / total, 2)))


def _show(kata_id: str, kata: dict, points: float, origin: str) -> float:
    score = earned(kata, points)
    tests = kata.get("tests", [])
    gradable = [t for t in tests if t.get("outcome") != "not_gradable"]
    passed = [t for t in gradable if t.get("outcome") == "passed"]
    print(f"{kata_id}: {score:g}/{points:g} points ({origin}).")
    if kata.get("error"):
        print(f"  0 points: {kata['error']}")
        return 0.0
    print(f"  {len(passed)} of {len(gradable)} tests passed.")
    skipped = len(tests) - len(gradable)
    if skipped:
        print(f"  {skipped} test(s) need CUDA: not graded here; the points are shared among the others.")
    failed = [t for t in gradable if t.get("outcome") == "failed"]
    for test in failed[:MAX_FAILURES_SHOWN]:
        name = str(test.get("name", test.get("id", "?"))).removeprefix(f"{kata_id}: ")
        print(f"  FAILED {name}")
        message = str(test.get("message", "")).split("\n\n")[0].splitlines()[:MAX_MESSAGE_LINES]
        for line in message:
            print(f"      {line}")
    if len(failed) > MAX_FAILURES_SHOWN:
        print(f"  ... and {len(failed) - MAX_FAILURES_SHOWN} more failed test(s).")
    return score

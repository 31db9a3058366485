"""The supervisor: one child per kata, a hard timeout, results from the signed channel only.

It never imports submission code. In fork mode (the default where the OS has fork) it imports
torch and pytest once, then forks a child per kata, so each child starts warm; elsewhere, or with
KATAS_NO_ZYGOTE=1, it spawns `python -I` children that import them themselves. Both run the same
child code and grade alike.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grader
from grader.manifest import Kata, Manifest
from grader.results import KataResult, Outcome, Report, TestResult
from grader.runner import protocol
from grader.runner.child import Job
from grader.runner.guard import protected_paths

MAX_EVENTS_BYTES = 8 * 1024 * 1024
_SIGNALS = {
    signal.SIGKILL: "was killed (SIGKILL): it probably ran out of memory",
    signal.SIGSEGV: "crashed with a segmentation fault",
    signal.SIGXCPU: "used up its CPU time limit",
    signal.SIGXFSZ: "wrote more than the file size limit allows",
    signal.SIGABRT: "aborted (SIGABRT)",
    signal.SIGBUS: "crashed (SIGBUS)",
}


class GraderError(RuntimeError):
    """The grading machinery itself cannot run (not the submission's fault)."""


@dataclass
class Options:
    jobs: int = 0  # parallel children; 0 = one per core
    timeout: int | None = None  # hard per-kata timeout override, seconds
    memory_bytes: int | None = 6 * 1024**3
    others_root: Path | None = None  # in a batch: the folder of all submissions (unreadable)
    fork: bool | None = None  # None: fork where available unless KATAS_NO_ZYGOTE=1


@dataclass
class _Running:
    kata: Kata
    job: Job
    key: bytes
    pid: int
    fd: int
    started: float
    deadline: float
    popen: subprocess.Popen | None = None
    buffer: bytearray = field(default_factory=bytearray)
    events: list[dict] = field(default_factory=list)
    channel_error: str = ""
    timed_out: bool = False
    eof: bool = False
    status: tuple[str, int] | None = None  # ("exit", code) or ("signal", number)


def use_fork(options: Options) -> bool:
    if options.fork is not None:
        return options.fork
    return hasattr(os, "fork") and os.environ.get("KATAS_NO_ZYGOTE", "") not in ("1", "true")


def prepare(fork: bool) -> None:
    """Import what every child needs once, before forking; fail clearly if it cannot."""
    if not fork:
        return
    try:
        import pytest  # noqa: F401
        import torch  # noqa: F401
        import torch._dynamo  # noqa: F401 - most katas load it lazily, and it patches torch

        import grader.checks  # noqa: F401
        import grader.plugin  # noqa: F401
        import grader.runner.guard  # noqa: F401
        import grader.runner.reporter  # noqa: F401
        _warm_pytest()
    except Exception as err:  # noqa: BLE001
        raise GraderError(f"cannot import the grading dependencies: {type(err).__name__}: {err}. "
                          "Install them (make setup) and try again.") from err


def _warm_pytest() -> None:
    """Import the pytest internals a session loads, so each forked child finds them loaded, and
    move everything imported so far out of the garbage collector's way (gc.freeze)."""
    import gc
    import importlib

    for name in ("_pytest.python", "_pytest.runner", "_pytest.fixtures", "_pytest.main",
                 "_pytest.terminal", "_pytest.capture", "_pytest.skipping", "_pytest.tmpdir",
                 "_pytest.monkeypatch", "_pytest.recwarn", "_pytest.logging", "_pytest.faulthandler",
                 "_pytest.assertion.rewrite", "_pytest.assertion.util", "_pytest.python_api",
                 "_pytest.setuponly", "_pytest.setupplan", "_pytest.stepwise", "_pytest.warnings",
                 "_pytest.helpconfig", "_pytest.mark", "_pytest.nodes", "_pytest.reports",
                 "_pytest.pathlib", "_pytest.debugging", "_pytest.unittest", "_pytest.scope",
                 "pytest_timeout", "difflib", "pprint"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    gc.collect()
    gc.freeze()


def grade(manifest: Manifest, submission: Path, katas: tuple[Kata, ...],
          options: Options | None = None, label: str | None = None,
          on_done: Callable[[KataResult], None] | None = None) -> Report:
    options = options or Options()
    fork = use_fork(options)
    prepare(fork)
    submission = submission.resolve()
    started = time.monotonic()
    results = run_katas(manifest, submission, katas, options, fork, on_done)
    isolation = _isolation_summary(results)
    cuda = any(ev.get("cuda") for r in results for ev in r[1] if ev.get("type") == "start")
    return Report(
        submission=label if label is not None else str(submission),
        katas=tuple(r[0] for r in results),
        isolation=tuple(isolation),
        cuda_available=cuda,
        grader_version=grader.__version__,
        duration_s=round(time.monotonic() - started, 2),
    )


def run_katas(manifest: Manifest, submission: Path, katas: tuple[Kata, ...], options: Options,
              fork: bool, on_done=None) -> list[tuple[KataResult, list[dict]]]:
    return run_jobs(manifest, [(submission, k) for k in katas], options, fork,
                    None if on_done is None else (lambda _i, result: on_done(result)))


def run_jobs(manifest: Manifest, work: list[tuple[Path, Kata]], options: Options, fork: bool,
             on_done: Callable[[int, KataResult], None] | None = None,
             ) -> list[tuple[KataResult, list[dict]]]:
    """Grade each (submission, kata) pair in its own child, `options.jobs` at a time.
    Results come back in the order of `work`; `on_done(index, result)` as each finishes."""
    slots = options.jobs or os.cpu_count() or 1
    pending = list(enumerate(work))
    running: dict[int, tuple[int, _Running]] = {}
    finished: dict[int, tuple[KataResult, list[dict]]] = {}
    try:
        while pending or running:
            while pending and len(running) < slots:
                index, (submission, kata) = pending.pop(0)
                protected = protected_paths(manifest.root, submission, options.others_root)
                run = _start(kata, manifest, submission.resolve(), options, fork, protected)
                running[run.fd] = (index, run)
            _pump({fd: run for fd, (_, run) in running.items()}, timeout=0.05)
            for fd, (index, run) in list(running.items()):
                if _finished(run):
                    del running[fd]
                    result = _result(run)
                    finished[index] = (result, run.events)
                    if on_done:
                        on_done(index, result)
    finally:
        for _, run in running.values():
            _kill(run)
            _reap(run, block=True)
            _cleanup(run)
    return [finished[i] for i in range(len(work))]


def _start(kata: Kata, manifest: Manifest, submission: Path, options: Options, fork: bool,
           protected: tuple[str, ...]) -> _Running:
    hard = options.timeout or kata.timeout
    scratch = tempfile.mkdtemp(prefix="kata-")
    read_fd, write_fd = os.pipe()
    tests = [str(kata.hidden_tests)]
    job = Job(
        kata_id=kata.id, submission=str(submission), tests=tuple(tests),
        kit_root=str(manifest.root), test_timeout=max(2, min(20, hard // 2)),
        cpu_seconds=hard + 10, memory_bytes=options.memory_bytes, scratch=scratch,
        result_fd=write_fd, protected=protected,
    )
    key = protocol.new_key()
    popen = None
    if fork:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_fd)
            from grader.runner import child

            child.run(job, key)
    else:
        from grader.runner.sandbox import child_environment

        root = str(Path(grader.__file__).resolve().parent.parent)
        bootstrap = (f"import sys; sys.path.insert(0, {root!r}); "
                     "from grader.runner.child import main; main()")
        popen = subprocess.Popen(
            [sys.executable, "-I", "-c", bootstrap], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_fd,),
            env=child_environment(dict(os.environ), Path(scratch)), cwd=scratch,
            start_new_session=True,
        )
        try:
            popen.stdin.write((job.to_json() + "\n" + key.hex() + "\n").encode())
            popen.stdin.close()
        except OSError:
            pass
        pid = popen.pid
    os.close(write_fd)
    now = time.monotonic()
    return _Running(kata, job, key, pid, read_fd, now, now + hard, popen)


def _pump(running: dict[int, _Running], timeout: float) -> None:
    fds = [fd for fd, run in running.items() if not run.eof]
    if fds:
        readable, _, _ = select.select(fds, [], [], timeout)
    else:
        readable = []
        time.sleep(timeout)
    for fd in readable:
        run = running[fd]
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            run.eof = True
            continue
        if len(run.buffer) + len(chunk) > MAX_EVENTS_BYTES:
            run.channel_error = "sent far too much on the result channel"
            run.eof = True
            _kill(run)
            continue
        run.buffer.extend(chunk)
        _parse(run)
    now = time.monotonic()
    for run in running.values():
        if run.status is None and now > run.deadline and not run.timed_out:
            run.timed_out = True
            _kill(run)


def _parse(run: _Running) -> None:
    while b"\n" in run.buffer:
        line, _, rest = run.buffer.partition(b"\n")
        run.buffer = bytearray(rest)
        event = protocol.verify(run.key, bytes(line) + b"\n")
        expected_seq = len(run.events) + 1
        if event is None or event.get("seq") != expected_seq:
            run.channel_error = run.channel_error or (
                "the result channel carried a line the grader did not write "
                "(forged or corrupted results)")
            continue
        run.events.append(event)


def _finished(run: _Running) -> bool:
    _reap(run, block=False)
    if run.status is None:
        return False
    if not run.eof:  # drain what is left (the child is gone; the pipe ends soon)
        _drain(run)
    return True


def _drain(run: _Running) -> None:
    deadline = time.monotonic() + 2.0
    while not run.eof and time.monotonic() < deadline:
        readable, _, _ = select.select([run.fd], [], [], 0.1)
        if not readable:
            continue
        chunk = os.read(run.fd, 65536)
        if not chunk:
            run.eof = True
        else:
            run.buffer.extend(chunk)
            _parse(run)
    run.eof = True


def _reap(run: _Running, block: bool) -> None:
    if run.status is not None:
        return
    if run.popen is not None:
        code = run.popen.wait() if block else run.popen.poll()
        if code is not None:
            run.status = ("signal", -code) if code < 0 else ("exit", code)
        return
    try:
        pid, status = os.waitpid(run.pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        run.status = ("exit", 0)
        return
    if pid == 0:
        return
    if os.WIFSIGNALED(status):
        run.status = ("signal", os.WTERMSIG(status))
    else:
        run.status = ("exit", os.WEXITSTATUS(status))


def _kill(run: _Running) -> None:
    for target in (lambda: os.killpg(run.pid, signal.SIGKILL), lambda: os.kill(run.pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError, OSError):
            pass


def _cleanup(run: _Running) -> None:
    try:
        os.close(run.fd)
    except OSError:
        pass
    _kill(run)  # whatever the child left in its process group
    shutil.rmtree(run.job.scratch, ignore_errors=True)


def _result(run: _Running) -> KataResult:
    _cleanup(run)
    events = run.events
    collected = next((e for e in events if e.get("type") == "collected"), None)
    start = next((e for e in events if e.get("type") == "start"), {})
    cuda = bool(start.get("cuda"))
    outcomes = {e.get("id"): e for e in events if e.get("type") == "result"}
    tests = []
    for spec in (collected or {}).get("tests", []):
        event = outcomes.get(spec["id"])
        tests.append(_test_result(spec, event, cuda))
    error = _error(run, events, collected)
    return KataResult(
        kata_id=run.kata.id, title=run.kata.title, points=run.kata.points,
        tests=tuple(tests), error=error,
        duration_s=round(time.monotonic() - run.started, 2),
    )


def _test_result(spec: dict, event: dict | None, cuda: bool) -> TestResult:
    weight = float(spec.get("weight", 1.0))
    if event is None:
        return TestResult(spec["id"], spec["name"], Outcome.FAILED, weight,
                          "this test did not run to the end")
    outcome = event.get("outcome")
    if outcome == "not_gradable" and not (spec.get("gpu") and not cuda):
        outcome = "failed"  # only gpu tests on a machine without CUDA may go ungraded
    if outcome not in ("passed", "failed", "not_gradable"):
        outcome = "failed"
    message = str(event.get("message", ""))[:2000]
    return TestResult(spec["id"], spec["name"], Outcome(outcome), weight, message,
                      bool(event.get("not_implemented", False)))


def _error(run: _Running, events: list[dict], collected: dict | None) -> str:
    timeout = int(run.deadline - run.started)
    if run.timed_out:
        return (f"timed out: the tests did not finish within {timeout} s "
                "(an infinite loop, or far more work than needed?); the kata scores 0")
    if run.channel_error:
        return run.channel_error + "; the kata scores 0"
    integrity = next((e for e in events if e.get("type") == "integrity"), None)
    if integrity:
        problems = ", ".join(integrity.get("problems", []))
        return f"the submission tampered with the grader's checks ({problems}); the kata scores 0"
    kind, code = run.status or ("exit", 0)
    done = next((e for e in events if e.get("type") == "done"), None)
    if kind == "signal":
        what = _SIGNALS.get(code, f"was killed by signal {code}")
        return f"the test process {what}; the kata scores 0"
    if done is None:
        if collected is None and code in (3, 70, 71):
            return "the grader could not run this kata's tests (an internal error, not your code)"
        return ("the test process exited before its tests finished (sys.exit(), os._exit() or "
                "a crash in your code?); the kata scores 0")
    if done.get("exitstatus") not in (0, 1):
        if collected is None or not collected.get("tests"):
            return "the grader could not collect this kata's tests (an internal error, not your code)"
        return ("the test session was interrupted (pytest.exit(), KeyboardInterrupt or a "
                "BaseException raised by your code?); the kata scores 0")
    if code != 0:
        return f"the test process exited with status {code} after its tests; the kata scores 0"
    return ""


def _isolation_summary(results) -> list[str]:
    layers: list[str] = []
    missing: list[str] = []
    for _, events in results:
        for event in events:
            if event.get("type") in ("start", "armed"):
                for layer in event.get("isolation", []):
                    if layer not in layers:
                        layers.append(layer)
                for gap in event.get("missing", []):
                    if gap not in missing:
                        missing.append(gap)
    return layers + [f"not available: {m}" for m in missing]

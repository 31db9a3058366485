"""The supervisor: children run the tests, results come from the signed channel only.

It never imports submission code. In fork mode (the default where the OS has fork) it imports
torch and pytest once, then forks children, so each starts warm; elsewhere, or with
KATAS_NO_ZYGOTE=1, it spawns `python -I` children that import them themselves. Both run the same
child code and grade alike.

A child runs several katas of one submission in one pytest session (a session costs far more than
most katas' tests). Isolation between katas is kept by attribution: the child announces each kata
(`begin`) before running its first test, so the supervisor applies each kata's own hard timeout,
and when a child dies, hangs, is caught tampering or forging, only the kata it was running scores
0 with the reason; the katas it had finished keep their results and the ones it had not begun are
regraded in a fresh child.
"""

from __future__ import annotations

import gc
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grader
from grader.manifest import Kata, Manifest
from grader.results import NOT_GRADED_HERE, KataResult, Outcome, Report, TestResult
from grader.runner import protocol
from grader.runner.child import Job
from grader.runner.sandbox import protected_paths

MAX_EVENTS_BYTES = 8 * 1024 * 1024
STARTUP_S = 90  # a child's time to start (a spawned one imports torch) before its first kata
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
    suite: str = "hidden"  # "hidden" (grading) or "public" (the learner's check)
    # The in-interpreter guards (audit hook, Landlock, integrity snapshot). Off only for a
    # learner checking their own code with the public tests, where start-up time matters more.
    guarded: bool = True
    others_root: Path | None = None  # in a batch: the folder of all submissions (unreadable)
    fork: bool | None = None  # None: fork where available unless KATAS_NO_ZYGOTE=1


@dataclass
class _Running:
    katas: tuple[Kata, ...]
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
    work_index: int = 0
    submission: Path = Path()
    current: str | None = None  # the kata the child announced last
    hard_timeouts: dict[str, int] = field(default_factory=dict)


def use_fork(options: Options) -> bool:
    if options.fork is not None:
        return options.fork
    return hasattr(os, "fork") and os.environ.get("KATAS_NO_ZYGOTE", "") not in ("1", "true")


def prepare(fork: bool, guarded: bool = True) -> None:
    """Import what every child needs once, before forking; fail clearly if it cannot.

    The garbage collector is off while importing: torch creates millions of objects and no
    garbage worth collecting, and the collector's passes over them cost about a third of a
    second. Everything imported is then frozen (gc.freeze), so that neither this process's nor a
    forked child's collections walk it again (which would also touch, and copy, shared pages)."""
    if not fork or guarded in _PREPARED or True in _PREPARED:  # done already (watch, tests)
        return
    collecting = gc.isenabled()
    gc.disable()
    try:
        import pytest  # noqa: F401
        import torch  # noqa: F401

        from grader.runner import lazy_dynamo

        # torch._dynamo stays unloaded (half a bare `import torch` saved); where that cannot be
        # arranged, it is imported here, not in every child, and before the integrity snapshot
        # (importing it re-wraps torch.manual_seed).
        if not lazy_dynamo.defer() and guarded:
            import torch._dynamo  # noqa: F401

        import grader.checks  # noqa: F401
        import grader.feedback  # noqa: F401
        import grader.plugin  # noqa: F401
        import grader.runner.bytecode  # noqa: F401
        import grader.runner.guard  # noqa: F401
        import grader.runner.reporter  # noqa: F401
        _warm_lazy_imports(guarded)
    except Exception as err:  # noqa: BLE001
        raise GraderError(f"cannot import the grading dependencies: {type(err).__name__}: {err}. "
                          "Install them (make setup) and try again.") from err
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
    _PREPARED.add(guarded)


_PREPARED: set[bool] = set()  # the levels prepared in this process (True: with the guards')


# Modules the children would otherwise import on first use, each on its own: pytest's internals,
# and, for grading (many katas), what eager torch loads lazily (the meta device's kernels import
# sympy and symbolic shapes: 0.2 s that a learner checking one kata pays only if it needs them).
_LAZY_PYTEST = (
    "_pytest.python", "_pytest.runner", "_pytest.fixtures", "_pytest.main", "_pytest.terminal",
    "_pytest.capture", "_pytest.skipping", "_pytest.tmpdir", "_pytest.monkeypatch",
    "_pytest.recwarn", "_pytest.logging", "_pytest.faulthandler", "_pytest.assertion.rewrite",
    "_pytest.assertion.util", "_pytest.python_api", "_pytest.setuponly", "_pytest.setupplan",
    "_pytest.stepwise", "_pytest.warnings", "_pytest.helpconfig", "_pytest.mark", "_pytest.nodes",
    "_pytest.reports", "_pytest.pathlib", "_pytest.debugging", "_pytest.unittest",
    "_pytest.scope", "_pytest.junitxml", "_pytest.pastebin", "_pytest.threadexception",
    "_pytest.unraisableexception", "_pytest._argcomplete", "pytest_timeout", "difflib", "pprint",
)
_LAZY_TORCH = ("sympy", "torch.fx.experimental.symbolic_shapes", "torch.utils._device")


def _warm_lazy_imports(guarded: bool) -> None:
    import importlib

    for name in (*_LAZY_PYTEST, *(_LAZY_TORCH if guarded else ())):
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def grade(manifest: Manifest, submission: Path, katas: tuple[Kata, ...],
          options: Options | None = None, label: str | None = None,
          on_done: Callable[[KataResult], None] | None = None) -> Report:
    options = options or Options()
    fork = use_fork(options)
    prepare(fork, options.guarded)
    started = time.monotonic()
    [graded] = run_work(manifest, [(submission, katas)], options, fork,
                        None if on_done is None else (lambda _i, result: on_done(result)))
    return Report(
        submission=label if label is not None else str(submission),
        katas=graded.katas,
        isolation=graded.isolation,
        cuda_available=graded.cuda,
        grader_version=grader.__version__,
        duration_s=round(time.monotonic() - started, 2),
    )


@dataclass
class Graded:
    """What grading one work item gave: its katas' results (in the order asked), the isolation
    layers that were active, and whether CUDA was there."""
    katas: tuple[KataResult, ...]
    isolation: tuple[str, ...]
    cuda: bool


def run_work(manifest: Manifest, work: list[tuple[Path, tuple[Kata, ...]]], options: Options,
             fork: bool, on_done: Callable[[int, KataResult], None] | None = None,
             on_item_done: Callable[[int, Graded], None] | None = None) -> list[Graded]:
    """Grade each (submission, katas) item; `on_done(item index, result)` as each kata ends,
    `on_item_done(item index, graded)` as each item's last kata ends."""
    slots = options.jobs or os.cpu_count() or 1
    queue: list[tuple[int, Path, tuple[Kata, ...]]] = []
    for index, (submission, katas) in enumerate(work):
        for chunk in _chunks(katas, _chunk_count(len(katas), len(work), slots, options)):
            queue.append((index, submission.resolve(), chunk))
    results: list[dict[str, KataResult]] = [{} for _ in work]
    events: list[list[dict]] = [[] for _ in work]
    running: dict[int, _Running] = {}
    bytecode_cache = tempfile.mkdtemp(prefix="katas-bytecode-")  # shared by this run's children
    interrupted: list[int] = []
    previous_handler = _catch_sigint(interrupted)

    def graded(index: int) -> Graded:
        events_ = events[index]
        cuda = any(e.get("cuda") for e in events_ if e.get("type") == "start")
        return Graded(tuple(results[index][k.id] for k in work[index][1]),
                      tuple(_isolation_summary(events_)), cuda)

    def finish(run: _Running, result: KataResult) -> None:
        index = run.work_index
        results[index][result.kata_id] = result
        if on_done:
            on_done(index, result)
        if on_item_done and len(results[index]) == len(work[index][1]):
            on_item_done(index, graded(index))

    try:
        while queue or running:
            if interrupted:
                raise KeyboardInterrupt
            while queue and len(running) < slots:
                index, submission, chunk = queue.pop(0)
                protected = (*protected_paths(manifest.root, submission, options.others_root),
                             bytecode_cache)
                run = _start(chunk, manifest, submission, options, fork, protected, bytecode_cache)
                run.work_index, run.submission = index, submission
                running[run.fd] = run
            _pump(running, timeout=0.05)
            for fd, run in list(running.items()):
                if not _finished(run):
                    continue
                del running[fd]
                _cleanup(run)
                events[run.work_index].extend(run.events)
                done, leftover = _settle(run)
                for result in done:
                    finish(run, result)
                if leftover:  # katas the child never began: a fresh child for them
                    queue.insert(0, (run.work_index, run.submission, leftover))
    finally:
        for run in running.values():
            _kill(run)
            _reap(run, block=True)
            _cleanup(run)
        shutil.rmtree(bytecode_cache, ignore_errors=True)
        if previous_handler is not None:
            signal.signal(signal.SIGINT, previous_handler)
    return [graded(index) for index in range(len(work))]


def _catch_sigint(interrupted: list[int]):
    """Ctrl-C sets a flag that the loop turns into KeyboardInterrupt at a safe point: raised
    wherever the signal lands, it can be lost (Python ignores exceptions in the at-fork
    handlers that run around every os.fork). Returns the handler to restore, None if not set."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, lambda signum, _frame: interrupted.append(signum))


def _chunk_count(katas: int, items: int, slots: int, options: Options) -> int:
    if items >= slots:
        return 1  # many submissions: one child each keeps every core busy
    return max(1, min(katas, slots // max(items, 1)))


def _chunks(katas: tuple[Kata, ...], count: int) -> list[tuple[Kata, ...]]:
    """`count` groups of katas, dealt round-robin so heavy chapters spread over children."""
    groups = [katas[i::count] for i in range(count)]
    return [g for g in groups if g]


def _start(katas: tuple[Kata, ...], manifest: Manifest, submission: Path, options: Options,
           fork: bool, protected: tuple[str, ...], bytecode_cache: str = "") -> _Running:
    hard = _hard_timeout(katas[0], options)
    scratch = tempfile.mkdtemp(prefix="kata-")
    read_fd, write_fd = os.pipe()
    job = Job(
        kata_ids=tuple(k.id for k in katas), submission=str(submission),
        tests=tuple(str(k.hidden_tests if options.suite == "hidden" else k.public_tests)
                    for k in katas),
        kit_root=str(manifest.root), test_timeout=max(2, min(20, hard // 2)),
        cpu_seconds=sum(_hard_timeout(k, options) for k in katas) + 10,
        memory_bytes=options.memory_bytes, scratch=scratch, result_fd=write_fd,
        protected=protected, guarded=options.guarded, bytecode_cache=bytecode_cache,
        kata_timeouts=tuple(_hard_timeout(k, options) for k in katas),
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
    run = _Running(katas, job, key, pid, read_fd, now, now + STARTUP_S, popen)
    run.hard_timeouts = {k.id: _hard_timeout(k, options) for k in katas}
    return run


def _hard_timeout(kata: Kata, options: Options) -> int:
    return options.timeout or kata.timeout


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
    while b"\n" in run.buffer and not run.channel_error:
        line, _, rest = run.buffer.partition(b"\n")
        run.buffer = bytearray(rest)
        event = protocol.verify(run.key, bytes(line) + b"\n")
        if event is None or event.get("seq") != len(run.events) + 1:
            run.channel_error = ("the result channel carried a line the grader did not write "
                                 "(forged or corrupted results)")
            _kill(run)  # nothing after a forged line can be trusted
            return
        run.events.append(event)
        if event.get("type") == "begin":  # each kata's own hard timeout runs from here
            run.current = str(event.get("kata"))
            run.deadline = time.monotonic() + run.hard_timeouts.get(run.current, 0)


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


def _settle(run: _Running) -> tuple[list[KataResult], tuple[Kata, ...]]:
    """Results for the katas this child finished or was running when it failed, and the katas
    it never began (to be regraded in a fresh child)."""
    events = run.events
    cuda = bool(next((e for e in events if e.get("type") == "start"), {}).get("cuda"))
    collected = next((e for e in events if e.get("type") == "collected"), None)
    specs = (collected or {}).get("tests", [])
    outcomes = {e.get("id"): e for e in events if e.get("type") == "result"}
    begun = {e.get("kata") for e in events if e.get("type") == "begin"}
    done = next((e for e in events if e.get("type") == "done"), None)
    all_reported = all(t["id"] in outcomes for t in specs)
    clean = (done is not None and done.get("exitstatus") in (0, 1) and all_reported
             and not run.channel_error and not run.timed_out and run.status == ("exit", 0))
    failure = "" if clean else _error(run, events, collected)
    results, leftover = [], []
    for kata in run.katas:
        kata_specs = [t for t in specs if t.get("kata") == kata.id]
        if clean or (kata.id in begun and kata.id != run.current):
            error = "" if kata_specs else NO_TESTS
        elif kata.id == run.current or not begun:
            # The kata running when the child failed takes the blame. If none had begun, no
            # submission code had run yet: a retry would fail alike, so report it as is.
            error = failure
        else:
            leftover.append(kata)
            continue
        tests = tuple(_test_result(t, outcomes.get(t["id"]), cuda) for t in kata_specs)
        results.append(KataResult(
            kata_id=kata.id, title=kata.title, points=kata.points, tests=tests, error=error,
            duration_s=round(time.monotonic() - run.started, 2)))
    return results, tuple(leftover)


NO_TESTS = "the grader could not collect this kata's tests (an internal error, not your code)"


def _test_result(spec: dict, event: dict | None, cuda: bool) -> TestResult:
    weight = float(spec.get("weight", 1.0))
    if spec.get("gpu") and not cuda:  # never graded here, whatever happened around it
        return TestResult(spec["id"], spec["name"], Outcome.NOT_GRADABLE, weight, NOT_GRADED_HERE)
    if event is None:
        return TestResult(spec["id"], spec["name"], Outcome.FAILED, weight,
                          "this test did not run to the end")
    outcome = event.get("outcome")
    if outcome == "not_gradable":
        outcome = "failed"  # only gpu tests on a machine without CUDA may go ungraded
    if outcome not in ("passed", "failed", "not_gradable"):
        outcome = "failed"
    message = str(event.get("message", ""))[:2000]
    return TestResult(spec["id"], spec["name"], Outcome(outcome), weight, message,
                      bool(event.get("not_implemented", False)))


def _error(run: _Running, events: list[dict], collected: dict | None) -> str:
    if run.current is None:  # no submission code had run: the fault is the grader's
        why = "did not start in time" if run.timed_out else "stopped before running any test"
        return f"the grader could not run this kata's tests: its test process {why} (not your code)"
    if run.timed_out:
        limit = run.hard_timeouts.get(run.current, 0)
        return (f"timed out: the tests did not finish within {limit} s "
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
        return ("the test process exited before its tests finished (sys.exit(), os._exit() or "
                "a crash in your code?); the kata scores 0")
    if done.get("exitstatus") not in (0, 1) or not all(
            t["id"] in {e.get("id") for e in events if e.get("type") == "result"}
            for t in (collected or {}).get("tests", [])):
        return ("the test session was interrupted (pytest.exit(), KeyboardInterrupt or a "
                "BaseException raised by your code?); the kata scores 0")
    return f"the test process exited with status {code} after its tests; the kata scores 0"


def _isolation_summary(events: list[dict]) -> list[str]:
    layers: list[str] = []
    missing: list[str] = []
    for event in events:
        if event.get("type") in ("start", "armed"):
            for layer in event.get("isolation", []):
                if layer not in layers:
                    layers.append(layer)
            for gap in event.get("missing", []):
                if gap not in missing:
                    missing.append(gap)
    return layers + [f"not available: {m}" for m in missing]

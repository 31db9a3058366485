"""The observer: where a grading child runs submission code, away from the checks.

A grading child (trusted: it holds the signing key and the result channel) forks the observer
first thing, before it collects any test: the observer never holds a check, an expected value
or the channel. It imports the katas' scenario modules, locks itself down (Landlock, seccomp)
and waits. For each kata the child sends the list of scenario runs its checks need; the observer
hands them to its worker, which arms the audit hook, imports the submission and runs them,
sending each observation back as data (grader.observe.pack: JSON and raw tensor bytes). The
child rebuilds that data (grader.observe.unpack, no pickle) and runs the checks on it.

Whatever the worker does, the child only ever receives bytes: forging a pass means producing the
observations a correct solution would, which is solving the kata. The worker cannot reach the
child's memory or descriptors: it is another process, the child is not dumpable, and the
observer's Landlock domain and seccomp filter stop ptrace. A worker that hangs is killed by the
observer; an observer that stops answering is killed by the child, and the katas left score 0.

Frames on the observation pipe: `>II` (header length, payload length), a JSON header, a payload.
Header kinds: `hello` (the observer's isolation layers), `result` (index of the run, `ok`, and
on failure the message and flags), `done` (worker to observer: the kata's runs are over), `end`
(observer to child: the kata is over, and why: done, or the worker hung, died or misbehaved).
"""

from __future__ import annotations

import json
import os
import pickle
import select
import signal
import struct
import sys
import time
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from grader.feedback import TIMED_OUT
from grader.runner.reporter import NOT_RUN_AFTER_TIMEOUT

_FRAME = struct.Struct(">II")
MAX_HEADER = 64 * 1024
MAX_KATA_BYTES = 256 * 1024 * 1024  # what one kata's observations may weigh in all
_PR_SET_DUMPABLE = 4
STARTUP_S = 30.0

SEPARATE_PROCESS = ("submission code runs in a separate process that holds no check, expected "
                    "value or result channel; only data comes back")
_ENDED = {
    "exit": "your code ended the process before this test finished (sys.exit(), os._exit() or "
            "a crash?); the tests after it did not run",
    "killed": "the process running your code was killed ({why}); the tests after it did not run",
    "budget": "timed out: the kata's tests did not finish within {limit} s (an infinite loop, or "
              "far more work than needed?)",
    "silent": "the process running your code stopped answering; the kata scores 0",
    "garbled": "the process running your code sent something that is not an observation "
               "({why}); the tests after it did not run",
}
_SIGNALS = {
    signal.SIGKILL: "SIGKILL: it probably ran out of memory",
    signal.SIGSEGV: "a segmentation fault",
    signal.SIGXCPU: "its CPU time limit ran out",
    signal.SIGXFSZ: "it wrote more than the file size limit allows",
    signal.SIGABRT: "SIGABRT",
}


def _write_frame(fd: int, header: dict, payload: bytes = b"") -> None:
    meta = json.dumps(header).encode()
    view = memoryview(_FRAME.pack(len(meta), len(payload)) + meta + payload)
    while view:
        view = view[os.write(fd, view):]


class FrameReader:
    """Frames from a pipe whose writer may be hostile: bounded sizes, JSON headers only."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = bytearray()

    def read(self, deadline: float) -> tuple[dict, bytes] | None:
        """The next frame; None at end of file or past `deadline`; a header of kind "garbled"
        when the bytes are not a frame."""
        while True:
            if len(self._buffer) >= _FRAME.size:
                meta_len, payload_len = _FRAME.unpack_from(self._buffer)
                if meta_len > MAX_HEADER or payload_len > MAX_KATA_BYTES:
                    return {"kind": "garbled"}, b""
                total = _FRAME.size + meta_len + payload_len
                if len(self._buffer) >= total:
                    meta = bytes(self._buffer[_FRAME.size:_FRAME.size + meta_len])
                    payload = bytes(self._buffer[_FRAME.size + meta_len:total])
                    del self._buffer[:total]
                    try:
                        header = json.loads(meta)
                    except ValueError:
                        header = None
                    return (header, payload) if type(header) is dict else ({"kind": "garbled"}, b"")
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            readable, _, _ = select.select([self.fd], [], [], left)
            if not readable:
                return None
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                return None
            self._buffer.extend(chunk)


# ---------------------------------------------------------------------------------------------
# the child's side (trusted)


@dataclass
class Observer:
    """The child's handle on its observer process."""
    pid: int
    commands: int  # write end: child -> observer
    frames: int  # read end: observer -> child
    layers: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    dead: str = ""  # why the observer can no longer be used

    def __post_init__(self) -> None:
        self._reader = FrameReader(self.frames)
        self._pending: list[tuple[str, int, float]] = []  # submitted, not yet collected

    def greet(self) -> None:
        """Read the observer's hello (its isolation layers). Called once the child has
        collected its tests, so that the observer sets itself up meanwhile."""
        hello = self._reader.read(time.monotonic() + STARTUP_S)
        if hello is None or hello[0].get("kind") != "hello":
            self._stop("the grader could not start the process that runs your code (not your "
                       "code); the kata scores 0")
            return
        self.layers = [str(x) for x in hello[0].get("layers", [])]
        self.missing = [str(x) for x in hello[0].get("missing", [])]

    def submit(self, kata_id: str, requests: list, timeout: int, budget: float) -> None:
        """Ask for one kata's scenario runs; `collect` takes the answers. The observer works
        through what it is sent in order, so the child can ask for the next kata before it
        checks the current one, and the two overlap."""
        self._pending.append((kata_id, len(requests), budget))
        if self.dead:
            return
        command = {"kata": kata_id, "requests": [(r.name, r.params) for r in requests],
                   "timeout": timeout, "budget": budget}
        if not _write_command(self.commands, command):
            self._stop(_ENDED["silent"])

    def collect(self, kata_id: str) -> list[Any]:
        """The answers for `kata_id` (submitted before), in the order asked: each a value or
        an ObservedFailure to raise. Answers to katas submitted before it are read first."""
        while True:
            submitted, count, budget = self._pending.pop(0)
            results = self._read_answers(count, budget)
            if submitted == kata_id:
                return results

    def _read_answers(self, count: int, budget: float) -> list[Any]:
        from grader.observe import ObservedFailure

        if self.dead:
            return [ObservedFailure(self.dead) for _ in range(count)]
        results: list[Any] = [None] * count
        deadline = time.monotonic() + budget + 3.0  # the observer enforces `budget` itself
        received = 0
        while True:
            frame = self._reader.read(deadline)
            if frame is None:
                self._stop(_ENDED["silent"])
                ended = self.dead
                break
            header, payload = frame
            received += len(payload)
            index = header.get("index")
            if header.get("kind") == "end" and received <= MAX_KATA_BYTES:
                ended = _end_message(header, budget)
                break
            if received > MAX_KATA_BYTES or header.get("kind") != "result" or \
                    type(index) is not int or not 0 <= index < count or results[index] is not None:
                # Out of step with the observer: nothing after this can be matched to a run.
                self._stop(_ENDED["garbled"].format(why="a frame out of place or far too much "
                                                        "data"))
                ended = self.dead
                break
            results[index] = _result(header, payload)
        timed_out = False
        for i, value in enumerate(results):
            if value is None:
                results[i] = ObservedFailure(NOT_RUN_AFTER_TIMEOUT if timed_out else ended)
            elif isinstance(value, ObservedFailure) and value.kata_timed_out:
                timed_out = True
        return results

    def _stop(self, why: str) -> None:
        self.dead = self.dead or why
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass


def _result(header: dict, payload: bytes) -> Any:
    from grader.observe import BadObservation, ObservedFailure, unpack

    if header.get("ok") is True:
        try:
            return unpack(payload)
        except BadObservation as err:
            return ObservedFailure(f"the scenario's observation was not plain data ({err}): "
                                   "return tensors, numbers and strings")
    message = header.get("message")
    return ObservedFailure(str(message)[:4000] if message else "the scenario failed",
                           not_implemented=header.get("not_implemented") is True,
                           timed_out=header.get("timed_out") is True)


def _end_message(header: dict, budget: float) -> str:
    why = header.get("why")
    if why == "budget":
        return _ENDED["budget"].format(limit=int(budget))
    if why == "signal":
        number = header.get("signal")
        text = _SIGNALS.get(number, f"signal {number}") if type(number) is int else "a signal"
        return _ENDED["killed"].format(why=text)
    if why == "garbled":
        return _ENDED["garbled"].format(why="a malformed frame, or more than "
                                            f"{MAX_KATA_BYTES >> 20} MiB of results")
    return _ENDED["exit"]


def scenario_files(job) -> dict[str, Path]:
    """The job's katas that have scenarios, each with its scenario file."""
    from grader.observe import scenario_path

    found = {kata: scenario_path(Path(test)) for kata, test in zip(job.kata_ids, job.tests)}
    return {kata: path for kata, path in found.items() if path.is_file()}


def observes_all(job) -> bool:
    """Every kata of the job has scenarios: no submission code runs in the grading child."""
    return len(scenario_files(job)) == len(job.kata_ids)


def start(job) -> Observer | None:
    """Fork the observer (the child calls this before collecting any test). None when no kata
    of the job has scenarios."""
    scenarios = [str(path) for path in scenario_files(job).values()]
    if not scenarios or not hasattr(os, "fork"):  # without fork: in-process, as under pytest
        return None
    pid, commands_w, frames_r = _fork(partial(_serve, job, scenarios), closing=(job.result_fd,))
    _not_dumpable()
    return Observer(pid, commands_w, frames_r)


def _not_dumpable() -> None:
    """Other processes of this user (the observer among them) may not open this one's
    /proc/<pid>/fd or memory."""
    if sys.platform != "linux":
        return
    try:
        from grader.runner.landlock import _libc

        _libc().prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


# ---------------------------------------------------------------------------------------------
# the observer's side (runs no submission code itself; its workers do)


def _serve(job, scenarios: list[str], commands: int, frames: int) -> None:
    import tempfile

    from grader import observe
    from grader.runner.guard import AUDIT_LAYER, Lockdown

    scratch = Path(job.scratch) / "observer"
    scratch.mkdir(mode=0o700, exist_ok=True)
    os.chdir(scratch)
    os.environ["HOME"] = os.environ["TMPDIR"] = str(scratch)
    tempfile.tempdir = str(scratch)
    for path in scenarios:  # while the tests are still readable
        observe.load_scenarios(Path(path))
    lockdown = Lockdown(replace(job, scratch=str(scratch)), None)
    layers, missing = lockdown.arm(audit=False)  # the workers add the audit hook
    _write_frame(frames, {"kind": "hello", "missing": missing,
                          "layers": [SEPARATE_PROCESS, *layers, AUDIT_LAYER]})  # the worker's
    _not_dumpable()  # a worker may not open this process's memory either
    # Ready before the first kata is asked for: the fork is off the child's critical path.
    worker: _Worker | None = _fork_worker(job, lockdown, scratch, closing=(commands, frames))
    while True:
        command = _read_command(commands)
        if command is None:
            return
        if worker is None:  # the first kata, or the last worker hung, crashed or misbehaved
            worker = _fork_worker(job, lockdown, scratch, closing=(commands, frames))
        if not worker.send(command) or not _relay(worker, frames, float(command["budget"]),
                                                  len(command["requests"])):
            worker.close()
            worker = None


@dataclass
class _Worker:
    """A process that runs submission code for the observer, one kata per command, for as long
    as it stays well: a fork costs more than most katas' scenarios (every page the worker
    writes is copied)."""
    pid: int
    commands: int  # observer -> worker
    reader: FrameReader  # worker -> observer

    def send(self, command: dict) -> bool:
        return _write_command(self.commands, command)

    def close(self) -> None:
        for fd in (self.commands, self.reader.fd):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass


def _fork_worker(job, lockdown, scratch: Path, closing: tuple[int, ...]) -> _Worker:
    def serve(commands: int, frames: int) -> None:
        lockdown.add_audit_hook()
        while True:
            command = _read_command(commands)
            if command is None or not _work(job, command, frames, scratch):
                return
            _write_frame(frames, {"kind": "done"})

    pid, commands_w, frames_r = _fork(serve, closing)
    return _Worker(pid, commands_w, FrameReader(frames_r))


def _fork(serve, closing: tuple[int, ...]) -> tuple[int, int, int]:
    """Fork a process that runs `serve(commands, frames)` on two new pipes, with the
    descriptors in `closing` closed, and exits when it returns. Returns its pid, the write end
    of its commands and the read end of its frames."""
    commands_r, commands_w = os.pipe()
    frames_r, frames_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 70
        try:
            for fd in (*closing, commands_w, frames_r):  # only its own two pipes stay open
                os.close(fd)
            serve(commands_r, frames_w)
            status = 0
        except BaseException:  # noqa: BLE001 - the process exits here, whatever happened
            pass
        finally:
            os._exit(status)
    os.close(commands_r)
    os.close(frames_w)
    return pid, commands_w, frames_r


def _relay(worker: _Worker, frames: int, budget: float, count: int) -> bool:
    """Pass the worker's results on, rebuilt from known fields, then an `end` frame. Whatever
    the worker writes, the frames the child gets stay in step. True when the worker finished
    the kata and may take the next one."""
    deadline = time.monotonic() + budget
    sent: set[int] = set()
    weight = 0
    while True:
        frame = worker.reader.read(deadline)
        if frame is None:  # the worker ended (closed its pipe) or ran out of time
            _write_frame(frames, _wait(worker.pid, deadline))
            return False
        header, payload = frame
        if header.get("kind") == "done":
            _write_frame(frames, {"kind": "end", "why": "done"})
            return True
        index = header.get("index")
        weight += len(payload)
        if header.get("kind") != "result" or type(index) is not int or not 0 <= index < count \
                or index in sent or weight > MAX_KATA_BYTES:
            _write_frame(frames, {"kind": "end", "why": "garbled"})
            return False
        sent.add(index)
        clean = {"kind": "result", "index": index, "ok": header.get("ok") is True}
        if not clean["ok"]:
            message = header.get("message")
            clean.update(message=message[:4000] if type(message) is str else "",
                         not_implemented=header.get("not_implemented") is True,
                         timed_out=header.get("timed_out") is True)
        _write_frame(frames, clean, payload if clean["ok"] else b"")


def _write_command(fd: int, command: dict) -> bool:
    """Commands go down, from the trusted child to the observer and on to its worker, so they
    may be pickled. False when the reader is gone."""
    body = pickle.dumps(command)
    view = memoryview(struct.pack(">I", len(body)) + body)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        return False
    return True


def _read_command(fd: int) -> dict | None:
    head = _read_exactly(fd, 4)
    if head is None:
        return None
    body = _read_exactly(fd, struct.unpack(">I", head)[0])
    return None if body is None else pickle.loads(body)  # from the trusted child


def _read_exactly(fd: int, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data.extend(chunk)
    return bytes(data)


def _wait(pid: int, deadline: float) -> dict:
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return {"kind": "end", "why": "budget"}
        time.sleep(0.005)
    if os.WIFSIGNALED(status):
        return {"kind": "end", "why": "signal", "signal": os.WTERMSIG(status)}
    return {"kind": "end", "why": "exit", "status": os.WEXITSTATUS(status)}


class _ScenarioTimeout(BaseException):
    pass


def _work(job, command: dict, frames: int, scratch: Path) -> bool:
    """Run the scenarios of one kata, sending each observation as it is made. False after a
    scenario ran past its time: the submission was interrupted mid-way, so the worker is not
    trusted to be well for the next kata."""
    import tempfile

    import torch

    from grader import feedback, observe, plugin

    kata_id = command["kata"]
    submission = Path(job.submission)
    path = submission / f"{kata_id}.py"
    display = f"{submission.name}/{kata_id}.py"
    test_file = Path(job.tests[job.kata_ids.index(kata_id)])
    module = observe.load_scenarios(observe.scenario_path(test_file))
    limit = int(command["timeout"])
    threads = torch.get_num_threads()

    def on_alarm(_signum, _frame):
        raise _ScenarioTimeout

    signal.signal(signal.SIGALRM, on_alarm)
    for index, (name, params) in enumerate(command["requests"]):
        patches = pytest.MonkeyPatch()
        provided = {
            "kata": lambda: plugin.load_kata(path, kata_id, display=display),
            "tmp_path": lambda i=index: Path(tempfile.mkdtemp(prefix=f"s{i}-", dir=scratch)),
            "monkeypatch": lambda: patches,
        }
        plugin.reset_torch(threads)
        header: dict[str, Any]
        payload = b""
        try:
            signal.setitimer(signal.ITIMER_REAL, limit)
            try:
                value = observe.call(getattr(module, name), provided,
                                     observe.Request(name, tuple(params)),
                                     lambda: plugin.reset_torch(threads))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            payload = observe.pack(value)
            header = {"kind": "result", "index": index, "ok": True}
        except _ScenarioTimeout:
            header = {"kind": "result", "index": index, "ok": False, "timed_out": True,
                      "message": f"{TIMED_OUT} (Timeout >{limit}s)"}
        except BaseException as err:  # noqa: BLE001 - the submission's, whatever it raised
            header = {"kind": "result", "index": index, "ok": False,
                      "message": feedback.message_for(err, submission),
                      "not_implemented": feedback.is_stub_error(err)}
        finally:
            patches.undo()
        _write_frame(frames, header, payload)
        if header.get("timed_out"):
            return False  # the rest would most likely hang alike: the child says so
    return True


# ---------------------------------------------------------------------------------------------
# the child's pytest plugin: the observed fixture's source when grading


class Broker:
    """Answers grader.plugin's `observed` fixture from the observer: at a kata's first check,
    every scenario run its checks need is sent at once, then each check takes its own."""

    def __init__(self, observer: Observer, job, reporter) -> None:
        self._observer = observer
        self._job = job
        self._reporter = reporter
        self._items: list = []
        self._plans: dict[str, dict[str, Any]] = {}  # kata -> request key -> request, in order
        self._submitted: set[str] = set()
        self._results: dict[str, dict[str, Any]] = {}
        self._scenario_files = scenario_files(job)

    def observes(self, kata_id: str) -> bool:
        """The kata's submission code runs in the observer, never in this process."""
        return kata_id in self._scenario_files

    def pytest_configure(self, config) -> None:
        from grader.plugin import BROKER_KEY

        config.stash[BROKER_KEY] = self

    def pytest_collection_modifyitems(self, items: list) -> None:
        """A check runs no submission code, and its kata's scenarios may take longer than one
        test's time limit: the observer keeps the time (per scenario and per kata) instead."""
        for item in items:
            if "observed" in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.timeout(0))

    @pytest.hookimpl(tryfirst=True)  # before guard.Lockdown makes the test files unreadable
    def pytest_collection_finish(self, session) -> None:
        from grader import observe

        self._items = list(session.items)
        for path in self._scenario_files.values():
            observe.load_scenarios(path)
        self._observer.greet()
        self._reporter.send({"type": "armed", "isolation": self._observer.layers,
                             "missing": self._observer.missing})
        self._plan()
        if self._plans:  # the observer starts on the first kata while the session sets up
            self._submit(next(iter(self._plans)))

    def observation(self, kata_id: str, request) -> Any:
        from grader.observe import ObservedFailure

        if kata_id not in self._results:
            self._collect(kata_id)
        value = self._results[kata_id].get(request.key)
        if value is None and request.key not in self._results[kata_id]:
            raise ObservedFailure("the grader did not run this test's scenario (not your code)")
        if isinstance(value, ObservedFailure):
            raise ObservedFailure(str(value), value.kata_not_implemented, value.kata_timed_out)
        return value

    def _plan(self) -> None:
        """Every kata's scenario runs, in the order its checks will ask for them."""
        from grader import observe
        from grader.plugin import kata_id_for

        for item in self._items:
            if "observed" not in getattr(item, "fixturenames", ()):
                continue
            try:
                _, wanted = observe.scenario_for(item)
            except LookupError:
                continue  # that test's own fixture call reports it
            self._plans.setdefault(kata_id_for(item), {}).setdefault(wanted.key, wanted)

    def _submit(self, kata_id: str) -> None:
        if kata_id in self._submitted:
            return
        self._submitted.add(kata_id)
        index = self._job.kata_ids.index(kata_id) if kata_id in self._job.kata_ids else -1
        hard = self._job.kata_timeouts[index] if 0 <= index < len(self._job.kata_timeouts) else 60
        self._observer.submit(kata_id, list(self._plans.get(kata_id, {}).values()),
                              self._job.test_timeout, max(1.0, 0.8 * hard - 1.0))

    def _collect(self, kata_id: str) -> None:
        self._submit(kata_id)
        order = list(self._plans)
        following = order[order.index(kata_id) + 1:] if kata_id in order else []
        if following:  # the observer runs it while this kata is checked
            self._submit(following[0])
        requests = list(self._plans.get(kata_id, {}).values())
        results = self._observer.collect(kata_id)
        self._results[kata_id] = {r.key: v for r, v in zip(requests, results)}

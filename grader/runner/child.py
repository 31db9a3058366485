"""A grading child: isolate, run some katas of one submission under pytest, report, exit.

Reached either by fork from the supervisor (torch and pytest already imported: fast) or, as a
fallback, spawned as `python -I -c ...` reading the job from stdin. Either way it ends with
`os._exit`, so no `atexit` handler or finaliser that a submission registered ever runs.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

INI = Path(__file__).with_name("grading.ini")


@dataclass(frozen=True)
class Job:
    kata_ids: tuple[str, ...]
    submission: str  # absolute path of the submission directory
    tests: tuple[str, ...]  # absolute paths of the test files
    kit_root: str  # rootdir for pytest (node ids are relative to it)
    test_timeout: int  # pytest-timeout, per test
    cpu_seconds: int
    memory_bytes: int | None
    scratch: str
    result_fd: int
    protected: tuple[str, ...] = ()  # paths the submission must not read (tests, solutions, ...)
    guarded: bool = True  # audit hook, Landlock, integrity snapshot (see supervisor.Options)
    bytecode_cache: str = ""  # the run's cache of assert-rewritten test modules (supervisor's)
    kata_timeouts: tuple[int, ...] = ()  # each kata's hard timeout, in kata_ids' order

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Job:
        data = json.loads(text)
        data["tests"] = tuple(data["tests"])
        data["kata_ids"] = tuple(data["kata_ids"])
        data["protected"] = tuple(data.get("protected", ()))
        data["kata_timeouts"] = tuple(data.get("kata_timeouts", ()))
        return cls(**data)


def run(job: Job, key: bytes) -> None:
    """Never returns."""
    status = 70
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # not the supervisor's flag
        status = _run(job, key)
    except BaseException:  # noqa: BLE001 - whatever happens, the child exits here
        status = 71
        import traceback

        traceback.print_exc()  # to /dev/null, or the developer's KATAS_DEBUG_CHILD_STDERR file
    finally:
        os._exit(status)


def _run(job: Job, key: bytes) -> int:
    from grader.runner import sandbox

    isolation = sandbox.Isolation()
    sandbox.enter(Path(job.scratch), job.result_fd, job.cpu_seconds, job.memory_bytes, isolation)

    import pytest
    import torch

    from grader.runner import lazy_dynamo

    if not lazy_dynamo.defer() and job.guarded:  # as supervisor.prepare does
        import torch._dynamo  # noqa: F401

    from grader.runner import doer, guard
    from grader.runner.reporter import Reporter

    torch.set_num_threads(1)
    # Before any test module is imported: the observer must never hold a check.
    observer = doer.start(job)
    reporter = Reporter(job.result_fd, key)
    reporter.send({"type": "start", "isolation": isolation.layers, "missing": isolation.missing,
                   "cuda": bool(torch.cuda.is_available())})
    plugins = [reporter]
    if job.guarded:
        in_process = observer is None or not doer.observes_all(job)
        plugins.append(guard.Lockdown(job, reporter, in_process=in_process))
    if observer is not None:
        plugins.append(doer.Broker(observer, job, reporter))
    if job.bytecode_cache:
        from grader.runner.bytecode import SharedTestBytecode

        plugins.append(SharedTestBytecode(job.bytecode_cache))
    args = [
        *job.tests,
        "-c", str(INI),
        "--rootdir", job.kit_root,
        "-p", "grader.plugin",
        "--submission", job.submission,
        "-o", f"timeout={job.test_timeout}",
        f"--basetemp={Path(job.scratch) / 'pytest'}",
    ]
    del key
    exit_code = pytest.main(args, plugins=plugins)
    return 0 if int(exit_code) in (0, 1) else 3


def main() -> None:
    """Spawn entry: the job, then the key (hex), on stdin."""
    job_line = sys.stdin.readline()
    key_line = sys.stdin.readline()
    job = Job.from_json(job_line)
    run(job, bytes.fromhex(key_line.strip()))

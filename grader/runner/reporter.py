"""The pytest plugin inside a grading child: test outcomes out, over the signed channel.

Events, in order: `collected` (every test with its kata, weight and gpu flag, sent before any
submission code runs); for each kata, `begin` then one `result` per test; `done` at the end.
If a check was tampered with, `integrity` is sent and the child exits at once: nothing it would
report afterwards could be trusted. Nothing here reads what the submission prints.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from grader.feedback import is_timeout
from grader.plugin import cuda_available, kata_id_for
from grader.results import NOT_GRADED_HERE
from grader.runner import protocol

NOT_RUN_AFTER_TIMEOUT = ("not run: an earlier test of this kata ran past its time limit, and this "
                         "one would most likely stop the same way; fix the loop and grade again")
SKIPPED_IS_FAILURE = ("the test was skipped, and a skip is not a pass: does your code call "
                      "pytest.skip() or pytest.xfail()?")


def test_title(item: pytest.Item) -> str:
    """`<kata id>: <first line of the test's docstring>` (or its name), plus `[param]`."""
    doc = getattr(getattr(item, "obj", None), "__doc__", None) or ""
    words = doc.strip().splitlines()[0].strip() if doc.strip() else ""
    base = getattr(item, "originalname", None) or item.name
    words = words or base.removeprefix("test_").replace("_", " ")
    callspec = getattr(item, "callspec", None)
    suffix = f" [{callspec.id}]" if callspec is not None else ""
    return f"{kata_id_for(item)}: {words}{suffix}"


def test_id(item: pytest.Item) -> str:
    return f"{kata_id_for(item)}::{item.nodeid.split('::', 1)[-1]}"


class Reporter:
    def __init__(self, fd: int, key: bytes):
        self._fd = fd
        self._key = key
        self._seq = 0
        self._integrity: Callable[[], list[str]] | None = None
        self._items: dict[str, pytest.Item] = {}
        self._phases: dict[str, list[pytest.TestReport]] = {}
        self._current_kata: str | None = None
        self._not_gradable: list[pytest.Item] = []
        self._timed_out: set[str] = set()  # katas one of whose tests ran past its time limit

    # -- channel -------------------------------------------------------------------------
    def send(self, event: dict) -> None:
        self._seq += 1
        line = protocol.sign(self._key, {**event, "seq": self._seq})
        view = memoryview(line)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def watch_integrity(self, changes: Callable[[], list[str]]) -> None:
        """After each kata, `changes()` lists what was tampered with (empty: nothing)."""
        self._integrity = changes

    def _check_integrity(self, kata: str) -> None:
        problems = self._integrity() if self._integrity else []
        if problems:
            self.send({"type": "integrity", "kata": kata, "problems": problems})
            os._exit(0)  # the rest of this process is untrusted; the supervisor regrades the rest

    # -- hooks ---------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Without CUDA, gpu tests are not run at all (each would only be set up to be skipped):
        they are reported as not gradable here straight after collection."""
        if cuda_available():
            return
        self._not_gradable = [i for i in items if i.get_closest_marker("gpu") is not None]
        if self._not_gradable:
            items[:] = [i for i in items if i.get_closest_marker("gpu") is None]
            config.hook.pytest_deselected(items=self._not_gradable)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        tests = []
        for item in [*session.items, *self._not_gradable]:
            self._items[item.nodeid] = item
            weight = item.get_closest_marker("weight")
            tests.append({
                "id": test_id(item),
                "kata": kata_id_for(item),
                "name": test_title(item),
                "weight": float(weight.args[0]) if weight and weight.args else 1.0,
                "gpu": item.get_closest_marker("gpu") is not None,
            })
        self.send({"type": "collected", "tests": tests})
        for item in self._not_gradable:
            self.send({"type": "result", "id": test_id(item), "outcome": "not_gradable",
                       "message": NOT_GRADED_HERE})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.send({"type": "collect_error", "where": report.nodeid,
                       "message": str(report.longrepr)[-2000:]})

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logstart(self, nodeid: str) -> None:
        item = self._items.get(nodeid)
        kata = kata_id_for(item) if item is not None else None
        if kata is not None and kata != self._current_kata:
            self._current_kata = kata
            self.send({"type": "begin", "kata": kata})

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        """The tamper check runs when a kata's last test is done, before the next kata begins:
        tampering zeroes the whole kata anyway, so checking after each of its tests would only
        repeat the same verdict, while the next kata must start from a clean state."""
        result = yield
        kata = kata_id_for(item)
        if nextitem is None or kata_id_for(nextitem) != kata:
            self._check_integrity(kata)
        return result

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Once a test of a kata has timed out, its remaining tests fail at once: each would most
        likely use up its whole time limit too (an infinite loop hangs every call), and one hang
        must not cost a class the kata's hard timeout. Tests that passed keep their points."""
        if kata_id_for(item) in self._timed_out:
            pytest.fail(NOT_RUN_AFTER_TIMEOUT, pytrace=False)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport | None:
        """A failure's report without pytest's traceback rendering, which nothing here shows
        (about a millisecond a failure; a stub fails hundreds of tests). grader.plugin's wrapper
        still puts the teaching message on it. Skips and the rest take pytest's own path."""
        excinfo = call.excinfo
        if excinfo is None or isinstance(excinfo.value, (pytest.skip.Exception, BaseExceptionGroup)):
            return None
        if is_timeout(excinfo.value):
            self._timed_out.add(kata_id_for(item))
        return pytest.TestReport(  # the exception's words come from grader.plugin's wrapper
            item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "failed",
            type(excinfo.value).__name__, call.when, duration=call.duration, start=call.start,
            stop=call.stop, user_properties=item.user_properties)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._phases.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        item = self._items.get(nodeid)
        if item is None:
            return
        self.send({"type": "result", "id": test_id(item), **self._outcome(self._phases.get(nodeid, []))})

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.send({"type": "done", "exitstatus": int(exitstatus)})

    # -- outcome of one test ---------------------------------------------------------------
    @staticmethod
    def _outcome(reports: list[pytest.TestReport]) -> dict:
        """A test that ran: gpu tests without CUDA never get here (deselected at collection),
        so any skip is the submission's doing."""
        for report in reports:
            if report.failed:
                return {
                    "outcome": "failed",
                    "message": getattr(report, "kata_feedback", None) or _longrepr(report),
                    "not_implemented": bool(getattr(report, "kata_not_implemented", False)),
                }
        if any(r.skipped for r in reports):
            return {"outcome": "failed", "message": SKIPPED_IS_FAILURE}
        if any(r.when == "call" and r.passed for r in reports):
            return {"outcome": "passed", "message": ""}
        return {"outcome": "failed", "message": "the test did not run to the end"}


def _longrepr(report: pytest.TestReport) -> str:
    text = str(report.longrepr or "").strip()
    return text.splitlines()[-1] if text else "failed"

"""GitHub Classroom: the result of one autograding step, as the grading reporter reads it.

`classroom-resources/autograding-grading-reporter@v1` reads, for each runner id, an environment
variable `<ID>_RESULTS` holding base64 of a JSON object shaped like the one the command-grader
action writes:

    {"version": 1, "status": "pass" | "fail" | "error", "max_score": N,
     "tests": [{"name", "status", "score", "message", "test_code", "filename", "line_no",
                "duration"}]}

The reporter adds up `max_score` over runners and `score` over every runner's tests (that total
is the grade Classroom records) and prints each test with its `message`. So one result per kata
with one entry per test gives partial credit by test weight, unlike a command-grader step, which
is all or nothing.

`render` writes that JSON (readable, golden-tested); `encode` is what a workflow step puts in its
`result` output. The kata's score (computed in grader.results) is shared among its passed tests
by weight, in hundredths, so the tests' scores add up to exactly the kata's score. A test that
needs CUDA on a machine without it is left out (its points are not in `max_score`) and named in
the top-level `message`. A kata that could not be graded (timeout, crash, tampering) scores 0
and its tests are `error`s with the reason. Test ids (hidden test function names) are not shown.
"""

from __future__ import annotations

import base64
import json

from grader.results import KataResult, KataStatus, Outcome, Report

RESULT_VERSION = 1
MESSAGE_LIMIT = 2000  # characters of feedback per test; the reporter prints them all


def render(report: Report) -> str:
    return json.dumps(result_dict(report), indent=2, ensure_ascii=False) + "\n"


def encode(report: Report) -> str:
    """The step output `result`: base64 of the compact JSON, one line."""
    compact = json.dumps(result_dict(report), separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(compact.encode("utf-8")).decode("ascii")


def result_dict(report: Report) -> dict:
    tests: list[dict] = []
    for kata in report.katas:
        tests.extend(_kata_tests(kata))
    if any(k.status == KataStatus.ERROR for k in report.katas):
        status = "error"
    elif all(k.status == KataStatus.PASSED for k in report.katas):
        status = "pass"
    else:
        status = "fail"
    lines = [f"{k.kata_id}: {k.score:g}/{k.max_score:g}" for k in report.katas]
    if report.not_gradable_points:
        lines.append(f"needs CUDA: not graded here: {report.not_gradable_points:g} points")
    return {
        "version": RESULT_VERSION,
        "status": status,
        "max_score": report.max_score,
        "message": "\n".join(lines),
        "tests": tests,
    }


def _kata_tests(kata: KataResult) -> list[dict]:
    if kata.error:
        graded = [t for t in kata.tests if t.outcome != Outcome.NOT_GRADABLE]
        names = [t.name for t in graded] or [f"{kata.kata_id}: could not be graded"]
        return [_entry(name, "error", 0.0, kata.error) for name in names]
    if not kata.tests:
        return [_entry(f"{kata.kata_id}: could not be graded", "error", 0.0, "no test ran")]
    passed = [t for t in kata.tests if t.outcome == Outcome.PASSED]
    shares = _split(kata.score, [t.weight for t in passed])
    score_of = {id(t): s for t, s in zip(passed, shares)}
    entries = []
    for test in kata.tests:
        if test.outcome == Outcome.NOT_GRADABLE:
            continue
        if test.outcome == Outcome.PASSED:
            entries.append(_entry(test.name, "pass", score_of[id(test)], ""))
        else:
            entries.append(_entry(test.name, "fail", 0.0, test.message or "failed"))
    return entries


def _entry(name: str, status: str, score: float, message: str) -> dict:
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 15] + " ... (truncated)"
    return {"name": name, "status": status, "score": score, "message": message,
            "test_code": "", "filename": "", "line_no": 0, "duration": 0}


def _split(total: float, weights: list[float]) -> list[float]:
    """`total` shared by weight in hundredths (largest remainder), summing to exactly `total`."""
    if not weights:
        return []
    cents = round(total * 100)
    whole = sum(weights)
    exact = [cents * w / whole for w in weights]
    parts = [int(e) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[: cents - sum(parts)]:
        parts[i] += 1
    return [p / 100 for p in parts]

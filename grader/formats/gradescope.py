"""Gradescope's results.json: top-level score and max_score, one entry per test.

Every test's name begins with its kata id. A test that needs CUDA on a machine without it is
listed with score 0 and max_score 0 and no status, its points named in the output, so it counts
neither as passed nor failed. A kata that could not be graded (timeout, crash, tampering) gets
its tests at 0 with the reason.
"""

from __future__ import annotations

import json

from grader.results import KataResult, Outcome, Report
from grader.formats.text import STATUS_WORDS


def test_points(kata: KataResult, weight: float) -> float:
    total = sum(t.weight for t in kata.tests)
    return round(kata.points * weight / total, 4) if total else 0.0


def render(report: Report) -> str:
    tests = []
    for kata in report.katas:
        if not kata.tests:
            tests.append({"name": f"{kata.kata_id}: could not be graded", "score": 0.0,
                          "max_score": float(kata.points), "status": "failed",
                          "output": kata.error or "no test ran"})
        for test in kata.tests:
            points = test_points(kata, test.weight)
            if test.outcome == Outcome.NOT_GRADABLE:
                tests.append({"name": test.name, "score": 0.0, "max_score": 0.0,
                              "output": f"needs CUDA: not graded here ({points:g} points on a "
                                        "machine with a GPU)"})
                continue
            passed = test.outcome == Outcome.PASSED and not kata.error
            output = kata.error if kata.error else test.message
            tests.append({"name": test.name, "score": points if passed else 0.0,
                          "max_score": points, "status": "passed" if passed else "failed",
                          "output": output})
    lines = [f"{k.kata_id}: {k.score:g}/{k.max_score:g} ({STATUS_WORDS[k.status]})" for k in report.katas]
    if report.not_gradable_points:
        lines.append(f"needs CUDA: not graded here: {report.not_gradable_points:g} points")
    data = {
        "score": report.score,
        "max_score": report.max_score,
        "output": "\n".join(lines),
        "tests": tests,
    }
    return json.dumps(data, indent=2) + "\n"

"""The result model: typed, versioned, serialisable. Scores are computed here and nowhere else.

A kata's points are shared among its tests by weight (the `weight` marker, default 1). A test
that needs CUDA on a machine without it is `not_gradable`: its share is left out of the kata's
`max_score` and reported as not graded here, never counted as passed or failed.

A kata whose grading process did not finish cleanly (timeout, crash, early exit, a tampered
check) scores 0 with the reason, whatever it reported before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

SCHEMA_VERSION = 1
# Why a gpu test has no outcome on a machine without CUDA (its points are left out, not failed).
NOT_GRADED_HERE = "needs CUDA: not graded here (no CUDA device on this machine)"


class Outcome(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_GRADABLE = "not_gradable"


class KataStatus(str, Enum):
    PASSED = "passed"  # every gradable test passed
    PARTIAL = "partial"  # some passed
    FAILED = "failed"  # none passed
    NOT_IMPLEMENTED = "not_implemented"  # every failure was the stub's NotImplementedError
    ERROR = "error"  # the kata could not be graded normally: timeout, crash, tampering


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class, despite the name

    id: str  # pytest node id relative to the tests folder, stable across machines
    name: str  # "<kata id>: <what the test checks>"
    outcome: Outcome
    weight: float = 1.0
    message: str = ""  # feedback for a failure, the reason for not_gradable
    not_implemented: bool = False


@dataclass(frozen=True)
class KataResult:
    kata_id: str
    title: str
    points: float
    tests: tuple[TestResult, ...]
    error: str = ""  # set when the kata's process failed: the reason it scores 0
    duration_s: float = 0.0

    @property
    def _total_weight(self) -> float:
        return sum(t.weight for t in self.tests)

    def _share(self, outcome: Outcome) -> float:
        total = self._total_weight
        if total <= 0:
            return 0.0
        return self.points * sum(t.weight for t in self.tests if t.outcome == outcome) / total

    @property
    def max_score(self) -> float:
        """Points gradable on this machine (the kata's points less its not-gradable tests)."""
        if not self.tests:
            return float(self.points)
        return _round(self.points - self._share(Outcome.NOT_GRADABLE))

    @property
    def not_gradable_points(self) -> float:
        return _round(self._share(Outcome.NOT_GRADABLE))

    @property
    def score(self) -> float:
        if self.error:
            return 0.0
        return _round(self._share(Outcome.PASSED))

    @property
    def status(self) -> KataStatus:
        if self.error:
            return KataStatus.ERROR
        gradable = [t for t in self.tests if t.outcome != Outcome.NOT_GRADABLE]
        failed = [t for t in gradable if t.outcome == Outcome.FAILED]
        if not gradable or not failed:
            return KataStatus.PASSED if gradable else KataStatus.FAILED
        if len(failed) == len(gradable):
            if all(t.not_implemented for t in failed):
                return KataStatus.NOT_IMPLEMENTED
            return KataStatus.FAILED
        return KataStatus.PARTIAL

    @property
    def feedback(self) -> str:
        """The one message a scoreboard shows: the error, or the first failure's message."""
        if self.error:
            return self.error
        for test in self.tests:
            if test.outcome == Outcome.FAILED:
                return test.message
        return ""

    def counts(self) -> dict[str, int]:
        return {o.value: sum(1 for t in self.tests if t.outcome == o) for o in Outcome}


@dataclass(frozen=True)
class Report:
    submission: str
    katas: tuple[KataResult, ...]
    isolation: tuple[str, ...] = ()  # the sandbox layers that were active, in words
    cuda_available: bool = False
    grader_version: str = ""
    version: int = SCHEMA_VERSION
    duration_s: float = 0.0
    notes: tuple[str, ...] = field(default=())

    @property
    def score(self) -> float:
        return _round(sum(k.score for k in self.katas))

    @property
    def max_score(self) -> float:
        return _round(sum(k.max_score for k in self.katas))

    @property
    def not_gradable_points(self) -> float:
        return _round(sum(k.not_gradable_points for k in self.katas))

    def to_dict(self) -> dict:
        """The JSON form (docs/results-schema.md), computed properties included."""
        return {
            "version": self.version,
            "grader_version": self.grader_version,
            "submission": self.submission,
            "score": self.score,
            "max_score": self.max_score,
            "not_gradable_points": self.not_gradable_points,
            "cuda_available": self.cuda_available,
            "isolation": list(self.isolation),
            "notes": list(self.notes),
            "katas": [
                {
                    "id": k.kata_id,
                    "title": k.title,
                    "points": k.points,
                    "score": k.score,
                    "max_score": k.max_score,
                    "not_gradable_points": k.not_gradable_points,
                    "status": k.status.value,
                    "error": k.error,
                    "feedback": k.feedback,
                    "counts": k.counts(),
                    "tests": [  # by hand: dataclasses.asdict deep-copies, a cost per test
                        {"id": t.id, "name": t.name, "outcome": t.outcome.value,
                         "weight": t.weight, "message": t.message,
                         "not_implemented": t.not_implemented}
                        for t in k.tests
                    ],
                }
                for k in self.katas
            ],
        }


def report_from_dict(data: dict) -> Report:
    """Read back the JSON form (for merge, report and resume)."""
    if data.get("version") != SCHEMA_VERSION:
        raise ValueError(
            f"results version {data.get('version')!r}: this grader reads version {SCHEMA_VERSION}"
        )
    katas = tuple(
        KataResult(
            kata_id=k["id"],
            title=k["title"],
            points=k["points"],
            error=k.get("error", ""),
            tests=tuple(
                TestResult(
                    id=t["id"], name=t["name"], outcome=Outcome(t["outcome"]),
                    weight=t.get("weight", 1.0), message=t.get("message", ""),
                    not_implemented=t.get("not_implemented", False),
                )
                for t in k["tests"]
            ),
        )
        for k in data["katas"]
    )
    return Report(
        submission=data["submission"], katas=katas, isolation=tuple(data.get("isolation", ())),
        cuda_available=data.get("cuda_available", False),
        grader_version=data.get("grader_version", ""), notes=tuple(data.get("notes", ())),
    )


def _round(value: float) -> float:
    return round(value + 0.0, 2)

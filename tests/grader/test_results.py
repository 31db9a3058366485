"""Scores are computed in one place: weights, not-gradable tests, errors."""

import pytest

from grader.results import KataResult, KataStatus, Outcome, Report, TestResult, report_from_dict


def kata(*outcomes, weights=None, error="", points=12, not_implemented=False):
    weights = weights or [1.0] * len(outcomes)
    tests = tuple(TestResult(f"k::t{i}", f"k: t{i}", o, w, "" if o == Outcome.PASSED else "msg",
                             not_implemented) for i, (o, w) in enumerate(zip(outcomes, weights)))
    return KataResult("01_x/k", "K", points, tests, error=error)


def test_points_are_shared_by_weight():
    k = kata(Outcome.PASSED, Outcome.FAILED, Outcome.PASSED, weights=[2, 1, 1])
    assert k.score == 9 and k.max_score == 12 and k.status == KataStatus.PARTIAL


def test_not_gradable_tests_leave_the_max_and_are_reported():
    k = kata(Outcome.PASSED, Outcome.NOT_GRADABLE, Outcome.PASSED, Outcome.NOT_GRADABLE)
    assert k.max_score == 6 and k.score == 6 and k.not_gradable_points == 6
    assert k.status == KataStatus.PASSED


def test_an_error_scores_zero_whatever_passed():
    k = kata(Outcome.PASSED, Outcome.PASSED, error="timed out")
    assert k.score == 0 and k.max_score == 12 and k.status == KataStatus.ERROR
    assert k.feedback == "timed out"


def test_not_implemented_status_needs_every_failure_to_be_the_stub():
    assert kata(Outcome.FAILED, Outcome.FAILED, not_implemented=True).status == KataStatus.NOT_IMPLEMENTED
    assert kata(Outcome.FAILED, Outcome.FAILED).status == KataStatus.FAILED


def test_report_round_trips_through_json():
    report = Report("alice", (kata(Outcome.PASSED, Outcome.NOT_GRADABLE), kata(Outcome.FAILED)),
                    isolation=("x",), grader_version="1")
    back = report_from_dict(report.to_dict())
    assert back.to_dict() == report.to_dict()
    assert back.score == report.score == 6 and back.max_score == 18


@pytest.mark.parametrize("event", [None, {"outcome": "passed"}, {"outcome": "failed", "message": "x"}])
def test_a_gpu_test_is_never_graded_without_cuda(event):
    """Whatever the child said or failed to say (a crash before the test ran, a forged pass)."""
    from grader.runner.supervisor import _test_result

    spec = {"id": "k::test_x[cuda]", "name": "k: x [cuda]", "weight": 2.0, "gpu": True}
    assert _test_result(spec, event, cuda=False).outcome == Outcome.NOT_GRADABLE
    assert _test_result(spec, {"outcome": "passed"}, cuda=True).outcome == Outcome.PASSED
    cpu = {**spec, "gpu": False}
    assert _test_result(cpu, {"outcome": "not_gradable"}, cuda=False).outcome == Outcome.FAILED

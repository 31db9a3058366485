"""Broken submissions cost only their kata, with a clear reason; every format is golden-tested.

Each scenario in fixtures/submissions/ breaks 01_demo/add in one way and keeps 02_demo/scale
correct. All scenarios are graded once, in parallel, through the real supervisor.
Regenerate the golden files after an intended change: KATAS_UPDATE_GOLDEN=1 pytest tests/grader.
"""

import dataclasses
import re
from pathlib import Path

import pytest

from tests.grader.support import SUBMISSIONS, UPDATE_GOLDEN
from grader.formats import RENDERERS
from grader.results import KataStatus, Report

pytestmark = pytest.mark.timeout(600)  # grades many submissions

GOLDEN = Path(__file__).parent / "golden"
SCENARIOS = sorted(p.name for p in SUBMISSIONS.iterdir() if p.is_dir())
EXTENSIONS = {"text": "txt", "json": "json", "gradescope": "gradescope.json", "junit": "xml", "csv": "csv",
              "classroom": "classroom.json"}

# scenario -> (score of 01_demo/add, status, words its feedback must contain)
EXPECTED = {
    "full": (10, KataStatus.PASSED, ""),
    "stub": (0, KataStatus.NOT_IMPLEMENTED, "not implemented"),
    "partial": (6.67, KataStatus.PARTIAL, "ValueError: shapes differ"),
    "syntax_error": (0, KataStatus.FAILED, "01_demo/add.py:4: SyntaxError"),
    "import_error": (0, KataStatus.FAILED, "ModuleNotFoundError"),
    "missing_name": (0, KataStatus.FAILED, "does not define `add`"),
    "exit_at_import": (0, KataStatus.FAILED, "SystemExit"),
    # The scenarios run in the observer's worker: what ends it fails the tests it had not done.
    "hang": (0, KataStatus.FAILED, "timed out"),  # blocks the per-test timeout: the kata's ends it
    "loop": (3.33, KataStatus.PARTIAL, "ran past its time limit"),  # the rest of the kata is not run
    "crash": (0, KataStatus.FAILED, "ended the process before this test finished"),
    "segfault": (0, KataStatus.FAILED, "segmentation fault"),
    "fake_output": (0, KataStatus.FAILED, "not an observation"),
    "memory_bomb": (0, KataStatus.FAILED, ""),
}


@pytest.fixture(scope="session")
def reports(fixture_manifest):
    from grader.runner import supervisor

    work = [(SUBMISSIONS / name, fixture_manifest.katas) for name in SCENARIOS]
    options = supervisor.Options(timeout=4)
    fork = supervisor.use_fork(options)
    supervisor.prepare(fork)
    graded = supervisor.run_work(fixture_manifest, work, options, fork)
    out = {}
    for name, item in zip(SCENARIOS, graded):
        katas = item.katas
        # Stable across machines: no isolation list, durations or version in golden files.
        out[name] = Report(submission=name, katas=tuple(dataclasses.replace(k, duration_s=0.0) for k in katas),
                           grader_version="golden")
    return out


def test_every_scenario_has_an_expectation():
    assert set(SCENARIOS) == set(EXPECTED)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_costs_only_its_kata(reports, scenario):
    report = reports[scenario]
    add, scale = report.katas
    score, status, words = EXPECTED[scenario]
    assert add.status == status, add.feedback
    assert add.score == pytest.approx(score, abs=0.01)
    assert words.lower() in add.feedback.lower(), add.feedback
    assert add.max_score == 10
    # The other kata is graded normally: its cpu test passes, its cuda test is not gradable.
    assert scale.status == KataStatus.PASSED, scale.feedback
    assert scale.score == scale.max_score == 2.5
    assert scale.not_gradable_points == 2.5


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
def test_golden(reports, scenario, fmt):
    rendered = RENDERERS[fmt](reports[scenario])
    rendered = re.sub(r"/tmp/[^\s\"']+", "<tmp>", rendered)
    path = GOLDEN / f"{scenario}.{EXTENSIONS[fmt]}"
    if UPDATE_GOLDEN:
        path.parent.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert path.is_file(), f"no golden file {path}: run with KATAS_UPDATE_GOLDEN=1"
    assert rendered == path.read_text(encoding="utf-8")

"""The adversarial corpus: no attack gains a point, the grader never crashes, and the other kata
of each attacker (and every other student) is graded normally.

Each tests/adversarial/<attack>/ is a student whose 01_demo/add.py attacks the grader (its header
says how, and the score its honest part deserves) and whose 02_demo/scale.py is correct. They are
graded as one class through the real command (`grade-batch`), so they are also each other's
neighbours, and the reports checked are the files it wrote.
"""

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest

from grader.batch import OUTPUTS
from grader.results import report_from_dict
from tests.grader.support import FIXTURE_KIT, ROOT

pytestmark = pytest.mark.timeout(600)

ATTACKS_DIR = ROOT / "tests" / "adversarial"
ATTACKS = sorted(p.name for p in ATTACKS_DIR.iterdir() if p.is_dir())
SECRET = "ghp_s3cr3t-token-that-must-never-leak"


def deserves(attack: str) -> float:
    header = (ATTACKS_DIR / attack / "01_demo" / "add.py").read_text()
    return float(re.search(r"^# DESERVES: (\S+)", header, re.M).group(1))


def kit_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted((FIXTURE_KIT).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    before = kit_fingerprint()
    out = tmp_path_factory.mktemp("adversarial")
    done = subprocess.run(
        [sys.executable, "-m", "grader", "--manifest", str(FIXTURE_KIT / "katas.toml"),
         "grade-batch", str(ATTACKS_DIR), "-o", str(out), "--timeout", "6"],
        cwd=ROOT, env=dict(os.environ, KATAS_FAKE_SECRET_TOKEN=SECRET), capture_output=True,
        text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    assert SECRET not in done.stdout + done.stderr
    reports = {name: report_from_dict(json.loads((out / name / OUTPUTS["json"]).read_text()))
               for name in ATTACKS}
    return reports, before, out


def test_the_corpus_covers_the_threat_model():
    assert len(ATTACKS) >= 30 and "honest" in ATTACKS


@pytest.mark.parametrize("attack", ATTACKS)
def test_no_attack_gains_a_point(graded, attack):
    results, _, out = graded
    add, scale = results[attack].katas
    assert add.score == deserves(attack), f"{attack}: {add.score} points; {add.feedback}"
    assert scale.score == scale.max_score == 2.5, f"{attack} broke the other kata: {scale.feedback}"
    for name in OUTPUTS.values():  # every report the command wrote is complete and clean
        text = (out / attack / name).read_text()
        assert SECRET not in text, name
        assert "01_demo/add" in text and "02_demo/scale" in text, name


def test_submission_code_runs_apart_from_the_checks(graded):
    """The attacks that forge the channel or reuse the checks score what their honest part
    deserves because the submission never shares a process with a check (grader.runner.doer)."""
    results, _, _ = graded
    layers = " | ".join(results["honest"].isolation)
    assert "separate process that holds no check" in layers, layers
    for attack in ("steal_signing_key", "reuse_the_checks"):
        add = results[attack].katas[0]
        assert add.score == 0 and "wrong values" in add.feedback, (attack, add.feedback)


def test_the_kit_is_untouched_and_no_process_outlives_the_run(graded):
    _, before, _ = graded
    assert kit_fingerprint() == before
    leftover = subprocess.run(["pgrep", "-f", "sleep 3600"], capture_output=True, text=True)
    assert leftover.stdout.strip() == "", "a process forked by a submission survived"


def test_isolation_layers_are_reported(graded):
    results, _, out = graded
    rows = (out / "class.csv").read_text().splitlines()
    assert len(rows) == 1 + len(ATTACKS)  # the class CSV has every student
    layers = " | ".join(results["honest"].isolation)
    assert "audit hook" in layers and "resource limits" in layers
    assert "Landlock" in layers and "seccomp" in layers  # applied here, or named as missing

"""The adversarial corpus: no attack gains a point, the grader never crashes, and the other kata
of each attacker (and every other student) is graded normally.

Each tests/adversarial/<attack>/ is a student whose 01_demo/add.py attacks the grader (its header
says how, and the score its honest part deserves) and whose 02_demo/scale.py is correct. They are
graded as one class, so they are also each other's neighbours.
"""

import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest

from grader.formats import RENDERERS
from grader.results import Report
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
def graded(fixture_manifest):
    from grader.runner import supervisor

    before = kit_fingerprint()
    os.environ["KATAS_FAKE_SECRET_TOKEN"] = SECRET
    try:
        options = supervisor.Options(timeout=6, others_root=ATTACKS_DIR)
        fork = supervisor.use_fork(options)
        supervisor.prepare(fork)
        work = [(ATTACKS_DIR / name, fixture_manifest.katas) for name in ATTACKS]
        results = supervisor.run_work(fixture_manifest, work, options, fork)
    finally:
        del os.environ["KATAS_FAKE_SECRET_TOKEN"]
    return {name: item for name, item in zip(ATTACKS, results)}, before


def test_the_corpus_covers_the_threat_model():
    assert len(ATTACKS) >= 30 and "honest" in ATTACKS


@pytest.mark.parametrize("attack", ATTACKS)
def test_no_attack_gains_a_point(graded, attack):
    results, _ = graded
    add, scale = results[attack].katas
    assert add.score == deserves(attack), f"{attack}: {add.score} points; {add.feedback}"
    assert scale.score == scale.max_score == 2.5, f"{attack} broke the other kata: {scale.feedback}"
    report = Report(submission=attack, katas=results[attack].katas)
    for render in RENDERERS.values():
        text = render(report)
        assert SECRET not in text
        assert "01_demo/add" in text and "02_demo/scale" in text  # every report is complete


def test_a_blinded_tamper_check_still_reports_the_tampering(graded):
    results, _ = graded
    add = results["blind_the_integrity_check"].katas[0]
    assert "tampered with the grader's checks" in add.feedback, add.feedback
    assert "torch.allclose was replaced" in add.feedback, add.feedback


def test_the_kit_is_untouched_and_no_process_outlives_the_run(graded):
    _, before = graded
    assert kit_fingerprint() == before
    leftover = subprocess.run(["pgrep", "-f", "sleep 3600"], capture_output=True, text=True)
    assert leftover.stdout.strip() == "", "a process forked by a submission survived"


def test_isolation_layers_are_reported(graded):
    results, _ = graded
    layers = " | ".join(results["honest"].isolation)
    assert "audit hook" in layers and "resource limits" in layers
    assert "Landlock" in layers  # as applied here, or named as not available

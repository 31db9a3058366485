"""grade-batch: parallel, resumable, shardable; the class CSV equals grading each student alone."""

import csv
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.grader.support import FIXTURE_KIT, ROOT, SUBMISSIONS, run_cli

pytestmark = pytest.mark.timeout(600)  # grades many submissions

FIXTURE = ("--manifest", str(FIXTURE_KIT / "katas.toml"))
CLASS = {"ann": "full", "ben": "partial", "cat": "stub", "dan": "crash", "eve": "syntax_error",
         "fay": "fake_output"}


@pytest.fixture
def klass(tmp_path):
    root = tmp_path / "class"
    for student, scenario in CLASS.items():
        shutil.copytree(SUBMISSIONS / scenario, root / student)
    return root


def rows(path):
    with open(path, newline="") as handle:
        return {r["student"]: r for r in csv.DictReader(handle)}


def test_class_csv_matches_grading_each_student_alone(klass, tmp_path):
    out = tmp_path / "out"
    result = run_cli(*FIXTURE, "grade-batch", str(klass), "-o", str(out), "--timeout", "5")
    assert result.returncode == 0, result.stderr
    table = rows(out / "class.csv")
    assert set(table) == set(CLASS)
    from grader import manifest
    from grader.runner import supervisor

    kit = manifest.load(FIXTURE_KIT / "katas.toml")
    for student in CLASS:  # graded alone, in this process (no torch import per student)
        alone = supervisor.grade(kit, klass / student, kit.katas, supervisor.Options(timeout=5))
        data = alone.to_dict()
        assert table[student]["total"] == f"{data['score']:g}", student
        for kata in data["katas"]:
            assert table[student][kata["id"]] == f"{kata['score']:g}", (student, kata["id"])
        for name in ("report.txt", "report.json", "results.json", "report.xml", "report.csv", "meta.json"):
            assert (out / student / name).is_file()


def test_unchanged_students_are_not_regraded(klass, tmp_path):
    out = tmp_path / "out"
    assert run_cli(*FIXTURE, "grade-batch", str(klass), "-o", str(out)).returncode == 0
    again = run_cli(*FIXTURE, "grade-batch", str(klass), "-o", str(out))
    assert "0 to grade, 6 unchanged" in again.stderr
    shutil.copy(SUBMISSIONS / "full" / "01_demo" / "add.py", klass / "ben" / "01_demo" / "add.py")
    third = run_cli(*FIXTURE, "grade-batch", str(klass), "-o", str(out))
    assert "1 to grade, 5 unchanged" in third.stderr
    assert rows(out / "class.csv")["ben"]["01_demo/add"] == "10"


def test_shards_merge_to_the_same_csv(klass, tmp_path):
    whole = tmp_path / "whole"
    assert run_cli(*FIXTURE, "grade-batch", str(klass), "-o", str(whole)).returncode == 0
    parts = []
    for i in (1, 2, 3):
        part = tmp_path / f"shard{i}"
        result = run_cli(*FIXTURE, "grade-batch", str(klass), "-o", str(part), "--shard", f"{i}/3")
        assert result.returncode == 0, result.stderr
        parts.append(str(part))
    merged = tmp_path / "merged.csv"
    assert run_cli(*FIXTURE, "merge", *parts, "-o", str(merged)).returncode == 0
    assert merged.read_text() == (whole / "class.csv").read_text()


def test_an_interrupted_batch_keeps_what_was_graded(klass, tmp_path):
    shutil.copytree(SUBMISSIONS / "hang", klass / "zed")  # keeps the batch busy
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "grader", *FIXTURE, "grade-batch", str(klass),
                             "-o", str(out), "--timeout", "60", "--jobs", "2"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(out.glob("*/meta.json"))) < 3:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    saved = {p.parent.name for p in out.glob("*/meta.json")}
    assert len(saved) >= 3 and "zed" not in saved
    rerun = run_cli(*FIXTURE, "grade-batch", str(klass), "-o", str(out), "--timeout", "3")
    assert f"{7 - len(saved)} to grade, {len(saved)} unchanged" in rerun.stderr
    assert set(rows(out / "class.csv")) == set(CLASS) | {"zed"}


@pytest.mark.parametrize("args, words", [
    (("grade-batch", "no/such"), "no such directory"),
    (("grade-batch", "tests/grader/fixtures/submissions", "--shard", "4/3"), "between 1 and N"),
    (("merge", "no/such"), "no such directory"),
])
def test_batch_usage_errors(args, words):
    result = run_cli(*FIXTURE, *args)
    assert result.returncode == 2 and words in result.stderr

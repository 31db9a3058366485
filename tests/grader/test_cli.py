"""The CLI contract: formats, exit codes, one-line usage errors, the whole kit end to end."""

import json
import os
import shutil
import sys

import pytest

from tests.grader.support import FIXTURE_KIT, ROOT, SUBMISSIONS, run_cli

pytestmark = pytest.mark.timeout(600)  # grades many submissions

FIXTURE = ("--manifest", str(FIXTURE_KIT / "katas.toml"))


def test_solutions_score_full_marks_in_gradescope_format():
    result = run_cli("grade", "solutions", "--format", "gradescope")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["score"] == data["max_score"] > 0
    from grader import manifest

    ids = manifest.load(ROOT / "katas.toml").ids
    assert {t["name"].split(": ")[0] for t in data["tests"]} == set(ids)
    for test in data["tests"]:
        if test["max_score"] == 0:  # gpu tests on this machine: neither passed nor failed
            assert "status" not in test and "needs CUDA: not graded here" in test["output"]
        else:
            assert test["status"] == "passed", test


def test_exercises_score_zero_with_a_not_implemented_reason_per_kata():
    result = run_cli("grade", "exercises", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["score"] == 0
    for kata in data["katas"]:
        assert kata["status"] == "not_implemented", kata["feedback"]
        assert "not implemented" in kata["feedback"]


@pytest.mark.parametrize("args, words", [
    (("grade", "no/such/dir"), "no/such/dir: no such directory"),
    (("grade", "katas.toml"), "not a directory"),
    (("grade", "exercises", "--kata", "99_nope/x"), "unknown kata id(s): 99_nope/x"),
    (("grade", "exercises", "--timeout", "0"), "--timeout must be a positive"),
    (("build", "--kata", "99_nope/x"), "unknown kata id(s)"),
    (("--manifest", "no/katas.toml", "list"), "bad manifest"),
])
def test_usage_errors_exit_2_with_one_line(args, words):
    result = run_cli(*args)
    assert result.returncode == 2
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_grader_that_cannot_start_exits_3(tmp_path):
    (tmp_path / "torch.py").write_text("raise ImportError('torch is broken here')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    import subprocess

    result = subprocess.run([sys.executable, "-m", "grader", *FIXTURE, "grade",
                             str(SUBMISSIONS / "full")], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    assert "cannot grade" in result.stderr and "torch is broken here" in result.stderr


def test_output_file_and_formats(tmp_path):
    out = tmp_path / "report" / "results.xml"
    result = run_cli(*FIXTURE, "grade", str(SUBMISSIONS / "partial"), "--format", "junit", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text().startswith("<?xml")
    assert "points; report written to" in result.stderr
    assert "[2/2]" in result.stderr  # progress, one line per kata


def test_spawn_fallback_grades_like_fork():
    env_on = {**os.environ, "KATAS_NO_ZYGOTE": "1"}
    import subprocess

    def grade(env):
        r = subprocess.run([sys.executable, "-m", "grader", *FIXTURE, "grade", str(SUBMISSIONS / "partial"),
                            "--format", "json"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr
        data = json.loads(r.stdout)
        return [(k["id"], k["score"], k["status"], [t["outcome"] for t in k["tests"]]) for k in data["katas"]]

    assert grade(env_on) == grade(dict(os.environ))


def test_list_and_build_check():
    listed = run_cli("list")
    assert listed.returncode == 0 and "02_autograd/sgd" in listed.stdout
    checked = run_cli("build", "--check")
    assert checked.returncode == 0, checked.stderr


def test_grading_without_hidden_tests_says_why(tmp_path):
    """A student copy has no hidden tests: `grade` is a usage error pointing at `check`."""
    kit = tmp_path / "kit"
    shutil.copytree(FIXTURE_KIT, kit, ignore=shutil.ignore_patterns("hidden"))
    result = run_cli("--manifest", str(kit / "katas.toml"), "grade", str(kit / "exercises"))
    assert result.returncode == 2
    assert "no hidden tests" in result.stderr and "python -m grader check" in result.stderr

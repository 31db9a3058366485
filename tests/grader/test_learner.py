"""The learner's commands on a copy of the fixture kit: check, hint, progress, watch."""

import shutil
import subprocess
import sys
import time

import pytest

from tests.grader.support import FIXTURE_KIT, ROOT

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def kit(tmp_path):
    """A learner's copy of the two-kata fixture kit, with public tests, outside the repo."""
    copy = tmp_path / "kit"
    shutil.copytree(FIXTURE_KIT, copy)
    shutil.copytree(copy / "tests" / "hidden", copy / "tests" / "public")
    return copy


def cli(kit, *args, timeout=300):
    return subprocess.run([sys.executable, "-m", "grader", "--manifest", str(kit / "katas.toml"), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})


def solve(kit, kata_file):
    shutil.copy(kit / "solutions" / kata_file, kit / "exercises" / kata_file)


def test_check_explains_the_first_failure_and_what_to_do(kit):
    result = cli(kit, "check")
    assert result.returncode == 1
    assert "01_demo/add — Add two tensors" in result.stdout
    assert "not implemented yet" in result.stdout
    assert "Next: open exercises/01_demo/add.py" in result.stdout
    assert "python -m grader hint 01_demo/add" in result.stdout
    assert "\x1b[" not in result.stdout  # plain text when piped


def test_check_passes_and_moves_on(kit):
    solve(kit, "01_demo/add.py")
    result = cli(kit, "check")
    assert result.returncode == 0, result.stdout
    assert "Done!" in result.stdout and "Next: 02_demo/scale" in result.stdout
    progress = cli(kit, "progress")
    assert "01_demo/add" in progress.stdout and "done" in progress.stdout
    assert "1/2 katas done" in progress.stdout
    # the next check picks the first unfinished kata
    assert "02_demo/scale — " in cli(kit, "check").stdout


def test_check_names_a_wrong_answer(kit):
    (kit / "exercises" / "01_demo" / "add.py").write_text("def add(a, b):\n    return a - b\n")
    result = cli(kit, "check", "01_demo/add")
    assert result.returncode == 1
    assert "add element by element" in result.stdout and "wrong values" in result.stdout
    assert "in progress" in cli(kit, "progress").stdout


def test_hints_come_one_at_a_time_and_never_the_solution(kit):
    first = cli(kit, "hint", "01_demo/add")
    assert "Hint 1: Use +." in first.stdout and "1 of 1 hints" not in first.stdout
    assert (kit / ".katas" / "state.json").is_file()
    solution_line = "return a + b"
    assert solution_line not in first.stdout
    assert cli(kit, "hint", "nope/x").returncode == 2


def test_watch_rechecks_on_save_and_moves_on(kit):
    proc = subprocess.Popen([sys.executable, "-m", "grader", "--manifest", str(kit / "katas.toml"),
                             "watch", "--stop-after", "2"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
    lines = []
    deadline = time.time() + 240
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "0/2 katas done" in line:  # the first check has run: now save a fix
            time.sleep(0.5)
            solve(kit, "01_demo/add.py")
    proc.wait(timeout=60)
    output = "".join(lines)
    assert "Watching" in output
    assert "Done!" in output and "1/2 katas done" in output, output
    assert proc.returncode == 0


def test_plain_pytest_ends_with_a_line_per_kata(kit):
    solve(kit, "01_demo/add.py")
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "grader.plugin", "-p", "no:cacheprovider",
                             "tests/public", "--rootdir", str(kit), "-q"], cwd=kit,
                            capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert "01_demo/add: done" in result.stdout, result.stdout
    assert "02_demo/scale: 0/1 tests (1 need CUDA: skipped)" in result.stdout

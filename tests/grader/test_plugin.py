"""The pytest plugin, through pytester: --submission, the kata fixture, the device parameter."""

import pytest

TEST = '''
import torch
from grader.checks import assert_close

def test_double(kata):
    """doubles"""
    assert_close(kata.double(torch.ones(2)), torch.full((2,), 2.0), what="the result",
                 hint="multiply by two")

def test_on_device(kata, device):
    assert kata.double(torch.ones(1, device=device)).device.type == device
'''
GOOD = "def double(x):\n    return 2 * x\n"


@pytest.fixture
def kit(pytester):
    pytester.makefile(".toml", pyproject='[tool.pytest.ini_options]\n')
    (pytester.path / "tests" / "public" / "01_x").mkdir(parents=True)
    (pytester.path / "tests" / "public" / "01_x" / "test_y.py").write_text(TEST)
    (pytester.path / "exercises" / "01_x").mkdir(parents=True)
    return pytester


def run(kit, source, *extra):
    (kit.path / "exercises" / "01_x" / "y.py").write_text(source)
    return kit.runpytest("-p", "grader.plugin", "-p", "no:cacheprovider", "-rs", *extra)


def test_default_submission_is_exercises_and_cuda_is_skipped_visibly(kit):
    result = run(kit, GOOD)
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["*needs CUDA: not graded here*"])


def test_submission_option_points_elsewhere(kit):
    (kit.path / "other" / "01_x").mkdir(parents=True)
    (kit.path / "other" / "01_x" / "y.py").write_text(GOOD)
    result = run(kit, "raise SystemExit('not this one')\n", "--submission", "other")
    result.assert_outcomes(passed=2, skipped=1)


def test_missing_submission_dir_is_a_usage_error(kit):
    result = run(kit, GOOD, "--submission", "nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--submission nowhere: no such directory*"])


@pytest.mark.parametrize("source, words", [
    ("def double(x)\n    return x\n", "*exercises/01_x/y.py:1: SyntaxError*"),
    ("import math\nmath.sqrt(-1)\ndef double(x):\n    return 2 * x\n",
     "*exercises/01_x/y.py:2: importing the file raised ValueError*"),
    ("def twice(x):\n    return 2 * x\n", "*does not define `double`*"),
    ("import sys\nsys.exit(3)\n", "*raised SystemExit*"),
])
def test_broken_files_fail_with_file_line_and_error(kit, source, words):
    result = run(kit, source)
    if "does not define" in words:
        result.assert_outcomes(failed=2, skipped=1)
    else:  # the file cannot be imported: the kata fixture fails at set-up
        result.assert_outcomes(errors=2, skipped=1)
    result.stdout.fnmatch_lines([words])


def test_failures_lead_with_the_teaching_message(kit):
    result = run(kit, "def double(x):\n    return 3 * x\n")
    result.stdout.fnmatch_lines(["*multiply by two*", "*the result has wrong values*"])


def test_torch_errors_are_translated(kit):
    source = "import torch\ndef double(x):\n    x.requires_grad_()\n    x += x\n    return x\n"
    result = run(kit, source)
    result.stdout.fnmatch_lines(["*changed in place while autograd was recording*"])


def test_global_torch_state_is_reset_between_tests(kit):
    (kit.path / "tests" / "public" / "01_x" / "test_y.py").write_text(
        "import torch\n"
        "def test_a(kata):\n    torch.set_grad_enabled(False)\n    torch.set_default_dtype(torch.float64)\n"
        "def test_b(kata):\n    assert torch.is_grad_enabled()\n    assert torch.get_default_dtype() == torch.float32\n")
    run(kit, GOOD).assert_outcomes(passed=2)

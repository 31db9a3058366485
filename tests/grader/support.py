"""Paths and helpers shared by the grader's own tests."""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIXTURE_KIT = HERE / "fixtures" / "kit"
SUBMISSIONS = HERE / "fixtures" / "submissions"
UPDATE_GOLDEN = os.environ.get("KATAS_UPDATE_GOLDEN") == "1"


def run_cli(*args: str, cwd: Path = ROOT, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)

"""Learner state in `<kit>/.katas/state.json`: the hash of each kata file that passed `check`,
and how many hints of each kata were shown. Small, human-readable, ignored by git."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from grader.build import stub_marker, todo_count
from grader.files import write_atomic
from grader.manifest import Kata

STATE_DIR = ".katas"
STATE_FILE = "state.json"


class Progress(str, Enum):
    DONE = "done"
    IN_PROGRESS = "in progress"
    NOT_STARTED = "not started"


@dataclass
class LearnerState:
    path: Path
    passed: dict[str, str]  # kata id -> sha256 of the file that passed
    hints: dict[str, int]  # kata id -> hints shown

    @classmethod
    def load(cls, root: Path) -> LearnerState:
        path = root / STATE_DIR / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        passed = data.get("passed") if isinstance(data.get("passed"), dict) else {}
        hints = data.get("hints") if isinstance(data.get("hints"), dict) else {}
        return cls(path, {str(k): str(v) for k, v in passed.items()},
                   {str(k): int(v) for k, v in hints.items() if isinstance(v, int)})

    def save(self) -> None:
        write_atomic(self.path, json.dumps({"passed": self.passed, "hints": self.hints},
                                           indent=2, sort_keys=True))


def file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def progress_of(kata: Kata, submission: Path, state: LearnerState) -> Progress:
    path = submission / kata.relative_file()
    digest = file_hash(path)
    if digest is not None and state.passed.get(kata.id) == digest:
        return Progress.DONE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return Progress.NOT_STARTED
    count = todo_count(text, kata.id)
    if count is not None and text.count(stub_marker(kata.id)) >= count:
        return Progress.NOT_STARTED  # every place to fill still raises NotImplementedError
    return Progress.IN_PROGRESS

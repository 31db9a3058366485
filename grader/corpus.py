"""The mistakes corpus: realistic wrong answers (and right-but-different ones) for each kata.

`tests/mistakes/<kata id>/<name>.py` is a complete kata file whose header says what it is:

    # MISTAKE: forgets torch.no_grad(), so autograd refuses the in-place update
    # FEEDBACK: torch.no_grad()

(one or more FEEDBACK lines, each a phrase that the grader's feedback must contain,
case-insensitive), or

    # ALTERNATE: clears gradients with p.grad.zero_() instead of None

which must score full marks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.manifest import Kata


class CorpusError(ValueError):
    pass


@dataclass(frozen=True)
class CorpusCase:
    kata_id: str
    path: Path
    kind: str  # "mistake" or "alternate"
    description: str
    feedback: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.kata_id}/{self.path.stem}"


def parse_case(kata_id: str, path: Path) -> CorpusCase:
    kind = description = None
    feedback: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        key, _, value = stripped.lstrip("#").strip().partition(":")
        key, value = key.strip().upper(), value.strip()
        if key in ("MISTAKE", "ALTERNATE") and value:
            kind, description = key.lower(), value
        elif key == "FEEDBACK" and value:
            feedback.append(value)
    if kind is None:
        raise CorpusError(f"{path}: the header must start with '# MISTAKE: ...' or '# ALTERNATE: ...'")
    if kind == "mistake" and not feedback:
        raise CorpusError(f"{path}: a mistake needs at least one '# FEEDBACK: words' line")
    if kind == "alternate" and feedback:
        raise CorpusError(f"{path}: an alternate scores full marks, so it takes no FEEDBACK line")
    return CorpusCase(kata_id, path, kind, description, tuple(feedback))


def cases_for(kata: Kata) -> list[CorpusCase]:
    if not kata.mistakes_dir.is_dir():
        return []
    return [parse_case(kata.id, p) for p in sorted(kata.mistakes_dir.glob("*.py"))]


def missing_feedback(case: CorpusCase, feedback_text: str) -> list[str]:
    """The FEEDBACK phrases that the grader's feedback does not contain."""
    haystack = " ".join(feedback_text.lower().split())
    return [w for w in case.feedback if " ".join(w.lower().split()) not in haystack]

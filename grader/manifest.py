"""The manifest: `katas.toml` parsed into frozen dataclasses.

Everything else asks this module about katas; nothing else reads the file. Every path of a kata
follows from its id (`<chapter>/<name>`), so a newcomer finds any kata's files by its id alone:

    solutions/<chapter>/<name>.py                  the reference solution
    exercises/<chapter>/<name>.py                  the generated stub learners edit
    tests/public/<chapter>/test_<name>.py          basic tests learners see
    tests/hidden/<chapter>/test_<name>.py          the full grading suite
    tests/mistakes/<chapter>/<name>/*.py           realistic wrong (and alternative right) answers
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

FORMAT_VERSION = 1
MANIFEST_NAME = "katas.toml"
DEFAULT_TIMEOUT_S = 60
_ID_PATTERN = re.compile(r"^[0-9]{2}_[a-z0-9_]+/[a-z][a-z0-9_]*$")


class ManifestError(ValueError):
    """The manifest is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Kata:
    id: str
    title: str
    topic: str
    points: int
    hints: tuple[str, ...]
    timeout: int
    teaches: str
    root: Path

    @property
    def chapter(self) -> str:
        return self.id.split("/")[0]

    @property
    def name(self) -> str:
        return self.id.split("/")[1]

    @property
    def solution(self) -> Path:
        return self.root / "solutions" / f"{self.id}.py"

    @property
    def exercise(self) -> Path:
        return self.root / "exercises" / f"{self.id}.py"

    @property
    def public_tests(self) -> Path:
        return self.root / "tests" / "public" / self.chapter / f"test_{self.name}.py"

    @property
    def hidden_tests(self) -> Path:
        return self.root / "tests" / "hidden" / self.chapter / f"test_{self.name}.py"

    @property
    def hidden_scenarios(self) -> Path:
        """The scenarios of the hidden tests: what runs beside the submission (grader.observe)."""
        return self.root / "tests" / "hidden" / self.chapter / f"observe_{self.name}.py"

    @property
    def hidden_files(self) -> tuple[Path, ...]:
        return (self.hidden_tests, self.hidden_scenarios)

    @property
    def mistakes_dir(self) -> Path:
        return self.root / "tests" / "mistakes" / self.id

    def relative_file(self) -> str:
        """The kata's file inside any submission directory, e.g. `02_autograd/sgd.py`."""
        return f"{self.id}.py"


@dataclass(frozen=True)
class Manifest:
    path: Path
    katas: tuple[Kata, ...]

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(k.id for k in self.katas)

    def get(self, kata_id: str) -> Kata:
        for kata in self.katas:
            if kata.id == kata_id:
                return kata
        raise KeyError(kata_id)

    def select(self, ids: list[str] | None) -> tuple[Kata, ...]:
        """The katas named (in manifest order), or all; unknown ids raise KeyError naming them."""
        if not ids:
            return self.katas
        unknown = [i for i in ids if i not in self.ids]
        if unknown:
            raise KeyError(", ".join(unknown))
        wanted = set(ids)
        return tuple(k for k in self.katas if k.id in wanted)


def find_root(start: Path | None = None) -> Path:
    """The kit root: the nearest directory at or above `start` (default: this package's parent)
    that holds katas.toml."""
    here = (start or Path(__file__).resolve().parent.parent).resolve()
    for candidate in (here, *here.parents):
        if (candidate / MANIFEST_NAME).is_file():
            return candidate
    raise ManifestError(f"no {MANIFEST_NAME} found at or above {here}")


def load(path: Path | None = None) -> Manifest:
    path = Path(path) if path else find_root() / MANIFEST_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{path}: not found") from None
    except tomllib.TOMLDecodeError as err:
        raise ManifestError(f"{path}: not valid TOML: {err}") from None
    version = data.get("format")
    if version != FORMAT_VERSION:
        raise ManifestError(
            f"{path}: format = {version!r}, this grader reads format = {FORMAT_VERSION}"
        )
    entries = data.get("kata")
    if not isinstance(entries, list) or not entries:
        raise ManifestError(f"{path}: no [[kata]] entries")
    katas = tuple(_parse_entry(path, i, e) for i, e in enumerate(entries, start=1))
    seen: set[str] = set()
    for kata in katas:
        if kata.id in seen:
            raise ManifestError(f"{path}: kata {kata.id!r} is listed twice")
        seen.add(kata.id)
    return Manifest(path=path.resolve(), katas=katas)


def _parse_entry(path: Path, index: int, entry: object) -> Kata:
    where = f"{path}: [[kata]] #{index}"
    if not isinstance(entry, dict):
        raise ManifestError(f"{where}: expected a table")
    allowed = {"id", "title", "topic", "points", "hints", "timeout", "teaches"}
    extra = sorted(set(entry) - allowed)
    if extra:
        raise ManifestError(f"{where}: unknown key(s) {', '.join(extra)}")
    kata_id = entry.get("id")
    if not isinstance(kata_id, str) or not _ID_PATTERN.match(kata_id):
        raise ManifestError(
            f"{where}: id {kata_id!r} must look like '02_autograd/sgd' "
            "(two-digit chapter, underscore, name; lower case)"
        )
    where = f"{path}: kata {kata_id!r}"

    def text(key: str, required: bool = True) -> str:
        value = entry.get(key, "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise ManifestError(f"{where}: '{key}' must be a non-empty string")
        return value.strip()

    points = entry.get("points")
    if type(points) is not int or points <= 0:
        raise ManifestError(f"{where}: 'points' must be a positive integer, got {points!r}")
    hints = entry.get("hints")
    if (
        not isinstance(hints, list)
        or not hints
        or not all(isinstance(h, str) and h.strip() for h in hints)
    ):
        raise ManifestError(f"{where}: 'hints' must be a non-empty list of non-empty strings")
    timeout = entry.get("timeout", DEFAULT_TIMEOUT_S)
    if type(timeout) is not int or timeout <= 0:
        raise ManifestError(f"{where}: 'timeout' must be a positive number of seconds")
    return Kata(
        id=kata_id,
        title=text("title"),
        topic=text("topic"),
        points=points,
        hints=tuple(h.strip() for h in hints),
        timeout=timeout,
        teaches=text("teaches", required=False),
        root=path.resolve().parent,
    )

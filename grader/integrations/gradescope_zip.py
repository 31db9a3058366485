"""The Gradescope autograder zip: `python -m grader gradescope OUT.zip [--kata ID ...]`.

Gradescope unpacks the zip to `/autograder/source`, runs `setup.sh` once (as root, Ubuntu) when
it builds the image, then for every submission copies `run_autograder` to `/autograder/`, puts
the student's upload in `/autograder/submission/` and reads `/autograder/results/results.json`.

The zip holds, at its root: `setup.sh` (Python >= 3.11 and a venv with the pinned dependencies
from `constraints.txt`; the CPU build of torch), `run_autograder`, the `grader` package, a
`katas.toml` listing only the katas chosen, `pyproject.toml`, `constraints.txt` and those katas'
hidden tests. Never solutions, exercises or the mistakes/adversarial corpora. Entries are sorted
and time-stamped 1980-01-01, so the same kit gives the same bytes.

`run_autograder` reads two environment variables, so a test can run it against a fake root:
`AUTOGRADER_ROOT` (default `/autograder`) and `KATAS_PYTHON` (default the venv `setup.sh` made).
It copies only the kata files from the upload into a fresh folder (`prepare`, below), grades
that with `python -m grader grade --format gradescope`, then adds to the results' `output` what
was found in the upload (`finish`). A student may upload the contents of `exercises/`
(`<chapter>/<name>.py`), the whole repo (with its `exercises/` folder, also one folder down, as
when a folder is zipped) or single kata files (`sgd.py`, when the name is unique); a kata that
is not found is graded like a missing file: 0 points with the reason.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import tomllib
import zipfile
from pathlib import Path

from grader.manifest import MANIFEST_NAME, Kata, Manifest

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
MAX_KATA_FILE_BYTES = 1024 * 1024
_SKIP_DIRS = {"__MACOSX", "__pycache__", ".git", ".venv", "venv", "node_modules"}
_KIT_FILES = ("pyproject.toml", "constraints.txt")
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu).
# It makes a venv with the kit's pinned dependencies; running it again changes nothing.
# KATAS_VENV: where the venv goes (default $AUTOGRADER_ROOT/venv);
# KATAS_TORCH_INDEX: where torch comes from (default: the CPU wheels; empty: PyPI).
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${AUTOGRADER_ROOT:-/autograder}"
VENV="${KATAS_VENV:-$ROOT/venv}"
TORCH_INDEX="${KATAS_TORCH_INDEX-__TORCH_INDEX__}"
STAMP="$VENV/.katas-constraints"

usable() {  # Python >= 3.11 with a working venv module (Debian splits ensurepip out)
  command -v "$1" >/dev/null 2>&1 &&
    "$1" -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && cmp -s "$STAMP" "$SOURCE/constraints.txt"; then
  echo "setup.sh: $VENV is up to date"
  exit 0
fi

PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if usable "$candidate"; then PYTHON="$candidate"; break; fi
done
if [ -z "$PYTHON" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends python3.11 python3.11-venv ||
    { apt-get install -y --no-install-recommends software-properties-common &&
      add-apt-repository -y ppa:deadsnakes/ppa && apt-get update &&
      apt-get install -y --no-install-recommends python3.11 python3.11-venv; }
  PYTHON=python3.11
fi

"$PYTHON" -m venv --clear "$VENV"
"$VENV/bin/python" -m pip install --upgrade pip
TORCH="$(grep -E '^torch==' "$SOURCE/constraints.txt")"
if [ -n "$TORCH_INDEX" ]; then
  "$VENV/bin/python" -m pip install --index-url "$TORCH_INDEX" "$TORCH"
fi
"$VENV/bin/python" -m pip install -r "$SOURCE/constraints.txt" numpy
"$VENV/bin/python" -c 'import torch, numpy, pytest, pytest_timeout; print("torch", torch.__version__)'
cp "$SOURCE/constraints.txt" "$STAMP"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission (a copy of it, in $AUTOGRADER_ROOT).
# AUTOGRADER_ROOT: default /autograder; KATAS_PYTHON: default the venv setup.sh made.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
PYTHON="${KATAS_PYTHON:-${KATAS_VENV:-$ROOT/venv}/bin/python}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cd "$SOURCE" || exit 3
export PYTHONPATH="$SOURCE" PYTHONDONTWRITEBYTECODE=1
"$PYTHON" -m grader.integrations.gradescope_zip prepare "$ROOT/submission" "$STAGE/submission" \
  > "$STAGE/notes.txt" || exit 3
"$PYTHON" -m grader --manifest "$SOURCE/katas.toml" grade "$STAGE/submission" \
  --format gradescope -o "$RESULTS"
status=$?
if [ "$status" -ne 0 ]; then
  echo "run_autograder: the grader failed (exit $status); no results written" >&2
  exit "$status"
fi
"$PYTHON" -m grader.integrations.gradescope_zip finish "$RESULTS" "$STAGE/notes.txt"
"""


class ZipError(ValueError):
    """The autograder zip cannot be built; the message says why."""


def build_autograder_zip(manifest: Manifest, out_zip: Path, kata_ids: list[str] | None = None) -> Path:
    """Write the autograder zip for the katas named (default: all); returns its path."""
    katas = manifest.select(kata_ids)
    root = manifest.root
    entries: dict[str, tuple[bytes, int]] = {
        "setup.sh": (SETUP_SH.replace("__TORCH_INDEX__", TORCH_CPU_INDEX).encode(), 0o755),
        "run_autograder": (RUN_AUTOGRADER.encode(), 0o755),
        MANIFEST_NAME: (manifest_subset(manifest.path.read_text(encoding="utf-8"),
                                        [k.id for k in katas]).encode(), 0o644),
    }
    for name in _KIT_FILES:
        path = root / name
        if not path.is_file():
            raise ZipError(f"{path}: not found (the zip needs it)")
        entries[name] = (path.read_bytes(), 0o644)
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".ini"):
            entries[f"grader/{path.relative_to(package).as_posix()}"] = (path.read_bytes(), 0o644)
    for kata in katas:
        for path in kata.hidden_files:
            if not path.is_file():
                raise ZipError(f"{kata.id}: no hidden tests at {path}")
            entries[path.relative_to(root).as_posix()] = (path.read_bytes(), 0o644)
    for name in entries:  # the zip goes to a server students' code runs on: no answers in it
        if name.startswith(("solutions/", "exercises/", "tests/mistakes/", "tests/adversarial")):
            raise ZipError(f"{name}: must not be in the autograder zip")
    out_zip = Path(out_zip)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_zip.with_name(f".{out_zip.name}.tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for name in sorted(entries):
            data, mode = entries[name]
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the mode below is honoured by unzip
            info.external_attr = (stat.S_IFREG | mode) << 16
            archive.writestr(info, data, compresslevel=9)
    os.replace(tmp, out_zip)
    return out_zip


def manifest_subset(text: str, ids: list[str]) -> str:
    """katas.toml with only the `[[kata]]` tables of `ids` (comments and order kept)."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() == "[[kata]]"]
    if not starts:
        raise ZipError(f"{MANIFEST_NAME}: no [[kata]] tables")
    kept = lines[: starts[0]]
    for begin, end in zip(starts, [*starts[1:], len(lines)]):
        block = "".join(lines[begin:end])
        [entry] = tomllib.loads(block)["kata"]
        if entry["id"] in ids:
            kept.append(block)
    result = "".join(kept)
    found = [e["id"] for e in tomllib.loads(result).get("kata", [])]
    if sorted(found) != sorted(ids):
        raise ZipError(f"{MANIFEST_NAME}: could not cut out the tables of {', '.join(ids)}")
    return result


# --------------------------------------------------------------------------------------------
# Inside the autograder: find the kata files in an upload, and report what was found.


def find_kata_file(upload: Path, kata: Kata, unique_names: set[str]) -> Path | None:
    """Where the upload holds this kata's file, or None. Looked for in this order: exercises/,
    the upload's root, each top-level folder (and its exercises/), then `<name>.py` at the root
    when no other kata has that name."""
    rel = kata.relative_file()
    places = [upload / "exercises" / rel, upload / rel]
    for top in _folders(upload):
        places += [top / "exercises" / rel, top / rel]
    if kata.name in unique_names:
        places.append(upload / f"{kata.name}.py")
    for place in places:
        if _safe_file(upload, place):
            return place
    return None


def _folders(upload: Path) -> list[Path]:
    try:
        return sorted(p for p in upload.iterdir() if p.is_dir() and not p.is_symlink()
                      and not p.name.startswith(".") and p.name not in _SKIP_DIRS)
    except OSError:
        return []


def _safe_file(upload: Path, path: Path) -> bool:
    """A plain file inside the upload: no symlink anywhere on the way (it could point at the
    hidden tests), not too big."""
    try:
        relative = path.relative_to(upload)
    except ValueError:
        return False
    current = upload
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            return False
    return path.is_file() and path.stat().st_size <= MAX_KATA_FILE_BYTES


def prepare(manifest: Manifest, upload: Path, stage: Path) -> list[str]:
    """Copy each kata's file found in `upload` to `stage/<chapter>/<name>.py`; returns notes for
    the student (what was found, what was not)."""
    stage.mkdir(parents=True, exist_ok=True)
    names = [k.name for k in manifest.katas]
    unique = {n for n in names if names.count(n) == 1}
    found, missing = [], []
    for kata in manifest.katas:
        source = find_kata_file(upload, kata, unique) if upload.is_dir() else None
        if source is None:
            missing.append(kata)
            continue
        target = stage / kata.relative_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
        found.append((kata, source.relative_to(upload).as_posix()))
    notes = []
    if not found:
        notes.append("No kata file was found in your upload. Upload the files of your exercises/ "
                     "folder (<chapter>/<name>.py, e.g. 02_autograd/sgd.py) or the whole repository "
                     "with its exercises/ folder.")
    else:
        folders = sorted({where[: -len(kata.relative_file())] or "./" for kata, where in found
                          if where.endswith(kata.relative_file())})
        where = f" (in {', '.join(folders)})" if folders else ""
        notes.append(f"Found {len(found)} of {len(manifest.katas)} kata files in your upload{where}.")
    if missing and found:
        notes.append("Not found in your upload (0 points): "
                     + ", ".join(k.relative_file() for k in missing))
    return notes


def finish(results: Path, notes: list[str]) -> None:
    """Put the notes about the upload above the results' output."""
    data = json.loads(results.read_text(encoding="utf-8"))
    if notes:
        data["output"] = "\n".join([*notes, "", data.get("output", "")]).rstrip() + "\n"
    tmp = results.with_name(f".{results.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, results)


def cli_gradescope(args, manifest: Manifest) -> int:
    """`python -m grader gradescope OUT.zip [--kata ID ...]`."""
    from grader.cli import UsageError

    out = Path(args.output)
    if out.suffix != ".zip":
        raise UsageError(f"{args.output}: the output file must end in .zip")
    if out.is_dir():
        raise UsageError(f"{args.output}: is a directory")
    try:
        katas = manifest.select(args.kata)
    except KeyError as err:
        raise UsageError(f"unknown kata id(s): {err.args[0]} (see `python -m grader list`)") from None
    try:
        build_autograder_zip(manifest, out, args.kata)
    except ZipError as err:
        raise UsageError(str(err)) from None
    size = out.stat().st_size
    print(f"wrote {out} ({len(katas)} kata(s), {sum(k.points for k in katas)} points, "
          f"{size / 1024:.0f} KiB)")
    print("next: upload it as the assignment's autograder on Gradescope (Ubuntu base image)",
          file=sys.stderr)
    return 0


def main(argv: list[str]) -> int:
    """`prepare UPLOAD STAGE` (notes on stdout) and `finish RESULTS NOTES_FILE`, for run_autograder."""
    from grader import manifest as manifest_mod

    if len(argv) == 3 and argv[0] == "prepare":
        manifest = manifest_mod.load()
        for note in prepare(manifest, Path(argv[1]), Path(argv[2])):
            print(note)
        return 0
    if len(argv) == 3 and argv[0] == "finish":
        notes_path = Path(argv[2])
        notes = notes_path.read_text(encoding="utf-8").splitlines() if notes_path.is_file() else []
        finish(Path(argv[1]), [n for n in notes if n.strip()])
        return 0
    print("usage: python -m grader.integrations.gradescope_zip prepare UPLOAD STAGE | "
          "finish RESULTS NOTES", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

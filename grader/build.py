"""Solutions in, stubs out: `make_stub` is pure text -> text; `build` loops over the manifest.

A solution region looks like

        ### BEGIN SOLUTION
        # TODO: say what to write, in one or more comment lines.
        ...the reference code...
        ### END SOLUTION

and becomes, at the marker's indentation, the region's leading `# TODO:` comment lines followed by
`raise NotImplementedError("<kata>: <function>() is not implemented yet ...")`. Everything outside
the regions (imports, signatures, docstrings) is kept verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.manifest import Kata, Manifest

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
GENERATED_PREFIX = "# Generated from solutions/{id}.py by `python -m grader build`"
GENERATED_HEADER = GENERATED_PREFIX + " ({count} to do): replace each NotImplementedError.\n"
_COUNT = re.compile(r" \((\d+) to do\)")
_DEF = re.compile(r"^(\s*)(?:async\s+)?(def|class)\s+([A-Za-z_][A-Za-z0-9_]*)")


class StubError(ValueError):
    """A solution file's regions are malformed; the message names the line."""


@dataclass(frozen=True)
class Region:
    begin_line: int  # 1-based line of the BEGIN marker
    end_line: int
    owner: str  # e.g. "LoRALinear.forward" or "sgd_step"
    todo: tuple[str, ...]  # the leading "# TODO" comment lines, stripped
    body: tuple[str, ...]  # the solution lines (without the TODO comments)


def find_regions(source: str, filename: str = "<solution>") -> list[Region]:
    lines = source.splitlines()
    regions: list[Region] = []
    scopes: list[tuple[int, str]] = []  # (indent, name) of enclosing def/class
    start: int | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if start is None:
            match = _DEF.match(line)
            if match:
                indent = len(match.group(1))
                while scopes and scopes[-1][0] >= indent:
                    scopes.pop()
                scopes.append((indent, match.group(3)))
        if stripped == BEGIN:
            if start is not None:
                raise StubError(f"{filename}:{number}: {BEGIN} inside another solution region")
            start = number
            marker_indent = len(line) - len(line.lstrip())
            while scopes and scopes[-1][0] >= marker_indent:
                scopes.pop()
            owner = ".".join(name for _, name in scopes) or "<module>"
        elif stripped == END:
            if start is None:
                raise StubError(f"{filename}:{number}: {END} without a {BEGIN}")
            inner = [l.strip() for l in lines[start:number - 1]]
            todo = []
            for text in inner:
                if text.startswith("#") and (todo or text.upper().startswith("# TODO")):
                    todo.append(text)
                else:
                    break
            body = tuple(inner[len(todo):])
            regions.append(Region(start, number, owner, tuple(todo), body))
            start = None
    if start is not None:
        raise StubError(f"{filename}:{start}: {BEGIN} is never closed by {END}")
    return regions


def make_stub(solution: str, kata_id: str) -> str:
    """The exercise text for a solution text. Pure: same input, same output."""
    filename = f"solutions/{kata_id}.py"
    regions = find_regions(solution, filename)
    if not regions:
        raise StubError(f"{filename}: no {BEGIN} / {END} region: nothing for the learner to write")
    lines = solution.splitlines(keepends=True)
    out: list[str] = [GENERATED_HEADER.format(id=kata_id, count=len(regions))]
    cursor = 0
    for region in regions:
        out.extend(lines[cursor:region.begin_line - 1])
        marker = lines[region.begin_line - 1]
        indent = marker[: len(marker) - len(marker.lstrip())]
        for todo in region.todo:
            out.append(f"{indent}{todo}\n")
        where = "" if region.owner == "<module>" else f" {region.owner}()"
        out.append(
            f'{indent}raise NotImplementedError("{kata_id}:{where} is not implemented yet: '
            f'replace this line with your code")\n'
        )
        cursor = region.end_line
    out.extend(lines[cursor:])
    return "".join(out)


@dataclass(frozen=True)
class BuildResult:
    kata: Kata
    action: str  # "written", "unchanged", "stale", "kept-edits", "missing"
    message: str = ""


def is_generated(text: str, kata_id: str) -> bool:
    return text.startswith(GENERATED_PREFIX.format(id=kata_id))


def stub_marker(kata_id: str) -> str:
    """The start of every line the build puts where the learner's code goes."""
    return f'raise NotImplementedError("{kata_id}:'


def todo_count(text: str, kata_id: str) -> int | None:
    """How many places the generated stub asked to fill (from its header), if it is one."""
    if not is_generated(text, kata_id):
        return None
    match = _COUNT.search(text.splitlines()[0])
    return int(match.group(1)) if match else None


def build_kata(kata: Kata, check: bool = False, force: bool = False) -> BuildResult:
    """Write (or, with check, compare) the exercise for one kata.

    An exercise that a learner has edited is never overwritten without `force`: the build tells
    apart the generated stub from edits by comparing with what it would generate, and an edited
    file is kept unless forced.
    """
    if not kata.solution.is_file():
        return BuildResult(kata, "missing", f"{kata.solution} is missing: write the solution first")
    try:
        wanted = make_stub(kata.solution.read_text(encoding="utf-8"), kata.id)
    except StubError as err:
        return BuildResult(kata, "missing", str(err))
    current = kata.exercise.read_text(encoding="utf-8") if kata.exercise.exists() else None
    if current == wanted:
        return BuildResult(kata, "unchanged")
    if check:
        return BuildResult(
            kata, "stale", f"{kata.exercise} is out of date: run `python -m grader build`"
        )
    if current is not None and not force and not _looks_untouched(current, kata):
        return BuildResult(
            kata,
            "kept-edits",
            f"{kata.exercise} holds edits (no longer the generated stub); kept. "
            "Use --force to overwrite it.",
        )
    kata.exercise.parent.mkdir(parents=True, exist_ok=True)
    kata.exercise.write_text(wanted, encoding="utf-8")
    return BuildResult(kata, "written")


def _looks_untouched(current: str, kata: Kata) -> bool:
    """A generated stub whose regions still raise NotImplementedError everywhere: safe to replace
    (only the surrounding text changed in the solution)."""
    count = todo_count(current, kata.id)
    return count is not None and current.count(stub_marker(kata.id)) >= count


def build(manifest: Manifest, ids: list[str] | None = None, check: bool = False,
          force: bool = False) -> list[BuildResult]:
    return [build_kata(k, check=check, force=force) for k in manifest.select(ids)]


"""The class report: `python -m grader report BATCH_OUT_DIR... [-o REPORT_DIR] [--kata ID ...]`.

Reads the per-student results that `grade-batch` wrote (OUT/<student>/report.json; several
folders for the shards of one class) and writes to REPORT_DIR (default BATCH_OUT_DIR/report):

- `class.csv`: one row per student, one column per kata, the total (as grade-batch writes it);
- `report.md`: per kata, the pass rate (students with full marks), the mean score, how many
  scored full / partial / zero or did not start, and the most frequent mistakes, grouped by
  feedback message, so an instructor sees what to re-teach;
- `report.png`: one bar per kata (in the order report.md lists), its height the pass rate.

Mistakes are counted once per student and kata. Messages are grouped by their first line with
the facts that differ between students taken out (file paths, code locations, numbers, quoted
values), so "7 of 12 elements differ" and "3 of 12 elements differ" are one mistake. A stub's
"not implemented" is no mistake: it is counted as "not started".
"""

from __future__ import annotations

import re
import struct
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grader.feedback import first_line
from grader.files import write_atomic
from grader.results import KataResult, KataStatus, Outcome, Report

TOP_MISTAKES = 3
MESSAGE_WIDTH = 160
_LOCATION = re.compile(r"\s*\(at \S+ line \d+\b.*$")  # "(at 01_demo/add.py line 6: <code>)"
_PATH = re.compile(r"(?<![\w/])/(?:[\w.~-]+/)*[\w.~-]+|[\w./-]*\w\.py\b(?::\d+)?")
_OWNER = re.compile(r"(?<![\w/])(?:[^\s/:()]+/)+(?=\d{2}_[a-z0-9_]+/[a-z][a-z0-9_]*\.py)")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w])")
_SHAPE = re.compile(r"\[N(?:, N)*\]|\(N(?:, N)*,?\)")  # [2, 3] and (2, 3): any shape
_RUN = re.compile(r"N(?:, N)+")


@dataclass(frozen=True)
class Mistake:
    key: str  # the normalised message the group shares
    count: int  # students who made it
    example: str  # the first line of one student's message (the first student's, by name)


@dataclass(frozen=True)
class KataSummary:
    kata_id: str
    title: str
    students: int
    full: int
    partial: int
    zero: int  # attempted, no points
    not_started: int  # every failure was the stub's NotImplementedError
    mean_score: float
    max_score: float
    mistakes: tuple[Mistake, ...]  # the most frequent
    other_mistakes: int = 0  # how many more kinds of mistake were made

    @property
    def pass_rate(self) -> float:
        return self.full / self.students if self.students else 0.0


# ---------------------------------------------------------------------------------------------
# grouping mistakes


def example_line(text: str) -> str:
    """A message's first line as the report shows it: whitespace collapsed, without the code
    location and without the folder that names the student (`ann/01_demo/add.py` ->
    `01_demo/add.py`)."""
    return _OWNER.sub("", _LOCATION.sub("", " ".join(first_line(text).split())))


def normalise_message(text: str) -> str:
    """The mistake a message names, without the facts of one student's case."""
    line = example_line(text)
    line = _PATH.sub("<file>", line)
    line = _HEX.sub("0x…", line)
    line = _QUOTED.sub("'…'", line)
    line = _NUMBER.sub("N", line)
    line = _SHAPE.sub(lambda m: m.group(0)[0] + "…" + m.group(0)[-1], line)
    line = _RUN.sub("N, …", line)
    return line[:MESSAGE_WIDTH]


def student_mistakes(kata: KataResult) -> set[str]:
    """One student's distinct mistakes in one kata (original first lines, by normalised key)."""
    if kata.error:
        return {kata.error}
    return {t.message or "failed (no message)" for t in kata.tests
            if t.outcome == Outcome.FAILED and not t.not_implemented}


def group_mistakes(per_student: Iterable[Iterable[str]]) -> tuple[Mistake, ...]:
    """The mistakes, most frequent first: each student's messages (in student order) are
    normalised; a student counts once per group. Ties keep the order first seen."""
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for messages in per_student:
        keys = {}
        for message in sorted(messages):
            keys.setdefault(normalise_message(message), example_line(message))
        for key, example in keys.items():
            counts[key] += 1
            examples.setdefault(key, example[:MESSAGE_WIDTH])
    order = {key: i for i, key in enumerate(examples)}
    ranked = sorted(counts, key=lambda k: (-counts[k], order[k]))
    return tuple(Mistake(k, counts[k], examples[k]) for k in ranked)


# ---------------------------------------------------------------------------------------------
# the numbers


def kata_order(reports: list[Report], manifest_ids: Iterable[str] = ()) -> list[str]:
    """The katas in the reports: in manifest order, then any the manifest does not know."""
    seen = [k.kata_id for r in reports for k in r.katas]
    known = [i for i in manifest_ids if i in seen]
    return known + sorted(set(seen) - set(known))


def summarise(reports: list[Report], kata_ids: list[str]) -> list[KataSummary]:
    summaries = []
    for kata_id in kata_ids:
        results = [(r.submission, k) for r in sorted(reports, key=lambda r: r.submission)
                   for k in r.katas if k.kata_id == kata_id]
        katas = [k for _, k in results]
        full = sum(1 for k in katas if k.status == KataStatus.PASSED)
        not_started = sum(1 for k in katas if k.status == KataStatus.NOT_IMPLEMENTED)
        zero = sum(1 for k in katas if k.score == 0 and k.status not in
                   (KataStatus.PASSED, KataStatus.NOT_IMPLEMENTED))
        n = len(katas)
        mistakes = group_mistakes(student_mistakes(k) for k in katas)
        summaries.append(KataSummary(
            kata_id=kata_id, title=katas[0].title if katas else "", students=n, full=full,
            partial=n - full - zero - not_started, zero=zero, not_started=not_started,
            mean_score=round(sum(k.score for k in katas) / n, 2) if n else 0.0,
            max_score=max((k.max_score for k in katas), default=0.0),
            mistakes=mistakes[:TOP_MISTAKES], other_mistakes=len(mistakes[TOP_MISTAKES:]),
        ))
    return summaries


# ---------------------------------------------------------------------------------------------
# the report


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def render_markdown(summaries: list[KataSummary], reports: list[Report], source: str) -> str:
    n = len(reports)
    totals = sorted(r.score for r in reports)
    max_total = max((r.max_score for r in reports), default=0.0)
    lines = [f"# Class report: {source}", "",
             f"{n} student(s), {len(summaries)} kata(s). "
             f"Mean total {sum(totals) / n if n else 0:.2f} / {max_total:g}, "
             f"median {_median(totals):g}.", ""]
    weak = sorted((s for s in summaries if s.students and s.pass_rate < 0.5),
                  key=lambda s: (s.pass_rate, s.kata_id))
    if weak:
        lines += ["**Re-teach first** (fewer than half the class has full marks): "
                  + ", ".join(f"`{s.kata_id}` ({_percent(s.pass_rate)})" for s in weak), ""]
    lines += ["## Katas", "",
              "Pass rate: students with full marks. `report.png` draws one bar per kata, "
              "in this order, its height the pass rate.", "",
              "| # | kata | pass rate | mean score | full | partial | zero | not started |",
              "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for number, s in enumerate(summaries, start=1):
        lines.append(f"| {number} | `{s.kata_id}` | {_percent(s.pass_rate)} | "
                     f"{s.mean_score:g} / {s.max_score:g} | {s.full} | {s.partial} | {s.zero} | "
                     f"{s.not_started} |")
    lines += ["", "## Most frequent mistakes", ""]
    for s in summaries:
        lines += [f"### `{s.kata_id}`: {s.title}", ""]
        if not s.mistakes:
            lines += ["No mistakes: every student who started it has full marks."
                      if s.full + s.not_started == s.students else "No feedback recorded.", ""]
            continue
        for m in s.mistakes:
            who = f"{m.count} student{'s' if m.count != 1 else ''}"
            lines.append(f"- **{who}**: {_md(m.example)}")
        if s.other_mistakes:
            lines.append(f"- and {s.other_mistakes} other kind{'s' if s.other_mistakes != 1 else ''} "
                         "of mistake (see the students' report.txt)")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    """Plain text in a list item: no table breaks, emphasis or HTML (`_` inside words is safe)."""
    return text.replace("|", "\\|").replace("*", "\\*").replace("<", "&lt;")


def _median(values: list[float]) -> float:
    if not values:
        return 0.0
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else round((values[mid - 1] + values[mid]) / 2, 2)


# ---------------------------------------------------------------------------------------------
# the chart: a PNG written by hand (RGB, 8 bits, no interlace), no plotting library


BAR, GAP, PLOT_H, MARGIN = 24, 8, 200, 16
WHITE, GRID, AXIS = (255, 255, 255), (225, 225, 225), (60, 60, 60)


def bar_colour(rate: float) -> tuple[int, int, int]:
    if rate >= 0.8:
        return (46, 160, 67)  # green: most of the class has it
    if rate >= 0.5:
        return (230, 160, 30)  # amber
    return (210, 60, 50)  # red: re-teach


def render_png(pass_rates: list[float]) -> bytes:
    """One bar per kata, left to right; height = pass rate; grid lines at 25/50/75/100%."""
    width = 2 * MARGIN + max(1, len(pass_rates)) * (BAR + GAP) - GAP
    height = PLOT_H + 2 * MARGIN
    pixels = [[WHITE] * width for _ in range(height)]
    base = MARGIN + PLOT_H  # the row of the x axis
    for quarter in (1, 2, 3, 4):
        y = base - PLOT_H * quarter // 4
        for x in range(MARGIN, width - MARGIN):
            pixels[y][x] = GRID
    for i, rate in enumerate(pass_rates):
        left = MARGIN + i * (BAR + GAP)
        top = base - round(PLOT_H * min(max(rate, 0.0), 1.0))
        colour = bar_colour(rate)
        for y in range(top, base):
            pixels[y][left:left + BAR] = [colour] * BAR
    for x in range(MARGIN - 4, width - MARGIN + 4):
        pixels[base][x] = AXIS
    for y in range(MARGIN, base + 1):
        pixels[y][MARGIN - 4] = AXIS
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)
    return encode_png(width, height, raw)


def encode_png(width: int, height: int, raw: bytes) -> bytes:
    """PNG bytes from filtered scanlines (each row: filter byte 0, then RGB triples)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# ---------------------------------------------------------------------------------------------


def write_report(batch_dirs: list[Path], out_dir: Path, manifest, kata_ids: list[str] | None = None) -> dict[str, Path]:
    """Write class.csv, report.md and report.png to `out_dir`; returns them by name."""
    from grader import batch

    reports = batch.load_reports(batch_dirs)
    if not reports:
        raise batch.BatchError("no graded students found in " + ", ".join(map(str, batch_dirs)))
    order = kata_order(reports, manifest.ids)
    if kata_ids:
        order = [i for i in order if i in kata_ids]
    summaries = summarise(reports, order)
    columns = tuple(_Column(i) for i in order)
    source = ", ".join(p.resolve().name for p in batch_dirs)
    files = {"class.csv": batch.class_csv(reports, columns),
             "report.md": render_markdown(summaries, reports, source)}
    written = {}
    for name, text in files.items():
        write_atomic(out_dir / name, text)
        written[name] = out_dir / name
    png = out_dir / "report.png"
    tmp = out_dir / ".report.png.tmp"
    tmp.write_bytes(render_png([s.pass_rate for s in summaries]))
    tmp.replace(png)
    written["report.png"] = png
    return written


@dataclass(frozen=True)
class _Column:
    """A class CSV column (batch.class_csv reads only `.id`), for katas the manifest may lack."""
    id: str


def cli_report(args, manifest) -> int:
    """`python -m grader report BATCH_OUT_DIR... [-o REPORT_DIR] [--kata ID ...]`."""
    from grader import batch
    from grader.cli import UsageError

    if args.kata:
        try:
            manifest.select(args.kata)
        except KeyError as err:
            raise UsageError(f"unknown kata id(s): {err.args[0]} (see `python -m grader list`)") from None
    folders = [Path(f) for f in args.folders]
    out = Path(args.output) if args.output else folders[0] / "report"
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: not a directory")
    try:
        written = write_report(folders, out, manifest, args.kata)
    except batch.BatchError as err:
        raise UsageError(str(err)) from None
    for path in written.values():
        print(f"wrote {path}")
    return 0

"""The class report: grouping of mistakes, the numbers, report.md (golden) and report.png.

Two golden files: `report.md` for a small class built here from result objects, and
`report_scenarios.md` for the fixture kit's graded scenarios (tests/grader/golden/*.json, one
"student" each: real feedback messages). Regenerate after an intended change:
KATAS_UPDATE_GOLDEN=1 pytest tests/grader/test_report.py.
"""

from __future__ import annotations

import argparse
import json
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from grader import batch
from grader import report as class_report
from grader.results import KataResult, Outcome, Report, TestResult
from tests.grader.support import UPDATE_GOLDEN

GOLDEN = Path(__file__).parent / "golden"
SCENARIOS = sorted(p for p in GOLDEN.glob("*.json") if "." not in p.stem)  # not x.gradescope.json
ADD, SCALE = "01_demo/add", "02_demo/scale"


def _test(kata: str, name: str, ok: bool, message: str = "", not_implemented: bool = False) -> TestResult:
    return TestResult(id=f"{kata}::{name}", name=f"{kata}: {name}",
                      outcome=Outcome.PASSED if ok else Outcome.FAILED, message=message,
                      not_implemented=not_implemented)


def _add(student: str, small: bool, rnd: str, bcast: str, error: str = "") -> KataResult:
    return KataResult(ADD, "Add two tensors", 10, (
        _test(ADD, "adds two small tensors", small, "" if small else "wrong result"),
        _test(ADD, "adds random matrices", not rnd, rnd),
        _test(ADD, "broadcasts a row onto a matrix", not bcast, bcast)), error=error)


def _scale(ok: bool, message: str = "", stub: bool = False) -> KataResult:
    return KataResult(SCALE, "Scale a tensor on its device", 5, (
        _test(SCALE, "scales on the input's device [cpu]", ok, message, stub),
        _test(SCALE, "keeps the dtype", ok or not stub, message if stub else "", stub)))


DIFFER = ("sum has wrong values: {n} of 12 elements differ, max abs diff {d}\n"
          "  expected tensor([[...]])")
SHAPES = "your code raised ValueError: shapes differ (at {who}/01_demo/add.py line {line}: {code})"
STUB = "02_demo/scale: scale() is not implemented yet: replace this line with your code"


@pytest.fixture(scope="module")
def klass() -> list[Report]:
    """Six students, two katas: every bucket and a shared mistake in several guises."""
    return [
        Report("ann", (_add("ann", True, "", ""), _scale(True))),
        Report("ben", (_add("ben", True, DIFFER.format(n=3, d=0.5),
                            SHAPES.format(who="ben", line=6, code='raise ValueError("shapes differ")')),
                       _scale(True))),
        Report("cat", (_add("cat", True, DIFFER.format(n=7, d=1.25),
                            SHAPES.format(who="cat", line=9, code="raise ValueError('shapes differ')")),
                       _scale(False, STUB, stub=True))),
        Report("dan", (_add("dan", True, "", "", error="timed out: the tests did not finish within "
                            "60 s (an infinite loop?); the kata scores 0"),
                       _scale(False, "result is on cpu, expected meta: create it on x.device"))),
        Report("eve", (_add("eve", False, DIFFER.format(n=12, d=2), "broadcast | not *done*"),
                       _scale(True))),
        Report("fay", (_add("fay", True, "", ""), _scale(False, STUB, stub=True))),
    ]


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden file {path}: run with KATAS_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# grouping


@pytest.mark.parametrize("a, b", [
    (DIFFER.format(n=3, d=0.5), DIFFER.format(n=12, d="1e-3")),
    (SHAPES.format(who="ben", line=6, code="raise X"), SHAPES.format(who="cat", line=19, code="y = 1")),
    ("ann/01_demo/add.py:4: SyntaxError: expected ':' (line 4, column 14)\n    def add(a, b)",
     "bob/01_demo/add.py:7: SyntaxError: expected ':' (line 7, column 2)\n    def f()"),
    ("got shape torch.Size([2, 3]), expected torch.Size([2, 3, 4])",
     "got shape torch.Size([5]), expected torch.Size([1, 1])"),
    ("No module named 'helpers'", "No module named \"utils\""),
    ("cannot open /autograder/source/tests/x.py", "cannot open /tmp/kata-1/y"),
    ("object at 0x7f3a2b1c", "object at 0xdeadbeef"),
])
def test_same_mistake_in_different_words_is_one_group(a, b):
    assert class_report.normalise_message(a) == class_report.normalise_message(b)


@pytest.mark.parametrize("a, b", [
    ("gradients were not cleared: they accumulate", "parameters were not updated"),
    ("result has dtype float32, expected float64", "result has dtype float16, expected float64"),
    ("returns a float32 tensor on cpu/mps", "returns a float32 tensor on cuda"),
])
def test_different_mistakes_stay_apart(a, b):
    assert class_report.normalise_message(a) != class_report.normalise_message(b)


def test_a_student_counts_once_per_mistake_and_the_top_three_are_kept():
    per_student = [
        ["7 of 9 differ", "2 of 9 differ", "not cleared"],  # one student, the same mistake twice
        ["1 of 9 differ"],
        ["not cleared", "device wrong", "dtype wrong"],
        ["dtype wrong"],
        ["a rare one"],
    ]
    top = class_report.group_mistakes(per_student)
    assert [(m.key, m.count) for m in top] == [("N of N differ", 2), ("not cleared", 2),
                                              ("dtype wrong", 2), ("device wrong", 1),
                                              ("a rare one", 1)]
    assert top[0].example == "2 of 9 differ"  # the first student's, in sorted order


def test_examples_do_not_name_the_student():
    line = class_report.example_line("ann/01_demo/add.py:3: importing the file raised X\nmore")
    assert line == "01_demo/add.py:3: importing the file raised X"


def test_summary_buckets(klass):
    add, scale = class_report.summarise(klass, [ADD, SCALE])
    assert (add.students, add.full, add.partial, add.zero, add.not_started) == (6, 2, 2, 2, 0)
    assert add.pass_rate == pytest.approx(2 / 6)
    assert (scale.full, scale.partial, scale.zero, scale.not_started) == (3, 1, 0, 2)
    assert [m.count for m in add.mistakes] == [3, 2, 1] and add.other_mistakes == 2
    assert add.mistakes[0].key == "sum has wrong values: N of N elements differ, max abs diff N"
    assert all("not implemented" not in m.key for m in scale.mistakes)


# ---------------------------------------------------------------------------------------------
# report.md


def test_report_md_golden(klass):
    summaries = class_report.summarise(klass, class_report.kata_order(klass, [ADD, SCALE]))
    _check_golden("report.md", class_report.render_markdown(summaries, klass, "week-3"))


def test_report_on_the_graded_scenarios_golden(tmp_path, fixture_manifest):
    """The fixture kit's scenarios as a class, read back from grade-batch's folder layout."""
    out = tmp_path / "batch-results"
    for path in SCENARIOS:
        (out / path.stem).mkdir(parents=True)
        shutil.copy(path, out / path.stem / "report.json")
    written = class_report.write_report([out], tmp_path / "report", fixture_manifest)
    assert sorted(written) == ["class.csv", "report.md", "report.png"]
    reports = batch.load_reports([out])
    assert written["class.csv"].read_text() == batch.class_csv(reports, fixture_manifest.katas)
    text = written["report.md"].read_text()
    _check_golden("report_scenarios.md", text)
    assert "| 1 | `01_demo/add` | 8% | 1.54 / 10 | 1 | 2 | 9 | 1 |" in text  # 20 points / 13 students
    assert "- and 9 other kinds of mistake" in text and "exit_at_import" not in text


# ---------------------------------------------------------------------------------------------
# report.png


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks.append((kind, body))
        at += 12 + length
    return chunks


def test_report_png_is_a_valid_bar_chart():
    rates = [1.0, 0.5, 0.0, 0.25]
    chunks = _chunks(class_report.render_png(rates))
    assert [k for k, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour, interlace) == (8, 2, 0)
    m, bar, gap = class_report.MARGIN, class_report.BAR, class_report.GAP
    assert width == 2 * m + len(rates) * (bar + gap) - gap
    assert height == class_report.PLOT_H + 2 * m
    raw = zlib.decompress(chunks[1][1])
    assert len(raw) == height * (1 + 3 * width)
    rows = [raw[y * (1 + 3 * width):(y + 1) * (1 + 3 * width)] for y in range(height)]
    assert all(r[0] == 0 for r in rows)

    def pixel(x, y):
        return tuple(rows[y][1 + 3 * x:4 + 3 * x])

    base = m + class_report.PLOT_H

    def bar_height(i):
        x = m + i * (bar + gap) + bar // 2
        return sum(1 for y in range(m, base) if pixel(x, y) == class_report.bar_colour(rates[i]))

    assert [bar_height(i) for i in range(len(rates))] == [200, 100, 0, 50]
    assert pixel(m + bar // 2, base - 1) == class_report.bar_colour(1.0) != class_report.bar_colour(0.0)


def test_empty_chart_is_still_a_png():
    assert [k for k, _ in _chunks(class_report.render_png([]))] == [b"IHDR", b"IDAT", b"IEND"]


# ---------------------------------------------------------------------------------------------
# the command's handler


def test_cli_report_writes_into_the_batch_folder_by_default(tmp_path, klass, fixture_manifest, capsys):
    out = tmp_path / "out"
    for report in klass:
        batch.save_student(out, report.submission, report, "hash")
    args = argparse.Namespace(folders=[str(out)], output=None, kata=None)
    assert class_report.cli_report(args, fixture_manifest) == 0
    assert (out / "report" / "report.png").is_file() and "report.md" in capsys.readouterr().out
    lines = (out / "report" / "class.csv").read_text().splitlines()
    assert lines[0] == "student,01_demo/add,02_demo/scale,total,max_score,not_gradable_points"
    assert len(lines) == 1 + len(klass)
    # the report folder holds no report.json, so it is never read back as a student
    assert [r.submission for r in batch.load_reports([out])] == [r.submission for r in klass]
    args = argparse.Namespace(folders=[str(out)], output=str(tmp_path / "r2"), kata=[SCALE])
    assert class_report.cli_report(args, fixture_manifest) == 0
    assert "01_demo/add" not in (tmp_path / "r2" / "report.md").read_text()


@pytest.mark.parametrize("make, words", [
    (lambda p: p / "missing", "no such directory"),
    (lambda p: p, "no graded students"),
])
def test_cli_report_usage_errors(tmp_path, fixture_manifest, make, words):
    from grader.cli import UsageError

    args = argparse.Namespace(folders=[str(make(tmp_path))], output=str(tmp_path / "r"), kata=None)
    with pytest.raises(UsageError, match=words):
        class_report.cli_report(args, fixture_manifest)


def test_a_broken_results_file_is_a_usage_error(tmp_path, fixture_manifest):
    from grader.cli import UsageError

    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "report.json").write_text(json.dumps({"version": 99}))
    args = argparse.Namespace(folders=[str(tmp_path)], output=None, kata=["nope/x"])
    with pytest.raises(UsageError, match="unknown kata"):
        class_report.cli_report(args, fixture_manifest)
    args.kata = None
    with pytest.raises(UsageError, match="not a results file"):
        class_report.cli_report(args, fixture_manifest)


def test_python_m_grader_report(tmp_path, klass):
    """The CLI subcommand, once it is wired in grader/cli.py."""
    from tests.grader.support import FIXTURE_KIT, run_cli

    out = tmp_path / "out"
    for report in klass:
        batch.save_student(out, report.submission, report, "hash")
    fixture = ("--manifest", str(FIXTURE_KIT / "katas.toml"))
    result = run_cli(*fixture, "report", str(out), "-o", str(tmp_path / "r"))
    if "invalid choice: 'report'" in result.stderr:
        pytest.skip("`python -m grader report` is not wired in grader/cli.py yet")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r" / "report.md").read_text().startswith("# Class report: out")
    result = run_cli(*fixture, "report", str(tmp_path / "nothing"))
    assert result.returncode == 2 and "no such directory" in result.stderr

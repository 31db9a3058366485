"""Grading a whole class: `grade-batch` (parallel, resumable, shardable) and `merge`.

SUBMISSIONS_DIR holds one folder per student. For each student, OUT_DIR/<student>/ receives the
reports in every format (report.txt, report.json, results.json for Gradescope, report.xml,
report.csv) and meta.json with the content hash it was graded from, written the moment that
student is done: an interrupted batch loses nothing already graded, and a rerun skips every
student whose submission, tests and grader are unchanged. OUT_DIR/class.csv has one row per
student, one column per kata, and the total.

`--shard I/N` grades a deterministic slice (by a hash of the student's name, so adding a student
moves no one else), for an existing job runner to spread a class over machines; `merge` combines
the shards' output folders into one class CSV.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grader
from grader.files import write_atomic
from grader.formats import RENDERERS
from grader.manifest import Kata, Manifest
from grader.results import Report, report_from_dict

OUTPUTS = {"text": "report.txt", "json": "report.json", "gradescope": "results.json",
           "junit": "report.xml", "csv": "report.csv"}
META = "meta.json"
CLASS_CSV = "class.csv"


class BatchError(ValueError):
    pass


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise BatchError(f"--shard {text!r}: use I/N, e.g. 2/4") from None
        if count < 1 or not 1 <= index <= count:
            raise BatchError(f"--shard {text!r}: I must be between 1 and N")
        return cls(index, count)

    def holds(self, student: str) -> bool:
        digest = hashlib.sha256(student.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1


def students_in(submissions: Path) -> list[str]:
    if not submissions.is_dir():
        raise BatchError(f"{submissions}: no such directory (one folder per student expected)")
    names = sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not names:
        raise BatchError(f"{submissions}: no student folders in it")
    return names


def kit_hash(katas: tuple[Kata, ...]) -> str:
    """What every student's grade depends on: the grader's code and the hidden tests."""
    digest = hashlib.sha256(grader.__version__.encode())
    for kata in katas:
        digest.update(kata.id.encode())
        digest.update(kata.hidden_tests.read_bytes() if kata.hidden_tests.is_file() else b"<missing>")
    for path in sorted(Path(grader.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def content_hash(kit: str, katas: tuple[Kata, ...], student_dir: Path) -> str:
    """What one grade depends on: the kit's hash (`kit_hash`) and the student's kata files."""
    digest = hashlib.sha256(kit.encode())
    for kata in katas:
        path = student_dir / kata.relative_file()
        digest.update(kata.id.encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def is_current(out: Path, student: str, digest: str) -> bool:
    meta = out / student / META
    try:
        return json.loads(meta.read_text())["hash"] == digest and (out / student / OUTPUTS["json"]).is_file()
    except (OSError, ValueError, KeyError):
        return False


def save_student(out: Path, student: str, report: Report, digest: str) -> None:
    folder = out / student
    for fmt, name in OUTPUTS.items():
        write_atomic(folder / name, RENDERERS[fmt](report))
    write_atomic(folder / META, json.dumps({"hash": digest, "grader_version": grader.__version__}) + "\n")


def grade_batch(manifest: Manifest, submissions: Path, out: Path, katas: tuple[Kata, ...],
                options, shard: Shard | None = None, force: bool = False,
                log: Callable[[str], None] = lambda _line: None) -> list[Report]:
    from grader.runner import supervisor

    students = [s for s in students_in(submissions) if shard is None or shard.holds(s)]
    todo, hashes, kit = [], {}, kit_hash(katas)
    for student in students:
        hashes[student] = content_hash(kit, katas, submissions / student)
        if force or not is_current(out, student, hashes[student]):
            todo.append(student)
    log(f"{len(students)} student(s){f' in shard {shard.index}/{shard.count}' if shard else ''}: "
        f"{len(todo)} to grade, {len(students) - len(todo)} unchanged")
    options.others_root = submissions.resolve()
    fork = supervisor.use_fork(options)
    supervisor.prepare(fork)
    progress = Progress(len(todo), log)

    def on_student(index: int, item: supervisor.Graded) -> None:
        # Saved the moment the student is done: an interrupted batch keeps it.
        student = todo[index]
        report = Report(submission=student, katas=item.katas, isolation=item.isolation,
                        cuda_available=item.cuda, grader_version=grader.__version__)
        save_student(out, student, report, hashes[student])
        progress.step(f"{student} {report.score:g}/{report.max_score:g}")

    if todo:
        work = [(submissions / s, katas) for s in todo]
        supervisor.run_work(manifest, work, options, fork, on_item_done=on_student)
    reports = load_reports([out], students)
    write_atomic(out / CLASS_CSV, class_csv(reports, katas))
    return reports


class Progress:
    """A progress bar on a terminal, one line per student otherwise (logs, CI)."""

    def __init__(self, total: int, log: Callable[[str], None]):
        self.total, self.done, self.log = total, 0, log
        self.tty = sys.stderr.isatty()

    def step(self, what: str) -> None:
        self.done += 1
        if self.tty:
            filled = int(30 * self.done / max(self.total, 1))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} {what[:40]:40}")
            if self.done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        else:
            self.log(f"[{self.done}/{self.total}] {what}")


def load_reports(folders: list[Path], students: list[str] | None = None) -> list[Report]:
    reports = {}
    for folder in folders:
        if not folder.is_dir():
            raise BatchError(f"{folder}: no such directory")
        for path in sorted(folder.glob(f"*/{OUTPUTS['json']}")):
            name = path.parent.name
            if students is not None and name not in students:
                continue
            try:
                reports[name] = report_from_dict(json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, KeyError) as err:
                raise BatchError(f"{path}: not a results file of this grader ({err})") from None
    return [reports[name] for name in sorted(reports)]


def class_csv(reports: list[Report], katas: tuple[Kata, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *[k.id for k in katas], "total", "max_score", "not_gradable_points"])
    for report in reports:
        scores = {k.kata_id: k.score for k in report.katas}
        writer.writerow([report.submission, *[f"{scores.get(k.id, 0):g}" for k in katas],
                         f"{report.score:g}", f"{report.max_score:g}",
                         f"{report.not_gradable_points:g}"])
    return out.getvalue()


def merge(folders: list[Path], output: Path, katas: tuple[Kata, ...]) -> int:
    reports = load_reports(folders)
    if not reports:
        raise BatchError("no graded students found in " + ", ".join(map(str, folders)))
    write_atomic(output, class_csv(reports, katas))
    return len(reports)

"""CSV: one row per kata of one submission (the class CSV of a batch is in grader/batch.py)."""

from __future__ import annotations

import csv as _csv
import io

from grader.formats.text import STATUS_WORDS
from grader.results import Report

COLUMNS = ("submission", "kata", "score", "max_score", "not_gradable_points", "status", "feedback")


def render(report: Report) -> str:
    out = io.StringIO()
    writer = _csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for k in report.katas:
        writer.writerow([report.submission, k.kata_id, f"{k.score:g}", f"{k.max_score:g}",
                         f"{k.not_gradable_points:g}", STATUS_WORDS[k.status],
                         " ".join(k.feedback.split())])
    writer.writerow([report.submission, "TOTAL", f"{report.score:g}", f"{report.max_score:g}",
                     f"{report.not_gradable_points:g}", "", ""])
    return out.getvalue()

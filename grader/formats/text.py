"""The scoreboard: one row per kata (score/max, status, the first failure's message), total."""

from __future__ import annotations

from grader.results import KataStatus, Report

STATUS_WORDS = {
    KataStatus.PASSED: "done",
    KataStatus.PARTIAL: "partial",
    KataStatus.FAILED: "failed",
    KataStatus.NOT_IMPLEMENTED: "not implemented",
    KataStatus.ERROR: "error",
}
FEEDBACK_WIDTH = 100


def score(value: float, maximum: float) -> str:
    return f"{value:g}/{maximum:g}"


def one_line(text: str, width: int = FEEDBACK_WIDTH) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 3] + "..."


def render(report: Report) -> str:
    rows = [(k.kata_id, score(k.score, k.max_score), STATUS_WORDS[k.status], one_line(k.feedback))
            for k in report.katas]
    headers = ("kata", "score", "status", "feedback")
    widths = [max(len(headers[i]), *(len(r[i]) for r in rows)) for i in range(3)]
    lines = [f"pytorch-katas: {report.submission}", ""]
    lines.append("  ".join(h.upper().ljust(w) for h, w in zip(headers[:3], widths)) + "  FEEDBACK")
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3])
    done = sum(1 for k in report.katas if k.status == KataStatus.PASSED)
    lines.append("")
    lines.append(f"TOTAL {score(report.score, report.max_score)} points, "
                 f"{done}/{len(report.katas)} katas done")
    if report.not_gradable_points:
        lines.append(f"needs CUDA: not graded here: {report.not_gradable_points:g} more points "
                     "(gpu tests skipped on this machine without a GPU)")
    return "\n".join(lines).rstrip() + "\n"

"""One GitHub Classroom grading step: grade one kata, hand the reporter its result.

    python -m grader.integrations.classroom_step --kata 02_autograd/sgd --submission ../exercises

Grades the kata (hidden tests by default; `--suite public` for a release graded with its public
tests) through the same supervisor as `python -m grader grade`, prints the scoreboard for the
workflow log, and writes `result=<base64 JSON>` (grader.formats.classroom) to the file named by
$GITHUB_OUTPUT, for `autograding-grading-reporter`. It exits 0 whatever the score (the score is in
the result), except with `--require-full`, where it exits 0 only when every gradable test passed:
that is the contract of an all-or-nothing `autograding-command-grader` step.

If the grader itself cannot run, the result still names the kata, scores it 0 and says why, so
that the reporter always has a result to read.

This module ships in the student release (the workflow of a `--public-tests-only` release runs
it), so it must not need anything instructor-only.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grader import manifest as manifest_mod
from grader.formats import classroom, text
from grader.results import KataResult, KataStatus, Report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.integrations.classroom_step",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--kata", required=True, metavar="ID", help="the kata to grade")
    parser.add_argument("--submission", required=True, metavar="DIR",
                        help="the folder laid out like exercises/")
    parser.add_argument("--suite", choices=("hidden", "public"), default="hidden")
    parser.add_argument("--manifest", default=None, help="katas.toml (default: this grader's kit)")
    parser.add_argument("--require-full", action="store_true",
                        help="exit 1 unless the kata is fully passed (all-or-nothing steps)")
    args = parser.parse_args(argv)
    report = grade_one(args.kata, Path(args.submission), args.suite, args.manifest)
    sys.stdout.write(text.render(report))
    sys.stdout.flush()
    write_step_output(classroom.encode(report))
    passed = bool(report.katas) and all(k.status == KataStatus.PASSED for k in report.katas)
    return 1 if args.require_full and not passed else 0


def grade_one(kata_id: str, submission: Path, suite: str, manifest_path: str | None) -> Report:
    title, points = kata_id, 0
    try:
        manifest = manifest_mod.load(Path(manifest_path) if manifest_path else None)
        kata = manifest.get(kata_id)
        title, points = kata.title, kata.points
        if not submission.is_dir():
            raise FileNotFoundError(f"{submission}: no such directory")
        from grader.runner import supervisor

        options = supervisor.Options(suite=suite, jobs=1)
        return supervisor.grade(manifest, submission, (kata,), options, label=str(submission))
    except Exception as err:  # noqa: BLE001 - the reporter must get a result whatever happened
        reason = (f"the grader could not run (not your code): {type(err).__name__}: {err}. "
                  "Ask your instructor to look at the workflow log.")
        print(reason, file=sys.stderr)
        result = KataResult(kata_id=kata_id, title=title, points=points, tests=(), error=reason)
        return Report(submission=str(submission), katas=(result,))


def write_step_output(encoded: str) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(f"result={encoded}\n")


if __name__ == "__main__":
    sys.exit(main())

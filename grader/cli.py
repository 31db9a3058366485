"""`python -m grader`: argument parsing and wiring only.

Exit codes: 0 the command did its job (for grade: grading completed, whatever the score);
1 a check failed (lint, build --check); 2 usage error (bad path, unknown kata id), one line on
stderr; 3 the grading machinery itself cannot run (e.g. torch cannot be imported).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader import manifest as manifest_mod

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_GRADER = 0, 1, 2, 3


class UsageError(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        manifest = manifest_mod.load(Path(args.manifest) if args.manifest else None)
        return args.handler(args, manifest)
    except UsageError as err:
        print(f"python -m grader {args.command}: {err}", file=sys.stderr)
        return EXIT_USAGE
    except manifest_mod.ManifestError as err:
        print(f"python -m grader: bad manifest: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except _grader_errors() as err:
        print(f"python -m grader {args.command}: cannot grade: {err}", file=sys.stderr)
        return EXIT_GRADER


def _grader_errors():
    from grader.runner.supervisor import GraderError

    return GraderError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m grader",
        description="pytorch-katas: build stubs, grade submissions, lint the kit.")
    parser.add_argument("--manifest", help="path to katas.toml (default: the kit's own)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grade = sub.add_parser("grade", help="grade a submission directory with the hidden tests")
    grade.add_argument("submission", help="directory laid out like exercises/")
    _add_kata_option(grade)
    grade.add_argument("--format", choices=_format_names(), default="text")
    grade.add_argument("-o", "--output", help="write the report to this file instead of stdout")
    _add_run_options(grade)
    grade.set_defaults(handler=cmd_grade)

    build = sub.add_parser("build", help="generate exercises/ from solutions/")
    _add_kata_option(build)
    build.add_argument("--check", action="store_true", help="fail if an exercise is stale")
    build.add_argument("--force", action="store_true", help="overwrite edited exercises too")
    build.set_defaults(handler=cmd_build)

    lint = sub.add_parser("lint", help="prove every kata is gradeable")
    _add_kata_option(lint)
    lint.add_argument("--corpus", action="store_true",
                      help="also grade the mistakes corpus (slower)")
    _add_run_options(lint)
    lint.set_defaults(handler=cmd_lint)

    batch = sub.add_parser("grade-batch", help="grade a class: one sub-directory per student")
    batch.add_argument("submissions", help="directory with one folder per student")
    batch.add_argument("-o", "--output", default="batch-results",
                       help="where per-student reports and class.csv go (default: batch-results)")
    batch.add_argument("--shard", metavar="I/N", help="grade only slice I of N (for job arrays)")
    batch.add_argument("--force", action="store_true", help="regrade unchanged students too")
    _add_kata_option(batch)
    _add_run_options(batch)
    batch.set_defaults(handler=cmd_grade_batch)

    merge = sub.add_parser("merge", help="combine grade-batch output folders (shards) into one CSV")
    merge.add_argument("folders", nargs="+", help="grade-batch output folders")
    merge.add_argument("-o", "--output", default="class.csv")
    _add_kata_option(merge)
    merge.set_defaults(handler=cmd_merge)

    nbg = sub.add_parser("nbgrader", help="export katas as an nbgrader course (source notebooks)")
    nbg.add_argument("course_dir", help="nbgrader course directory to write (created if missing)")
    nbg.add_argument("--assignment", default="katas", help="assignment name (default: katas)")
    _add_kata_option(nbg)
    nbg.set_defaults(handler=cmd_nbgrader)

    rel = sub.add_parser("release", help="write the student repository (a GitHub Classroom template)")
    rel.add_argument("out_dir", metavar="OUT_DIR",
                     help="new or empty folder, or a previous release (refreshed; its .git kept)")
    _add_kata_option(rel)
    rel.add_argument("--private-repo", default="OWNER/REPO-private", metavar="OWNER/NAME",
                     help="the instructor's private repository (grader + hidden tests)")
    rel.add_argument("--token-secret", default="KATAS_PRIVATE_TOKEN", metavar="NAME",
                     help="repository secret holding a read-only token for --private-repo")
    rel.add_argument("--public-tests-only", action="store_true",
                     help="grade with the released public tests: no private checkout (practice)")
    rel.add_argument("--all-or-nothing", action="store_true",
                     help="one command-grader step per kata: full points or none")
    rel.set_defaults(handler=cmd_release)

    gs = sub.add_parser("gradescope",
                        help="write the Gradescope autograder zip (setup.sh, run_autograder, hidden tests)")
    gs.add_argument("output", metavar="OUT.zip", help="the zip to write")
    _add_kata_option(gs)
    gs.set_defaults(handler=cmd_gradescope)

    rep = sub.add_parser("report",
                         help="class report from grade-batch output: class.csv, report.md, report.png")
    rep.add_argument("folders", nargs="+", metavar="BATCH_OUT_DIR",
                     help="grade-batch output folder(s) (the shards of one class)")
    rep.add_argument("-o", "--output", metavar="REPORT_DIR", default=None,
                     help="where to write (default: BATCH_OUT_DIR/report)")
    _add_kata_option(rep)
    rep.set_defaults(handler=cmd_report)

    check = sub.add_parser("check", help="run the public tests of one kata and explain the result")
    check.add_argument("kata", nargs="?", help="kata id (default: the first unfinished kata)")
    _add_submission_option(check)
    check.set_defaults(handler=cmd_check)

    hint = sub.add_parser("hint", help="show the next hint of a kata")
    hint.add_argument("kata", help="kata id, e.g. 02_autograd/sgd")
    hint.set_defaults(handler=cmd_hint)

    watch = sub.add_parser("watch", help="re-check the kata you edit on every save")
    _add_submission_option(watch)
    watch.add_argument("--stop-after", type=int, default=None, help=argparse.SUPPRESS)
    watch.set_defaults(handler=cmd_watch)

    for name, helptext in (("progress", "every kata with its state, points and topic"),
                           ("list", "the katas in order with points, topic and your progress")):
        lst = sub.add_parser(name, help=helptext)
        _add_submission_option(lst)
        lst.add_argument("--markdown", action="store_true",
                         help="print the curriculum as the README's Markdown table")
        lst.set_defaults(handler=cmd_progress)
    return parser


def _format_names() -> list[str]:
    return ["text", "json", "gradescope", "classroom", "junit", "csv"]


def _add_kata_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kata", action="append", metavar="ID",
                        help="only this kata (repeatable); default: all")


def _add_submission_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--submission", default=None, metavar="DIR",
                        help="your kata files (default: exercises/ in the kit)")


def _learner_submission(args, manifest) -> Path:
    return _submission_dir(args.submission) if args.submission else manifest.root / "exercises"


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", "-j", type=int, default=0,
                        help="katas graded in parallel (default: one per core)")
    parser.add_argument("--timeout", type=int, default=None,
                        help="hard time limit per kata in seconds (default: the manifest's)")


def _select(manifest, ids):
    try:
        return manifest.select(ids)
    except KeyError as err:
        raise UsageError(f"unknown kata id(s): {err.args[0]} (see `python -m grader list`)") from None


def _require_hidden_tests(katas) -> None:
    missing = [k for k in katas if not k.hidden_tests.is_file()]
    if missing:
        where = missing[0].hidden_tests.relative_to(missing[0].root)
        raise UsageError(f"no hidden tests for {len(missing)} kata(s) (e.g. {where}): grading needs "
                         "the instructor's kit; in a student copy use `python -m grader check`")


def _submission_dir(text: str) -> Path:
    path = Path(text)
    if not path.exists():
        raise UsageError(f"{text}: no such directory")
    if not path.is_dir():
        raise UsageError(f"{text}: not a directory (pass the folder that holds <chapter>/<kata>.py files)")
    return path


def _options(args):
    from grader.runner.supervisor import Options

    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per core) or more")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    return Options(jobs=args.jobs, timeout=args.timeout)


def write_output(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from grader.files import write_atomic

    write_atomic(Path(output), text)


def progress_printer(total: int):
    done = [0]

    def on_done(result) -> None:
        done[0] += 1
        print(f"[{done[0]}/{total}] {result.kata_id}: {result.score:g}/{result.max_score:g}",
              file=sys.stderr, flush=True)

    return on_done


# ---------------------------------------------------------------------------------------------


def cmd_grade(args, manifest) -> int:
    from grader.formats import RENDERERS
    from grader.runner import supervisor

    submission = _submission_dir(args.submission)
    katas = _select(manifest, args.kata)
    _require_hidden_tests(katas)
    options = _options(args)
    print(f"grading {len(katas)} kata(s) of {args.submission} ...", file=sys.stderr, flush=True)
    report = supervisor.grade(manifest, submission, katas, options, label=args.submission,
                              on_done=progress_printer(len(katas)))
    write_output(RENDERERS[args.format](report), args.output)
    if args.output:
        print(f"{report.score:g}/{report.max_score:g} points; report written to {args.output}",
              file=sys.stderr)
    return EXIT_OK


def cmd_grade_batch(args, manifest) -> int:
    from grader import batch

    katas = _select(manifest, args.kata)
    _require_hidden_tests(katas)
    try:
        shard = batch.Shard.parse(args.shard) if args.shard else None
        reports = batch.grade_batch(manifest, Path(args.submissions), Path(args.output), katas,
                                    _options(args), shard=shard, force=args.force,
                                    log=lambda line: print(line, file=sys.stderr, flush=True))
    except batch.BatchError as err:
        raise UsageError(str(err)) from None
    print(f"{len(reports)} student(s) graded; class CSV: {Path(args.output) / batch.CLASS_CSV}")
    return EXIT_OK


def cmd_merge(args, manifest) -> int:
    from grader import batch

    katas = _select(manifest, args.kata)
    try:
        count = batch.merge([Path(f) for f in args.folders], Path(args.output), katas)
    except batch.BatchError as err:
        raise UsageError(str(err)) from None
    print(f"{count} student(s) merged into {args.output}")
    return EXIT_OK


def cmd_build(args, manifest) -> int:
    from grader import build

    _select(manifest, args.kata)  # unknown ids are a usage error
    results = build.build(manifest, args.kata, check=args.check, force=args.force)
    bad = False
    for result in results:
        if result.action in ("stale", "kept-edits", "missing"):
            print(f"{result.kata.id}: {result.message}", file=sys.stderr)
            bad = bad or result.action in ("stale", "missing")
        elif result.action == "written":
            print(f"{result.kata.id}: wrote {result.kata.exercise.relative_to(manifest.root)}")
    if args.check:
        print("exercises are stale: run `python -m grader build`" if bad
              else f"{len(results)} exercises up to date", file=sys.stderr)
    return EXIT_CHECK_FAILED if bad else EXIT_OK


def cmd_lint(args, manifest) -> int:
    from grader import lint

    katas = _select(manifest, args.kata)
    problems = lint.lint(manifest, katas, _options(args), corpus=args.corpus,
                         log=lambda line: print(line, file=sys.stderr, flush=True))
    for problem in problems:
        print(f"lint: {problem}")
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return EXIT_CHECK_FAILED
    print(f"{len(katas)} katas ok")
    return EXIT_OK


def cmd_nbgrader(args, manifest) -> int:
    from grader.integrations.nbgrader_export import cli_nbgrader

    return cli_nbgrader(args, manifest)


def cmd_release(args, manifest) -> int:
    from grader.integrations.release import cli_release

    return cli_release(args, manifest)


def cmd_gradescope(args, manifest) -> int:
    from grader.integrations.gradescope_zip import cli_gradescope

    return cli_gradescope(args, manifest)


def cmd_report(args, manifest) -> int:
    from grader.report import cli_report

    return cli_report(args, manifest)


def cmd_check(args, manifest) -> int:
    from grader.learner import commands

    if args.kata:
        _select(manifest, [args.kata])
    return commands.check(manifest, _learner_submission(args, manifest), args.kata)


def cmd_hint(args, manifest) -> int:
    from grader.learner import commands

    _select(manifest, [args.kata])
    return commands.hint(manifest, args.kata)


def cmd_watch(args, manifest) -> int:
    from grader.learner import commands

    return commands.watch(manifest, _learner_submission(args, manifest), args.stop_after)


def cmd_progress(args, manifest) -> int:
    from grader.learner import commands

    if args.markdown:
        sys.stdout.write(curriculum_markdown(manifest))
        return EXIT_OK
    return commands.progress(manifest, _learner_submission(args, manifest))


def curriculum_markdown(manifest) -> str:
    """The README's curriculum table, made from the manifest (a test keeps them in sync)."""
    lines = ["| # | kata | topic | points | what it teaches |", "| --- | --- | --- | --- | --- |"]
    for number, kata in enumerate(manifest.katas, start=1):
        lines.append(f"| {number} | `{kata.id}` | {kata.topic} | {kata.points} | "
                     f"{kata.title}: {kata.teaches} |")
    total = sum(k.points for k in manifest.katas)
    lines.append(f"|  | **{len(manifest.katas)} katas** |  | **{total}** |  |")
    return "\n".join(lines) + "\n"

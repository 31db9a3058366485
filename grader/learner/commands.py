"""check, hint, progress and watch: what a learner types, and what they read back."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from grader.learner.state import LearnerState, Progress, file_hash, progress_of
from grader.manifest import Kata, Manifest
from grader.results import KataResult, KataStatus, Outcome


def console() -> Console:
    # rich colours only on a terminal, and honours NO_COLOR; piped output is plain text.
    return Console(highlight=False, soft_wrap=True)


def first_unfinished(manifest: Manifest, submission: Path, state: LearnerState) -> Kata | None:
    for kata in manifest.katas:
        if progress_of(kata, submission, state) != Progress.DONE:
            return kata
    return None


def run_public(manifest: Manifest, submission: Path, kata: Kata) -> KataResult:
    from grader.runner import supervisor

    # The learner's own code against the public tests: isolated in a child, without the
    # grading guards, so that a check starts fast. Grading always runs guarded.
    options = supervisor.Options(suite="public", jobs=1, guarded=False)
    report = supervisor.grade(manifest, submission, (kata,), options)
    return report.katas[0]


def show_verdict(out: Console, kata: Kata, result: KataResult, manifest: Manifest,
                 submission: Path, state: LearnerState) -> None:
    out.print(f"[bold]{kata.id}[/bold] — {kata.title}")
    for test in result.tests:
        label = test.name.split(": ", 1)[-1]
        if test.outcome == Outcome.PASSED:
            out.print(f"  [green]✓[/green] {label}")
        elif test.outcome == Outcome.NOT_GRADABLE:
            out.print(f"  [yellow]-[/yellow] {label} [dim](needs CUDA: skipped here)[/dim]")
        else:
            out.print(f"  [red]✗[/red] {label}")
    if result.error:
        out.print(f"\n[red]{result.error}[/red]")
    failed = [t for t in result.tests if t.outcome == Outcome.FAILED]
    if result.status == KataStatus.PASSED:
        following = first_unfinished(manifest, submission, state)
        out.print("\n[green bold]Done![/green bold] All public tests pass.")
        if following is not None:
            out.print(f"Next: {following.id} — {following.title}\n"
                      f"      edit {submission.name}/{following.relative_file()}, then run "
                      f"`python -m grader check {following.id}`")
        else:
            out.print("Every kata is done. Well done!")
        return
    if failed and not result.error:
        first = failed[0]
        out.print(f"\nFirst failure: {first.name.split(': ', 1)[-1]}")
        for line in first.message.splitlines():
            out.print(f"  {line}", markup=False)
    if result.status == KataStatus.NOT_IMPLEMENTED:
        out.print(f"\nNext: open {submission.name}/{kata.relative_file()} and replace the "
                  "`raise NotImplementedError(...)` lines, following the TODO comments.")
    else:
        out.print("\nNext: fix the first failure above, save, and run this check again.")
    out.print(f"Stuck? `python -m grader hint {kata.id}` shows a hint.")


def check(manifest: Manifest, submission: Path, kata_id: str | None) -> int:
    out = console()
    state = LearnerState.load(manifest.root)
    kata = manifest.get(kata_id) if kata_id else first_unfinished(manifest, submission, state)
    if kata is None:
        out.print("Every kata is done. Well done!")
        return 0
    result = run_public(manifest, submission, kata)
    record(state, kata, submission, result)
    show_verdict(out, kata, result, manifest, submission, state)
    return 0 if result.status == KataStatus.PASSED else 1


def record(state: LearnerState, kata: Kata, submission: Path, result: KataResult) -> None:
    digest = file_hash(submission / kata.relative_file())
    if result.status == KataStatus.PASSED and digest:
        state.passed[kata.id] = digest
    else:
        state.passed.pop(kata.id, None)
    state.save()


def hint(manifest: Manifest, kata_id: str) -> int:
    out = console()
    kata = manifest.get(kata_id)
    state = LearnerState.load(manifest.root)
    shown = min(state.hints.get(kata.id, 0) + 1, len(kata.hints))
    state.hints[kata.id] = shown
    state.save()
    out.print(f"[bold]{kata.id}[/bold] — {kata.title}")
    for number, text in enumerate(kata.hints[:shown], start=1):
        out.print(f"  Hint {number}: {text}", markup=False)
    if shown < len(kata.hints):
        out.print(f"({shown} of {len(kata.hints)} hints; run this again for the next one)")
    else:
        out.print(f"(all {len(kata.hints)} hints shown; the docstrings in the exercise file say more)")
    return 0


def progress(manifest: Manifest, submission: Path) -> int:
    out = console()
    state = LearnerState.load(manifest.root)
    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("#", "kata", "state", "points", "topic"):
        table.add_column(column)
    colours = {Progress.DONE: "green", Progress.IN_PROGRESS: "yellow", Progress.NOT_STARTED: "dim"}
    states = []
    for number, kata in enumerate(manifest.katas, start=1):
        current = progress_of(kata, submission, state)
        states.append(current)
        table.add_row(str(number), kata.id, f"[{colours[current]}]{current.value}[/]",
                      str(kata.points), kata.topic)
    out.print(table)
    out.print(progress_line(states), markup=False)
    return 0


def progress_line(states: list[Progress]) -> str:
    done = sum(1 for s in states if s == Progress.DONE)
    width = 28
    filled = round(width * done / max(len(states), 1))
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{len(states)} katas done"


def watch(manifest: Manifest, submission: Path, stop_after: int | None = None) -> int:
    """Re-check the kata being edited on every save; move on when it passes. Ctrl-C exits."""
    from watchfiles import watch as watch_files

    out = console()
    state = LearnerState.load(manifest.root)
    kata = first_unfinished(manifest, submission, state)
    checks = 0
    out.print(f"Watching {submission} — save a kata file to check it. Ctrl-C to stop.")

    def run(current: Kata) -> Kata | None:
        nonlocal checks
        result = run_public(manifest, submission, current)
        record(state, current, submission, result)
        show_verdict(out, current, result, manifest, submission, state)
        states = [progress_of(k, submission, state) for k in manifest.katas]
        out.print(progress_line(states) + "\n", markup=False)
        checks += 1
        return first_unfinished(manifest, submission, state) if result.status == KataStatus.PASSED else current

    try:
        if kata is not None:
            kata = run(kata)
        by_path = {(submission / k.relative_file()).resolve(): k for k in manifest.katas}
        for changes in watch_files(submission, debounce=300, raise_interrupt=True):
            if stop_after is not None and checks >= stop_after:
                break
            edited = [by_path[Path(p).resolve()] for _, p in changes if Path(p).resolve() in by_path]
            if edited:
                kata = run(edited[-1])
            if stop_after is not None and checks >= stop_after:
                break
    except KeyboardInterrupt:
        out.print("\nStopped watching. Your progress is saved.")
        return 0
    return 0


"""`python -m grader lint`: prove every kata is gradeable before anything ships.

For each kata: its files exist, every solution region says what to write (a TODO line), the
exercise is up to date, the stub scores 0 with "not implemented" (not an error), the solution
scores full marks, and the mistakes corpus holds enough cases. With `corpus=True`, every
mistake is graded too: it must lose points with its FEEDBACK words; every alternate must
score full marks.
"""

from __future__ import annotations

import ast
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from grader import build, corpus
from grader.manifest import Kata, Manifest
from grader.results import KataResult, KataStatus

MIN_MISTAKES = 8


def static_problems(kata: Kata) -> list[str]:
    problems = []
    for label, path in (("solution", kata.solution), ("exercise", kata.exercise),
                        ("public tests", kata.public_tests), ("hidden tests", kata.hidden_tests),
                        ("hidden scenarios", kata.hidden_scenarios)):
        if not path.is_file():
            problems.append(f"{kata.id}: {label} missing ({path.relative_to(kata.root)})")
    if problems:
        return problems
    problems += checks_beside_submission(kata)
    try:
        regions = build.find_regions(kata.solution.read_text(encoding="utf-8"), str(kata.solution))
    except build.StubError as err:
        return [f"{kata.id}: {err}"]
    if not regions:
        problems.append(f"{kata.id}: the solution has no solution region")
    for region in regions:
        if not region.todo:
            problems.append(f"{kata.id}: solution region at line {region.begin_line} has no "
                            "'# TODO:' line saying what to write")
    result = build.build_kata(kata, check=True)
    if result.action == "stale":
        problems.append(f"{kata.id}: {result.message}")
    try:
        cases = corpus.cases_for(kata)
    except corpus.CorpusError as err:
        return problems + [f"{kata.id}: {err}"]
    mistakes = sum(1 for c in cases if c.kind == "mistake")
    if mistakes < MIN_MISTAKES:
        problems.append(f"{kata.id}: {mistakes} mistakes in {kata.mistakes_dir.relative_to(kata.root)}"
                        f" (at least {MIN_MISTAKES} needed)")
    return problems


def checks_beside_submission(kata: Kata) -> list[str]:
    """Hidden checks must take what the submission did from `observed` (grader.observe): one
    that takes the `kata` fixture would run submission code in the process that reports."""
    try:
        tree = ast.parse(kata.hidden_tests.read_text(encoding="utf-8"))
    except SyntaxError as err:
        return [f"{kata.id}: {kata.hidden_tests.name}:{err.lineno}: {err.msg}"]
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                node.name.startswith("test_"):
            names = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
            if "kata" in names or "observed" not in names:
                problems.append(
                    f"{kata.id}: {kata.hidden_tests.name}:{node.lineno}: {node.name} must take "
                    "`observed`, not `kata`: calls to the submission belong in a scenario in "
                    f"{kata.hidden_scenarios.name} (see grader/observe.py)")
    return problems


def lint(manifest: Manifest, katas: tuple[Kata, ...], options, corpus: bool = False,
         log: Callable[[str], None] = lambda _line: None) -> list[str]:
    from grader.runner import supervisor

    problems = [p for kata in katas for p in static_problems(kata)]
    gradeable = tuple(k for k in katas if k.solution.is_file() and k.exercise.is_file()
                      and k.hidden_tests.is_file())
    log(f"grading {len(gradeable)} solutions and stubs ...")
    root = manifest.root
    work = [(root / "solutions", gradeable), (root / "exercises", gradeable)]
    cases = _corpus_cases(gradeable) if corpus else []
    if cases:
        log(f"grading {len(cases)} corpus cases ...")
    with tempfile.TemporaryDirectory(prefix="katas-corpus-") as tmp:
        # Cases of different katas share a submission folder (one child grades them together):
        # results are per kata, so this grades exactly as one folder per case would.
        rounds = _rounds(cases)
        for number, round_cases in enumerate(rounds):
            folder = _round_submission(Path(tmp), number, round_cases)
            work.append((folder, tuple(manifest.get(c.kata_id) for c in round_cases)))
        fork = supervisor.use_fork(options)
        supervisor.prepare(fork)
        graded = supervisor.run_work(manifest, work, options, fork)
    for kata, result in zip(gradeable, graded[0].katas):
        problems += solution_problems(kata, result)
    for kata, result in zip(gradeable, graded[1].katas):
        problems += stub_problems(kata, result)
    for round_cases, item in zip(rounds, graded[2:]):
        for case, result in zip(round_cases, item.katas):
            problems += case_problems(case, result)
    return problems


def solution_problems(kata: Kata, result: KataResult) -> list[str]:
    if result.score != result.max_score or result.error or not result.tests:
        return [f"{kata.id}: the solution scores {result.score:g}/{result.max_score:g}: "
                f"{result.feedback or 'no tests ran'}"]
    return []


def stub_problems(kata: Kata, result: KataResult) -> list[str]:
    if result.status != KataStatus.NOT_IMPLEMENTED:
        return [f"{kata.id}: the stub should score 0 with 'not implemented' on every test, got "
                f"{result.score:g} ({result.status.value}): {result.feedback}"]
    return []


def case_problems(case: corpus.CorpusCase, result: KataResult) -> list[str]:
    where = f"{case.kata_id}: {case.path.name}"
    if case.kind == "alternate":
        if result.score != result.max_score or result.error:
            return [f"{where}: an alternate must score full marks, got "
                    f"{result.score:g}/{result.max_score:g}: {result.feedback}"]
        return []
    if result.score >= result.max_score:
        return [f"{where}: the mistake ({case.description}) is not caught: full marks"]
    text = "\n".join([result.error] + [t.message for t in result.tests])
    missing = corpus.missing_feedback(case, text)
    if missing:
        return [f"{where}: the feedback does not say {missing}; it says: {result.feedback[:300]}"]
    return []


def _corpus_cases(katas: tuple[Kata, ...]) -> list[corpus.CorpusCase]:
    return [case for kata in katas for case in corpus.cases_for(kata)]


def _rounds(cases: list[corpus.CorpusCase]) -> list[list[corpus.CorpusCase]]:
    """Round r holds the r-th case of every kata that has one (in manifest order)."""
    per_kata: dict[str, list[corpus.CorpusCase]] = {}
    for case in cases:
        per_kata.setdefault(case.kata_id, []).append(case)
    depth = max((len(v) for v in per_kata.values()), default=0)
    return [[v[r] for v in per_kata.values() if r < len(v)] for r in range(depth)]


def _round_submission(tmp: Path, number: int, cases: list[corpus.CorpusCase]) -> Path:
    root = tmp / f"round{number:03d}"
    for case in cases:
        target = root / f"{case.kata_id}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(case.path, target)
    return root

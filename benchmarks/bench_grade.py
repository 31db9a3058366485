"""Benchmark (not a test): grading time against a bare `import torch`, measured in one run.

    .venv/bin/python benchmarks/bench_grade.py [--repeat 3] [--batch 100] [--check] [--nbgrader]

Prints, each as the median of --repeat runs:
- `python -c "import torch"`;
- `python -m grader grade solutions` for the six foundation katas and for every kata;
- with --batch N: grade-batch of N generated submissions (correct, stub, mistaken, crashing and
  hanging katas mixed), timed once, and whether its class CSV matches grading each student alone
  (checked for a sample: five students spread over the class and up to three whose grading met
  a crash, a hang or a timeout);
- with --check: `python -m grader check` of one kata (the learner's loop);
- with --nbgrader: `nbgrader autograde` of the same work as `grade solutions` (every kata
  exported as a notebook, one student who submitted the solutions), timed once, with both totals;
and the ratios to the bare import.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOUNDATION = ["01_tensors/device", "02_autograd/sgd", "03_training_loop/train_step",
              "05_fine_tuning/freeze", "06_lora/lora_linear", "07_inference/predict"]


def timed(cmd: list[str], repeat: int, **kwargs) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kwargs)
        times.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):
            sys.exit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return statistics.median(times)


def hard_cases(out: Path, students: dict, count: int) -> list[str]:
    """Students whose grading met a crash, a hang or a timeout: the cases most worth checking."""
    found = []
    for student in sorted(students):
        text = json.dumps(json.loads((out / student / "report.json").read_text())["katas"])
        if any(w in text for w in ("timed out", "time limit", "exited before", "crashed")):
            found.append(student)
    return found[:count]


def time_nbgrader(py: str) -> tuple[float, str]:
    """Export every kata, release it, submit the solutions as one student, time autograde."""
    from grader import manifest as manifest_mod
    from grader.integrations import nbgrader_export

    kit = manifest_mod.load(ROOT / "katas.toml")
    env = dict(os.environ, PATH=f"{Path(py).parent}{os.pathsep}{os.environ.get('PATH', '')}")

    def nbgrader(course: Path, *args: str) -> None:
        done = subprocess.run([py, "-m", "nbgrader", *args], cwd=course, env=env,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            sys.exit(f"nbgrader {' '.join(args)} failed:\n{done.stderr[-3000:]}")

    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        nbgrader_export.export_course(kit, course, "katas")
        nbgrader(course, "generate_assignment", "katas")
        submitted = course / "submitted" / "student" / "katas"
        submitted.mkdir(parents=True)
        for kata in kit.katas:
            stem = nbgrader_export.notebook_stem(kata)
            nb = json.loads((course / "release" / "katas" / f"{stem}.ipynb").read_text())
            for cell in nb["cells"]:
                if cell["metadata"].get("nbgrader", {}).get("solution"):
                    cell["source"] = kata.solution.read_text(encoding="utf-8")
            (submitted / f"{stem}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        start = time.perf_counter()
        nbgrader(course, "autograde", "katas")
        elapsed = time.perf_counter() - start
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            score = gb.find_submission("katas", "student").score
    alone = subprocess.run([py, "-m", "grader", "grade", "solutions", "--format", "json"], cwd=ROOT,
                           capture_output=True, text=True)
    graded = json.loads(alone.stdout)
    total = sum(k.points for k in kit.katas)
    return elapsed, (f"nbgrader: {len(kit.katas)} notebooks, {elapsed / len(kit.katas):.1f} s each; "
                     f"gradebook {score:g}/{total}, grader {graded['score']:g}/{graded['max_score']:g} "
                     "(nbgrader shares a kata's points among the tests gradable here)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=0, help="also grade a class of N submissions")
    parser.add_argument("--check", action="store_true", help="also time `grader check`")
    parser.add_argument("--nbgrader", action="store_true",
                        help="also time nbgrader autograde of the same work (needs the instructor extra)")
    parser.add_argument("--batch-timeout", type=int, default=5,
                        help="hard time limit per kata in the batch (each hanging kata costs it)")
    args = parser.parse_args()
    py = sys.executable
    rows = []
    notes: list[str] = []
    bare = timed([py, "-c", "import torch"], args.repeat)
    rows.append(("python -c 'import torch'", bare))
    kata_args = [a for k in FOUNDATION for a in ("--kata", k)]
    rows.append(("grade solutions (6 foundation katas)",
                 timed([py, "-m", "grader", "grade", "solutions", *kata_args], args.repeat)))
    rows.append(("grade solutions (all katas)", timed([py, "-m", "grader", "grade", "solutions"], args.repeat)))
    if args.check:
        rows.append(("check 02_autograd/sgd (learner loop)",
                     timed([py, "-m", "grader", "check", "02_autograd/sgd", "--submission", "solutions"],
                           args.repeat)))
    if args.batch:
        from benchmarks.make_class import make_class

        with tempfile.TemporaryDirectory() as tmp:
            students = make_class(Path(tmp) / "class", args.batch)
            out = Path(tmp) / "out"
            start = time.perf_counter()
            result = subprocess.run([py, "-m", "grader", "grade-batch", str(students), "-o", str(out),
                                     "--timeout", str(args.batch_timeout)], cwd=ROOT, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            if result.returncode != 0:
                sys.exit(f"grade-batch failed:\n{result.stderr[-3000:]}")
            rows.append((f"grade-batch of {args.batch} submissions", elapsed))
            with open(out / "class.csv", newline="") as handle:
                table = {r["student"]: r for r in csv.DictReader(handle)}
            lost = args.batch - len(table)
            sample = list(dict.fromkeys(sorted(table)[:: max(1, len(table) // 5)][:5] + hard_cases(out, table, 3)))
            mismatches = []
            for student in sample:
                alone = subprocess.run([py, "-m", "grader", "grade", str(students / student), "--format",
                                        "json", "--timeout", str(args.batch_timeout)], cwd=ROOT, capture_output=True, text=True)
                total = json.loads(alone.stdout)["score"]
                if f"{total:g}" != table[student]["total"]:
                    mismatches.append(f"{student}: batch {table[student]['total']} alone {total:g}")
            notes.append(f"batch: {len(table)} students in class.csv, {lost} lost; "
                         f"{len(sample)} graded alone: {'all match' if not mismatches else mismatches}")
    if args.nbgrader:
        seconds, note = time_nbgrader(py)
        rows.append(("nbgrader autograde (all katas, 1 student)", seconds))
        notes.append(note)
    width = max(len(name) for name, _ in rows)
    print(f"{'what'.ljust(width)}  seconds  x import torch")
    for name, seconds in rows:
        print(f"{name.ljust(width)}  {seconds:7.2f}  {seconds / bare:6.2f}x")
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())

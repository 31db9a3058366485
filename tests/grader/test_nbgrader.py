"""The nbgrader export: unit checks, then a real round trip through nbgrader itself.

The round trip (marked slow) exports two katas, runs `nbgrader generate_assignment`, places four
students' notebooks in submitted/ (the reference solution, the untouched release, a realistic
mistake from the corpus, one that calls os._exit), runs `nbgrader autograde` and
`nbgrader generate_feedback`, and compares the gradebook with `python -m grader grade`'s scoring
of the same code.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader import manifest as manifest_mod
from grader.build import find_regions
from grader.integrations import nbgrader_export as export
from grader.integrations import nbgrader_runtime as runtime
from tests.grader.support import ROOT

SGD = "02_autograd/sgd"
OTHER = "01_tensors/same_device"
ASSIGNMENT = "katas"
MISTAKE = ROOT / "tests" / "mistakes" / SGD / "return_inside_loop.py"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def manifest():
    return manifest_mod.load(ROOT / "katas.toml")


# ---------------------------------------------------------------------------------------------
# unit checks (fast)


def test_hoist_todos_moves_todo_lines_above_the_region():
    source = ("def f(x):\n"
              "    ### BEGIN SOLUTION\n"
              "    # TODO: double x\n"
              "    # TODO: and return it\n"
              "    return 2 * x\n"
              "    ### END SOLUTION\n")
    hoisted = export.hoist_todos(source, "00_x/f")
    assert hoisted == ("def f(x):\n"
                       "    # TODO: double x\n"
                       "    # TODO: and return it\n"
                       "    ### BEGIN SOLUTION\n"
                       "    return 2 * x\n"
                       "    ### END SOLUTION\n")
    assert [r.body for r in find_regions(hoisted)] == [("return 2 * x",)]


@pytest.mark.parametrize("text", ["", "plain\n", "x = '''a'''\n", "ends in \\", "q'", "a\\nb\r\n",
                                  '"""doc"""\nprint("\\t")\n'])
def test_python_string_round_trips(text):
    assert ast.literal_eval(export.python_string(text)) == text


def test_split_docstring(manifest):
    kata = manifest.get(SGD)
    doc, code = export.split_docstring(kata.solution.read_text(encoding="utf-8"), SGD)
    assert doc.startswith("Kata 02_autograd/sgd")
    assert code.startswith("from collections.abc import Iterable")
    compile(code, "sgd.py", "exec")


def test_notebook_structure(manifest):
    kata = manifest.get(SGD)
    nb = export.build_notebook(kata)
    metas = [c["metadata"]["nbgrader"] for c in nb["cells"]]
    assert [c["cell_type"] for c in nb["cells"]] == ["markdown", "code", "code", "code"]
    assert len({m["grade_id"] for m in metas}) == len(metas)
    assert all(m["schema_version"] == 3 for m in metas)
    solution = [m for m in metas if m["solution"]]
    assert solution == [dict(solution[0], grade=False, locked=False)]
    graded = [m for m in metas if m["grade"]]
    assert all(m["locked"] and not m["solution"] for m in graded)
    assert sum(m["points"] for m in graded) == kata.points
    assert all(m["locked"] for m in metas if not m["solution"])
    tests_cell = nb["cells"][3]["source"]
    assert tests_cell.count(export.HIDDEN_BEGIN) == 1 and tests_cell.count(export.HIDDEN_END) == 1
    compile(tests_cell, "tests-cell", "exec")
    hidden = tests_cell.split(export.HIDDEN_BEGIN)[1].split(export.HIDDEN_END)[0]
    assert "def test_clears_gradients" in hidden
    assert "def test_clears_gradients" not in tests_cell.replace(hidden, "")
    intro = nb["cells"][0]["source"]
    assert kata.title in intro and kata.topic in intro and kata.teaches in intro
    nbformat = pytest.importorskip("nbformat")
    nbformat.validate(nbformat.from_dict(nb))


def test_export_rejects_bad_names_and_keeps_an_instructors_config(manifest, tmp_path):
    with pytest.raises(export.ExportError):
        export.export_course(manifest, tmp_path, assignment="../x", kata_ids=[SGD])
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    written = export.export_course(manifest, tmp_path, kata_ids=[SGD])
    assert [p.name for p in written] == ["02_autograd__sgd.ipynb"]
    assert (tmp_path / "nbgrader_config.py").read_text() == "c = get_config()\n"


def test_cli_nbgrader(manifest, tmp_path, capsys):
    from grader.cli import UsageError

    args = argparse.Namespace(course_dir=str(tmp_path / "course"), assignment="week1", kata=[SGD])
    assert export.cli_nbgrader(args, manifest) == 0
    assert (tmp_path / "course" / "source" / "week1" / "02_autograd__sgd.ipynb").is_file()
    assert "nbgrader generate_assignment week1" in capsys.readouterr().err
    with pytest.raises(UsageError, match="unknown kata"):
        export.cli_nbgrader(argparse.Namespace(course_dir=str(tmp_path), assignment="katas",
                                               kata=["99_x/nope"]), manifest)


def test_earned_shares_points_among_gradable_tests():
    tests = [{"outcome": "passed", "weight": 2.0}, {"outcome": "failed", "weight": 1.0},
             {"outcome": "not_gradable", "weight": 1.0}, {"outcome": "passed", "weight": 1.0}]
    assert runtime.earned({"tests": tests}, 10) == 7.5
    assert runtime.earned({"tests": tests, "error": "timed out"}, 10) == 0.0
    assert runtime.earned({"tests": []}, 10) == 0.0


def test_python_file_comments_out_ipython_lines():
    text = runtime.python_file("%timeit f()\nx = 1\n!ls\n")
    assert text.splitlines()[1] == "x = 1"
    compile(text, "cell.py", "exec")


def test_solution_source_precedence(tmp_path, monkeypatch):
    nb = {"cells": [{"cell_type": "code", "source": ["x = ", "'saved'\n"],
                     "metadata": {"nbgrader": {"grade_id": "k-solution"}}}]}
    (tmp_path / "k.ipynb").write_text(json.dumps(nb))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(runtime, "_recorded", {})
    assert runtime._solution_source("k.ipynb", "k-solution")[0] == "x = 'saved'\n"
    info = type("Info", (), {"cell_id": "k-solution", "raw_cell": "x = 'run'"})()
    runtime._record_cell(type("Result", (), {"info": info})())
    assert runtime._solution_source("k.ipynb", "k-solution")[0] == "x = 'run'"  # what ran
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert runtime._solution_source("k.ipynb", "k-solution")[0] == "x = 'saved'\n"  # submitted
    source, reason = runtime._solution_source("k.ipynb", "other-solution")
    assert source is None and "no solution cell" in reason
    assert runtime._solution_source("gone.ipynb", "k-solution")[0] is None


# ---------------------------------------------------------------------------------------------
# the round trip


def _nbgrader(course: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")  # alembic
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _solution_cell(nb: dict) -> dict:
    (cell,) = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    return cell


def _source(cell: dict) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def _submit(course: Path, student: str, stem: str, code: str | None) -> None:
    nb = json.loads((course / "release" / ASSIGNMENT / f"{stem}.ipynb").read_text())
    if code is not None:
        _solution_cell(nb)["source"] = code
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.ipynb").write_text(json.dumps(nb), encoding="utf-8")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


STUDENTS = ("solution", "stub", "mistake", "exits")


@pytest.fixture(scope="module")
def course(manifest, tmp_path_factory):
    pytest.importorskip("nbgrader")
    course = tmp_path_factory.mktemp("nbgrader-course")
    written = export.export_course(manifest, course, ASSIGNMENT, [SGD, OTHER])
    assert {p.name for p in written} == {"nbgrader_config.py", "02_autograd__sgd.ipynb",
                                         "01_tensors__same_device.ipynb"}
    _nbgrader(course, "generate_assignment", ASSIGNMENT)
    sgd = manifest.get(SGD).solution.read_text(encoding="utf-8")
    other = manifest.get(OTHER).solution.read_text(encoding="utf-8")
    _submit(course, "solution", "02_autograd__sgd", sgd)
    _submit(course, "solution", "01_tensors__same_device", other)
    _submit(course, "stub", "02_autograd__sgd", None)
    _submit(course, "mistake", "02_autograd__sgd", MISTAKE.read_text(encoding="utf-8"))
    _submit(course, "exits", "02_autograd__sgd", "import os\nos._exit(3)\n" + sgd)
    started, cpu = time.monotonic(), _children_cpu()
    _nbgrader(course, "autograde", ASSIGNMENT)
    seconds, cpu = time.monotonic() - started, _children_cpu() - cpu
    print(f"\nnbgrader autograde, 5 notebooks in one run: {seconds:.1f} s wall, {cpu:.1f} s CPU "
          f"({seconds / 5:.1f} s wall per notebook)")
    return course


@pytest.fixture(scope="module")
def gradebook(course):
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in STUDENTS:
            submission = gb.find_submission(ASSIGNMENT, student)
            for notebook in submission.notebooks:
                scores[student, notebook.name] = (notebook.score, notebook.max_score)
    return scores


def _autograded_tests_output(course: Path, student: str, stem: str) -> list[dict]:
    nb = json.loads((course / "autograded" / student / ASSIGNMENT / f"{stem}.ipynb").read_text())
    (cell,) = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    return cell["outputs"]


@pytest.mark.slow
@pytest.mark.timeout(900)  # the first one also runs the module fixture: nbgrader end to end
def test_release_has_no_hidden_tests_and_no_solution(course, manifest):
    for kata_id in (SGD, OTHER):
        kata = manifest.get(kata_id)
        stem = export.notebook_stem(kata)
        text = (course / "release" / ASSIGNMENT / f"{stem}.ipynb").read_text(encoding="utf-8")
        nb = json.loads(text)
        everything = "\n".join(_source(c) for c in nb["cells"])
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
            assert marker not in everything
        hidden = kata.hidden_tests.read_text(encoding="utf-8")
        public = kata.public_tests.read_text(encoding="utf-8")
        secret_tests = set(re.findall(r"def (test_\w+)", hidden)) - set(re.findall(r"def (test_\w+)", public))
        assert secret_tests
        for name in secret_tests:
            assert name not in text, f"{stem}: the release shows hidden test {name}"
        for region in find_regions(kata.solution.read_text(encoding="utf-8")):
            for line in region.body:
                if len(line) > 12 and not line.startswith("#"):
                    assert line not in _source(_solution_cell(nb)), f"{stem}: the release shows solution line {line!r}"
            for todo in region.todo:
                assert todo in everything  # the TODO comments survive the release
        assert "raise NotImplementedError" in _source(_solution_cell(nb))


@pytest.mark.slow
@pytest.mark.timeout(900)  # the first one also runs the module fixture: nbgrader end to end
def test_autograde_scores(course, gradebook):
    sgd, other = "02_autograd__sgd", "01_tensors__same_device"
    assert gradebook["solution", sgd] == (10.0, 10.0)
    assert gradebook["solution", other] == (10.0, 10.0)
    assert gradebook["stub", sgd] == (0.0, 10.0)
    assert gradebook["stub", other] == (0.0, 10.0)  # not submitted
    assert 0.0 < gradebook["mistake", sgd][0] < 10.0
    assert gradebook["exits", sgd] == (0.0, 10.0)
    for student in STUDENTS:
        outputs = _autograded_tests_output(course, student, sgd)
        assert not [o for o in outputs if o.get("name") == "stderr" or o["output_type"] == "error"]
        assert outputs[-1]["output_type"] == "execute_result"
    said = "".join("".join(o.get("text", "")) for o in _autograded_tests_output(course, "exits", sgd))
    assert "ended the process before this test finished" in said
    said = "".join("".join(o.get("text", "")) for o in _autograded_tests_output(course, "mistake", sgd))
    assert "FAILED" in said and "generator" in said


@pytest.mark.slow
@pytest.mark.timeout(900)  # the first one also runs the module fixture: nbgrader end to end
def test_scores_equal_the_grader(course, gradebook, manifest, tmp_path):
    from grader.runner import supervisor

    timings = []
    for (student, stem), (score, max_score) in sorted(gradebook.items()):
        path = course / "submitted" / student / ASSIGNMENT / f"{stem}.ipynb"
        kata = manifest.get(stem.replace("__", "/"))
        if not path.is_file():
            assert score == 0.0
            continue
        code = _source(_solution_cell(json.loads(path.read_text(encoding="utf-8"))))
        folder = tmp_path / student / stem
        (folder / kata.chapter).mkdir(parents=True)
        (folder / kata.chapter / f"{kata.name}.py").write_text(runtime.python_file(code))
        started = time.monotonic()
        report = supervisor.grade(manifest, folder, (kata,), supervisor.Options(jobs=1))
        timings.append(time.monotonic() - started)
        (result,) = report.katas
        # nbgrader's max is the kata's points; the grader's max_score leaves out the tests that
        # need CUDA on a machine without it: scale to the kata's points.
        expected = 0.0 if not result.max_score else kata.points * result.score / result.max_score
        assert max_score == kata.points
        assert score == pytest.approx(expected, abs=0.02), (student, stem, result.feedback)
    print(f"\npython -m grader grade (in-process supervisor): "
          f"{', '.join(f'{t:.1f}' for t in timings)} s per submission")


@pytest.mark.slow
@pytest.mark.timeout(900)  # the first one also runs the module fixture: nbgrader end to end
def test_feedback_hides_the_hidden_tests(course, manifest):
    _nbgrader(course, "generate_feedback", ASSIGNMENT, "--student", "mistake")
    html = (course / "feedback" / "mistake" / ASSIGNMENT / "02_autograd__sgd.html").read_text()
    hidden = manifest.get(SGD).hidden_tests.read_text(encoding="utf-8")
    public = manifest.get(SGD).public_tests.read_text(encoding="utf-8")
    for name in set(re.findall(r"def (test_\w+)", hidden)) - set(re.findall(r"def (test_\w+)", public)):
        assert name not in html
    assert "FAILED" in html

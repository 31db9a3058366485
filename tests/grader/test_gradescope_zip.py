"""The Gradescope autograder zip: its contents, then `run_autograder` in a fake /autograder.

The end-to-end tests unpack the zip to `<tmp>/autograder/source`, copy `run_autograder` to the
root as Gradescope does, put an upload in `submission/` and run it with AUTOGRADER_ROOT pointing
at the fake root and KATAS_PYTHON at this venv's python (setup.sh, which installs a venv, is not
run here).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from grader import manifest as manifest_mod
from grader.build import find_regions
from grader.integrations import gradescope_zip as gz
from tests.grader.support import ROOT, run_cli

pytestmark = pytest.mark.timeout(600)  # the end-to-end tests grade twice

KATAS = ["01_tensors/device", "02_autograd/sgd"]


@pytest.fixture(scope="module")
def manifest():
    return manifest_mod.load(ROOT / "katas.toml")


@pytest.fixture(scope="module")
def built(manifest, tmp_path_factory):
    return gz.build_autograder_zip(manifest, tmp_path_factory.mktemp("zip") / "autograder.zip", KATAS)


# ---------------------------------------------------------------------------------------------
# the zip (fast)


def test_zip_holds_what_gradescope_and_the_grader_need(built):
    with zipfile.ZipFile(built) as archive:
        names = archive.namelist()
        infos = {i.filename: i for i in archive.infolist()}
        manifest_text = archive.read("katas.toml").decode()
    assert names == sorted(names)
    for name in ("setup.sh", "run_autograder", "katas.toml", "pyproject.toml", "constraints.txt",
                 "grader/__main__.py", "grader/runner/grading.ini", "grader/plugin.py",
                 "tests/hidden/01_tensors/test_device.py", "tests/hidden/02_autograd/test_sgd.py"):
        assert name in names, name
    assert all(i.date_time == gz.FIXED_TIME for i in infos.values())
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(infos[script].external_attr >> 16) == 0o755
    forbidden = ("solutions/", "exercises/", "tests/mistakes/", "tests/adversarial/",
                 "tests/public/", "tests/grader/")
    assert not [n for n in names if n.startswith(forbidden) or "__pycache__" in n]
    assert [n for n in names if n.startswith("tests/")] == [
        "tests/hidden/01_tensors/observe_device.py", "tests/hidden/01_tensors/test_device.py",
        "tests/hidden/02_autograd/observe_sgd.py", "tests/hidden/02_autograd/test_sgd.py"]
    assert [k["id"] for k in tomllib.loads(manifest_text)["kata"]] == KATAS
    assert built.stat().st_size < 512 * 1024


def test_zip_is_deterministic(manifest, built, tmp_path):
    again = gz.build_autograder_zip(manifest, tmp_path / "again.zip", list(reversed(KATAS)))
    assert again.read_bytes() == built.read_bytes()


def test_no_solution_line_is_in_the_zip(manifest, built):
    with zipfile.ZipFile(built) as archive:
        everything = "\n".join(archive.read(n).decode("utf-8") for n in archive.namelist())
    checked = 0
    for kata_id in KATAS:
        kata = manifest.get(kata_id)
        # What learners see anyway (the hints quote a line or two) is not a leak.
        public = manifest.path.read_text(encoding="utf-8") + kata.exercise.read_text(encoding="utf-8")
        for region in find_regions(kata.solution.read_text(encoding="utf-8")):
            for line in region.body:
                line = line.strip()
                if len(line) >= 12 and not line.startswith("#") and line not in public:
                    checked += 1
                    assert line not in everything, f"{kata_id}: solution line in the zip: {line}"
    assert checked >= 10


def test_manifest_subset_keeps_only_the_katas_named(manifest):
    text = manifest.path.read_text(encoding="utf-8")
    subset = gz.manifest_subset(text, ["02_autograd/sgd"])
    data = tomllib.loads(subset)
    assert data["format"] == 1
    assert [k["id"] for k in data["kata"]] == ["02_autograd/sgd"]
    assert data["kata"][0] == next(k for k in tomllib.loads(text)["kata"] if k["id"] == "02_autograd/sgd")


def test_cli_handler_writes_the_zip_and_rejects_bad_arguments(manifest, tmp_path, capsys):
    from grader.cli import UsageError

    out = tmp_path / "gs.zip"
    assert gz.cli_gradescope(argparse.Namespace(output=str(out), kata=["02_autograd/sgd"]), manifest) == 0
    assert zipfile.is_zipfile(out) and "1 kata(s)" in capsys.readouterr().out
    with pytest.raises(UsageError, match="unknown kata"):
        gz.cli_gradescope(argparse.Namespace(output=str(out), kata=["99_no/such"]), manifest)
    with pytest.raises(UsageError, match=r"\.zip"):
        gz.cli_gradescope(argparse.Namespace(output=str(tmp_path / "gs.tar"), kata=None), manifest)


def test_scripts_parse_and_setup_is_idempotent(built, tmp_path):
    source = tmp_path / "source"
    with zipfile.ZipFile(built) as archive:
        archive.extractall(source)
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(source / script)]).returncode == 0, script
    # An up-to-date venv (its stamp equals constraints.txt): setup.sh installs nothing again.
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    shutil.copy(source / "constraints.txt", venv / ".katas-constraints")
    env = {**os.environ, "AUTOGRADER_ROOT": str(tmp_path), "KATAS_VENV": str(venv)}
    result = subprocess.run(["bash", str(source / "setup.sh")], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "up to date" in result.stdout, result.stderr


# ---------------------------------------------------------------------------------------------
# finding the kata files in an upload (fast)


def _kit(tmp_path, manifest):
    """A manifest whose katas are KATAS only (what the autograder's katas.toml holds)."""
    path = tmp_path / "kit" / "katas.toml"
    path.parent.mkdir()
    path.write_text(gz.manifest_subset(manifest.path.read_text(encoding="utf-8"), KATAS))
    return manifest_mod.load(path)


def _put(root: Path, rel: str, text: str = "x = 1\n") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize("layout", [
    {"02_autograd/sgd.py": "A", "01_tensors/device.py": "B"},  # the exercises/ folder's contents
    {"exercises/02_autograd/sgd.py": "A", "exercises/01_tensors/device.py": "B",
     "solutions/02_autograd/sgd.py": "wrong", "README.md": "r"},  # the whole repo
    {"pytorch-katas/exercises/02_autograd/sgd.py": "A",
     "pytorch-katas/exercises/01_tensors/device.py": "B"},  # the repo zipped as a folder
    {"sgd.py": "A", "device.py": "B"},  # single files dropped in
])
def test_prepare_finds_the_kata_files_in_every_layout(manifest, tmp_path, layout):
    kit = _kit(tmp_path, manifest)
    upload = tmp_path / "upload"
    for rel, text in layout.items():
        _put(upload, rel, text)
    notes = gz.prepare(kit, upload, tmp_path / "stage")
    assert (tmp_path / "stage" / "02_autograd" / "sgd.py").read_text() == "A"
    assert (tmp_path / "stage" / "01_tensors" / "device.py").read_text() == "B"
    assert notes[0].startswith("Found 2 of 2 kata files"), notes
    assert sorted(p.relative_to(tmp_path / "stage").as_posix()
                  for p in (tmp_path / "stage").rglob("*.py")) == ["01_tensors/device.py",
                                                                    "02_autograd/sgd.py"]


def test_prepare_explains_an_upload_without_kata_files(manifest, tmp_path):
    kit = _kit(tmp_path, manifest)
    upload = tmp_path / "upload"
    _put(upload, "homework.py")
    notes = gz.prepare(kit, upload, tmp_path / "stage")
    assert "No kata file was found" in notes[0] and "exercises/" in notes[0]
    assert not list((tmp_path / "stage").rglob("*.py"))
    notes = gz.prepare(kit, tmp_path / "nothing-uploaded", tmp_path / "stage2")
    assert "No kata file was found" in notes[0]


def test_prepare_names_the_missing_katas(manifest, tmp_path):
    kit = _kit(tmp_path, manifest)
    _put(tmp_path / "upload", "02_autograd/sgd.py")
    notes = gz.prepare(kit, tmp_path / "upload", tmp_path / "stage")
    assert notes == ["Found 1 of 2 kata files in your upload (in ./).",
                     "Not found in your upload (0 points): 01_tensors/device.py"]


def test_prepare_refuses_symlinks_and_huge_files(manifest, tmp_path):
    kit = _kit(tmp_path, manifest)
    upload = tmp_path / "upload"
    (upload / "02_autograd").mkdir(parents=True)
    (upload / "02_autograd" / "sgd.py").symlink_to(manifest.get("02_autograd/sgd").hidden_tests)
    (upload / "exercises").symlink_to(ROOT / "solutions", target_is_directory=True)
    _put(upload, "01_tensors/device.py", "#" * (gz.MAX_KATA_FILE_BYTES + 1))
    notes = gz.prepare(kit, upload, tmp_path / "stage")
    assert not list((tmp_path / "stage").rglob("*.py"))
    assert "No kata file was found" in notes[0]


# ---------------------------------------------------------------------------------------------
# run_autograder end to end (slow: grades twice)


def _autograder(built: Path, tmp_path: Path) -> Path:
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(built) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    return root


def _run(root: Path) -> dict:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "KATAS_PYTHON": sys.executable}
    result = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True,
                            text=True, timeout=400, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    assert isinstance(data["score"], (int, float)) and isinstance(data["max_score"], (int, float))
    assert data["tests"], data
    for test in data["tests"]:
        assert test["name"].split(":")[0] in KATAS, test["name"]
        assert {"score", "max_score", "name", "output"} <= set(test)
    return data


@pytest.mark.slow
def test_run_autograder_gives_full_marks_to_the_solutions(built, tmp_path):
    root = _autograder(built, tmp_path)
    for kata_id in KATAS:  # uploaded as the whole repo
        target = root / "submission" / "exercises" / f"{kata_id}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "solutions" / f"{kata_id}.py", target)
    data = _run(root)
    assert data["score"] == data["max_score"] > 0
    assert data["output"].startswith("Found 2 of 2 kata files in your upload (in exercises/).")
    assert {t["name"].split(":")[0] for t in data["tests"]} == set(KATAS)


@pytest.mark.slow
def test_run_autograder_gives_zero_to_a_stub_and_a_missing_file(built, tmp_path):
    root = _autograder(built, tmp_path)
    target = root / "submission" / "02_autograd" / "sgd.py"
    target.parent.mkdir(parents=True)
    shutil.copy(ROOT / "exercises" / "02_autograd" / "sgd.py", target)
    data = _run(root)
    assert data["score"] == 0 and data["max_score"] > 0
    assert "Not found in your upload (0 points): 01_tensors/device.py" in data["output"]
    outputs = {t["name"].split(":")[0]: t["output"] for t in data["tests"] if t.get("status") == "failed"}
    assert "not implemented" in outputs["02_autograd/sgd"].lower()
    assert "is missing" in outputs["01_tensors/device"]


def test_python_m_grader_gradescope(tmp_path):
    """The CLI subcommand, once it is wired in grader/cli.py."""
    result = run_cli("gradescope", str(tmp_path / "gs.zip"), "--kata", "02_autograd/sgd")
    if "invalid choice: 'gradescope'" in result.stderr:
        pytest.skip("`python -m grader gradescope` is not wired in grader/cli.py yet")
    assert result.returncode == 0, result.stderr
    assert zipfile.is_zipfile(tmp_path / "gs.zip")
    assert run_cli("gradescope", str(tmp_path / "gs.zip"), "--kata", "nope/x").returncode == 2
